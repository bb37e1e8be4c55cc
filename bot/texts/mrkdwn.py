"""Slack mrkdwn safety: the one place where text people typed is made inert.

Slack reads `&`, `<` and `>` as control characters: `<!channel>` pings a whole channel,
`<@U123>` mentions someone, `<https://evil|Payroll>` disguises a link. Slack's formatting guide
says to encode exactly those three as HTML entities and nothing else, which is what `escape`
does. Everything the bot composes is mrkdwn, so `bot.texts.text` escapes every string value it
fills in unless it is already `Mrkdwn` (a sentence of the bot's, an escaped value, or a mention
built from an id). Plain-text surfaces (headers, labels, buttons, options, modal titles) do not
parse mrkdwn, so `plain_text` turns the three entities back into characters there.
"""

from __future__ import annotations

import re

_ENTITY = re.compile(r"&(amp|lt|gt);")
_CHARACTER = {"amp": "&", "lt": "<", "gt": ">"}


class Mrkdwn(str):
    """Text that is already safe to put in a mrkdwn field as it is."""

    __slots__ = ()


def escape(value: str, limit: int | None = None) -> Mrkdwn:
    """Typed text made inert for mrkdwn (no mentions, links or broadcasts), optionally capped.

    The cap applies to what people read (before escaping), so an entity is never cut in half.
    """
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return Mrkdwn(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def unescape(value: str) -> str:
    """The inverse of `escape`, for plain-text fields, in one pass so `&amp;lt;` stays `&lt;`."""
    return _ENTITY.sub(lambda m: _CHARACTER[m.group(1)], value)


def safe(value: object) -> object:
    """A value ready to fill into a mrkdwn template: strings escaped unless already Mrkdwn."""
    if isinstance(value, str) and not isinstance(value, Mrkdwn):
        return escape(value)
    return value


def mention(user_id: str) -> Mrkdwn:
    """`<@U123>`: Slack shows the person's name. Only for ids that came from Slack."""
    return Mrkdwn(f"<@{escape(user_id)}>")


def channel_link(channel_id: str) -> Mrkdwn:
    return Mrkdwn(f"<#{escape(channel_id)}>")
