"""Outgoing messages that are not answers to a request: DMs and HR channel notes.

A failed notification is logged (ids only) and never undoes the change that caused it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import texts
from bot.context import AppContext

log = logging.getLogger(__name__)


#: Slack's answer to a post in a channel the bot was never invited to: `not_in_channel` for a
#: public channel, `channel_not_found` for a private one (the bot cannot even see it).
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


class NotInChannel(Exception):
    """Slack refused a post because the bot is not a member of `channel`: only a person can fix
    that (`/invite @Mentorbot`), so the caller tells an admin instead of retrying."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.channel = channel


def not_a_member(exc: SlackApiError) -> bool:
    return exc.response.get("error") in NOT_A_MEMBER


async def post_to_channel(
    ctx: AppContext, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> str | None:
    """Post into a channel; returns the ts, None if it failed, and raises `NotInChannel` when
    the bot is not a member of it."""
    try:
        response = await ctx.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, OSError, TimeoutError) as exc:
        if isinstance(exc, SlackApiError) and not_a_member(exc):
            log.warning(
                "message not delivered", extra={"channel": channel, "error_type": "NotInChannel"}
            )
            raise NotInChannel(channel) from None
        log.warning(
            "message not delivered", extra={"channel": channel, "error_type": type(exc).__name__}
        )
        return None
    return response.get("ts")


async def post(
    ctx: AppContext, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
) -> str | None:
    """Post to a channel or a user id (the bot's DM with them); returns the ts or None."""
    try:
        return await post_to_channel(ctx, channel, text, blocks)
    except NotInChannel:
        return None


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
    """A note for HR in the program's HR channel (`channel`, else the configured default).

    Returns its ts, or None if it did not go out; the failure is logged (ids only) and the
    caller carries on. When the bot is not a member of the channel, only a person can fix it,
    so each HR admin is told privately how."""
    target = channel or ctx.settings.hr_channel_id
    if not target:
        log.info("no HR channel configured; note not posted")
        return None
    try:
        return await post_to_channel(ctx, target, text, blocks)
    except NotInChannel:
        note = texts.text("admin.note_not_in_channel", channel=target)
        for admin in ctx.settings.hr_admin_ids:
            await dm(ctx, admin, note)
        return None
