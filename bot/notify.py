"""Outgoing messages that are not answers to a request: DMs and HR channel notes.

A failed notification is logged (ids only) and never undoes the change that caused it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.context import AppContext

log = logging.getLogger(__name__)


async def post(
    ctx: AppContext, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> str | None:
    """Post to a channel or a user id (the bot's DM with them); returns the ts or None."""
    try:
        response = await ctx.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, OSError, TimeoutError) as exc:
        log.warning(
            "message not delivered", extra={"channel": channel, "error_type": type(exc).__name__}
        )
        return None
    return response.get("ts")


async def dm(
    ctx: AppContext, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> str | None:
    return await post(ctx, user_id, text, blocks)


async def hr(
    ctx: AppContext,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    channel: str | None = None,
) -> str | None:
    """A note for HR in the program's HR channel (or the configured default)."""
    target = channel or ctx.settings.hr_channel_id
    if not target:
        log.info("no HR channel configured; note not posted")
        return None
    return await post(ctx, target, text, blocks)
