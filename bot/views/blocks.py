"""Small Block Kit builders shared by every view, so views read like the screen they draw.

Text passed in is mrkdwn (`bot.texts.text` output, or typed text through `escape`); `plain`
shows it as the characters people typed, since plain-text fields do not parse mrkdwn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.texts.mrkdwn import Mrkdwn, escape, mention, unescape

__all__ = ["Mrkdwn", "escape", "mention"]

Block = dict[str, Any]


def plain(text: str, *, limit: int = 3000, emoji: bool = True) -> dict[str, Any]:
    """Plain text capped at `limit` characters as people read them (Slack's field limits)."""
    return {"type": "plain_text", "text": unescape(text)[:limit] or " ", "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:3000] or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, limit=150)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: Iterable[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{k}*\n{v}"[:2000]) for k, v in list(pairs)[:10]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": plain(label, limit=75), "value": value[:150]}
    if description:
        opt["description"] = plain(description, limit=75)
    return opt


def options(pairs: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    return [option(p[0], p[1], p[2] if len(p) > 2 else None) for p in pairs]


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, limit=75),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, limit=2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, limit=2000)
    return block


def text_input(
    action_id: str,
    *,
    initial: str | None = None,
    max_length: int = 200,
    multiline: bool = False,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, limit=150)
    return element


def select(
    action_id: str,
    choices: list[dict[str, Any]],
    *,
    initial: str | None = None,
    kind: str = "static_select",
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": choices[:100]}
    chosen = [c for c in choices if c["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def multi(
    action_id: str,
    choices: list[dict[str, Any]],
    *,
    initial: Iterable[str] = (),
    kind: str = "multi_static_select",
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": choices[:100]}
    wanted = set(initial)
    chosen = [c for c in choices if c["value"] in wanted]
    if chosen:
        element["initial_options"] = chosen
    return element


def tick_box(
    block_id: str,
    label: str,
    action_id: str,
    choice: dict[str, Any],
    *,
    ticked: bool,
    hint: str | None = None,
) -> Block:
    """An optional input of one checkbox (an opt-in such as consent to be quoted): the one
    shape every yes/no question of a form takes, so they all read and parse alike."""
    element = multi(
        action_id, [choice], initial=[choice["value"]] if ticked else [], kind="checkboxes"
    )
    return input_block(block_id, label, element, optional=True, hint=hint)


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, limit=24),
        "close": plain(close, limit=24),
        "blocks": blocks[:100],
    }
    if submit:
        view["submit"] = plain(submit, limit=24)
    if private_metadata:
        view["private_metadata"] = json.dumps(private_metadata, separators=(",", ":"))
    return view
