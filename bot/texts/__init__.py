"""Words people read, kept in YAML beside this file rather than scattered in code.

`messages.yaml` holds the bot's own sentences at the top level; every other file is a namespace
named after it (`report.yaml` -> `report.*`). `text("help.intro", name="Priya")` looks up a
dotted key and fills `{placeholders}`. Every sentence is mrkdwn: string values are escaped
(`bot.texts.mrkdwn`) unless they are `Mrkdwn` already, so text a person typed can never mention,
link or ping anyone, whichever template it lands in.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.texts.mrkdwn import Mrkdwn, safe

_DIR = Path(__file__).parent


@cache
def _catalogue() -> dict[str, Any]:
    catalogue: dict[str, Any] = yaml.safe_load((_DIR / "messages.yaml").read_text("utf-8"))
    for path in sorted(_DIR.glob("*.yaml")):
        if path.stem != "messages":
            catalogue[path.stem] = yaml.safe_load(path.read_text("utf-8"))
    return catalogue


def raw(key: str) -> Any:
    """The stored value for a dotted key (a string, list or mapping)."""
    node: Any = _catalogue()
    for part in key.split("."):
        node = node[part]
    return node


def text(key: str, **values: Any) -> Mrkdwn:
    """The message for `key` with placeholders filled (escaped); a missing key fails loudly."""
    template = raw(key)
    if not isinstance(template, str):
        raise TypeError(f"text key {key!r} is not a string")
    if not values:
        return Mrkdwn(template)
    return Mrkdwn(template.format(**{name: safe(value) for name, value in values.items()}))


def until(day: dt.date | None) -> Mrkdwn:
    """ " until 3 Mar" for a pause that ends by itself, "" for one that lasts until resumed: the
    `{until}` of every sentence about a pause (the service's refusal, the home tab, `status`)."""
    return text("self_service.until", day=f"{day:%-d %b}") if day else Mrkdwn("")


def words(key: str, **values: Any) -> str:
    """The sentence for `key` with values filled in as they are, for plain text that is escaped
    where it is shown (matching's reasons, stored with a proposal and shown by several views)."""
    template = raw(key)
    if not isinstance(template, str):
        raise TypeError(f"text key {key!r} is not a string")
    return template.format(**values) if values else template


def counted(count: int, noun: str) -> Mrkdwn:
    """`count` and the noun (`nouns.yaml`) in its singular or plural: "1 pair", "0 pairs"."""
    singular, plural = raw(f"nouns.{noun}")
    return Mrkdwn(f"{count} {singular if count == 1 else plural}")


@cache
def codes(key: str) -> tuple[Any, ...]:
    """The codes a form accepts from a catalogue list of `[code, label, ...]` (or bare codes).

    Read on first use, never at import: importing the bot has no side effects.
    """
    return tuple(item[0] if isinstance(item, list) else item for item in raw(key))


@cache
def labels(key: str) -> dict[str, str]:
    """Code -> label for a catalogue list of `[code, label]` pairs."""
    return {item[0]: item[1] for item in raw(key)}
