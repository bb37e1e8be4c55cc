"""Words people read, kept in `messages.yaml` beside this file rather than scattered in code.

`text("help.intro", name="Priya")` looks up a dotted key and fills `{placeholders}`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

_FILE = Path(__file__).with_name("messages.yaml")


@cache
def _catalogue() -> dict[str, Any]:
    return yaml.safe_load(_FILE.read_text(encoding="utf-8"))


def raw(key: str) -> Any:
    """The stored value for a dotted key (a string, list or mapping)."""
    node: Any = _catalogue()
    for part in key.split("."):
        node = node[part]
    return node


def text(key: str, **values: Any) -> str:
    """The message for `key` with placeholders filled; a missing key fails loudly in tests."""
    template = raw(key)
    if not isinstance(template, str):
        raise TypeError(f"text key {key!r} is not a string")
    return template.format(**values) if values else template
