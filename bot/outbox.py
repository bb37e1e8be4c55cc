"""Slack output that listeners share: publish a home tab, open a modal, tell a person, redraw a
check-in.

Listener modules use these and never each other. Every function here logs a Slack failure (ids
only) and never raises it: the change that caused the output is already stored.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import notify
from bot.context import AppContext
from bot.models import Checkin
from bot.services import checkins as answers
from bot.services.dashboard import personal_view, program_numbers
from bot.texts import text
from bot.views.checkin import checkin_blocks
from bot.views.home import home_view

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)


async def publish_home(ctx: AppContext, user_id: str) -> None:
    """Render and publish one person's home tab."""
    async with ctx.db.session() as session:
        view = await personal_view(session, user_id, ctx.clock.now())
        numbers = await program_numbers(session) if ctx.is_admin(user_id) else None
        rendered = home_view(view, numbers)
    try:
        await ctx.client.views_publish(user_id=user_id, view=rendered)
    except SLACK_ERRORS as exc:
        log.warning("home not published", extra={"user": user_id, "error_type": type(exc).__name__})


async def open_modal(
    ctx: AppContext, trigger_id: str, view: dict[str, Any], *, command: str
) -> str | None:
    """Open `view`; if Slack refuses (stale trigger, outage), return what to tell the person:
    run `/mentoring <command>` again."""
    try:
        await ctx.client.views_open(trigger_id=trigger_id, view=view)
    except SLACK_ERRORS as exc:
        log.warning(
            "modal not opened",
            extra={"callback": view.get("callback_id"), "error_type": type(exc).__name__},
        )
        return text("errors.slack_down", command=command)
    return None


def clicked_channel(body: dict[str, Any]) -> str | None:
    """The channel where the person clicked, if the click was in a channel (not a home tab)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return channel if isinstance(channel, str) and channel else None


async def tell(ctx: AppContext, body: dict[str, Any], message: str) -> None:
    """An ephemeral note where the person clicked, or a DM when there is no channel to use."""
    user_id = body["user"]["id"]
    channel = clicked_channel(body)
    if channel:
        try:
            await ctx.client.chat_postEphemeral(channel=channel, user=user_id, text=message)
            return
        except SLACK_ERRORS:
            pass
    await notify.dm(ctx, user_id, message)


async def open_on_click(ctx: AppContext, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal on the click's trigger; if Slack refuses, say so where the person clicked."""
    try:
        await ctx.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SLACK_ERRORS:
        await tell(ctx, body, text("errors.try_again"))


def prompt_text(ctx: AppContext, prompt_id: str | None) -> str:
    prompt = next((p for p in ctx.prompts if p.id == prompt_id), None)
    return prompt.text if prompt else ""


async def redraw_checkin(ctx: AppContext, checkin_id: int) -> None:
    """Redraw the check-in message so it shows who has answered (never what)."""
    async with ctx.db.session() as session:
        checkin = await session.get(Checkin, checkin_id)
        if checkin is None or not checkin.message_ts or not checkin.channel_id:
            return
        status = await answers.answered_status(session, checkin)
    blocks = checkin_blocks(
        checkin_id=checkin.id,
        week=checkin.week,
        prompt_text=prompt_text(ctx, checkin.prompt_id),
        survey=checkin.survey,
        status=status,
    )
    try:
        await ctx.client.chat_update(
            channel=checkin.channel_id,
            ts=checkin.message_ts,
            text=text("checkin.fallback", week=checkin.week),
            blocks=blocks,
        )
    except SLACK_ERRORS as exc:
        log.warning(
            "check-in not redrawn", extra={"checkin": checkin_id, "error_type": type(exc).__name__}
        )
