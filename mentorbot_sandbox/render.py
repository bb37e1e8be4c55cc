"""Plain-text rendering of Block Kit, so demo transcripts read like what a user would see."""

from __future__ import annotations

from typing import Any


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _rich_text(obj: Any) -> str:
    """Flatten rich_text elements (sections, lists, quotes) into their visible text."""
    if isinstance(obj, list):
        return "".join(_rich_text(item) for item in obj)
    if not isinstance(obj, dict):
        return ""
    kind = obj.get("type")
    if kind == "text":
        return str(obj.get("text", ""))
    if kind == "link":
        return str(obj.get("text") or obj.get("url", ""))
    if kind == "user":
        return f"<@{obj.get('user_id')}>"
    if kind == "channel":
        return f"<#{obj.get('channel_id')}>"
    if kind == "emoji":
        return f":{obj.get('name')}:"
    if kind == "rich_text_list":
        return "".join(f"\n  • {_rich_text(item)}" for item in obj.get("elements", []))
    return _rich_text(obj.get("elements", []))


def _element(el: dict) -> str:
    kind = el.get("type", "")
    if kind in ("button", "workflow_button"):
        return f"[{_text(el.get('text'))}]"
    if kind == "overflow":
        return "[…]"
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    if kind in ("checkboxes", "radio_buttons"):
        mark = "[ ]" if kind == "checkboxes" else "( )"
        return "  ".join(f"{mark} {_text(o.get('text'))}" for o in el.get("options", []))
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return str(el.get("initial_value") or "____")
    if kind == "datepicker":
        return f"[{el.get('initial_date') or 'date'} ▾]"
    if kind == "timepicker":
        return f"[{el.get('initial_time') or 'time'} ▾]"
    selected = el.get("initial_option")
    label = _text(selected.get("text")) if isinstance(selected, dict) else ""
    return f"[{label or _text(el.get('placeholder')) or 'Select'} ▾]"


def _block(block: dict) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {_text(block.get('text'))} =="]
    if kind == "section":
        lines = [_text(block.get("text"))] if block.get("text") else []
        lines += [f"  {_text(f)}" for f in block.get("fields", [])]
        if isinstance(block.get("accessory"), dict):
            lines.append(f"  {_element(block['accessory'])}")
        return lines
    if kind == "context":
        parts = [
            f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else _text(e)
            for e in block.get("elements", [])
        ]
        return ["  " + " | ".join(parts)]
    if kind == "actions":
        return [" ".join(_element(e) for e in block.get("elements", []))]
    if kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        return [f"{_text(block.get('label'))}{optional}: {_element(block.get('element', {}))}"]
    if kind == "divider":
        return ["----------"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [_rich_text(block.get("elements", []))]
    if kind == "markdown":
        return [str(block.get("text", ""))]
    return [f"[{kind}]"]


def render_blocks(blocks: list[dict] | None) -> str:
    """Render blocks as readable text: headers, sections, fields, [Buttons], ``Label: ____``."""
    lines: list[str] = []
    for block in blocks or []:
        lines.extend(_block(block))
    return "\n".join(lines)
