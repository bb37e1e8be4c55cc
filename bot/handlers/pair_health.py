"""HR's at-risk note: message the pair, suggest a re-pair privately, or dismiss the note.

The note names both people because HR cannot open the pair's group DM; each action is for HR
admins only, and the note is then redrawn without its buttons, saying what was done and by whom.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot import ids, notify
from bot.context import AppContext
from bot.forms import db_id
from bot.handlers.admin import clicked_message
from bot.services import participants as people
from bot.texts import text
from bot.views.admin import closed_proposal_blocks
from bot.views.checkin import repair_offer_blocks

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)


async def close_note(ctx: AppContext, body: dict[str, Any], note: str) -> None:
    """The at-risk note as it was, minus its buttons, plus what happened."""
    channel, ts = clicked_message(body)
    if not (channel and ts):
        return
    original = (body.get("message") or {}).get("blocks") or []
    try:
        await ctx.client.chat_update(
            channel=channel, ts=ts, text=note, blocks=closed_proposal_blocks(original, note)
        )
    except SLACK_ERRORS:
        log.warning("at-risk note not updated", extra={"channel": channel})


async def ephemeral(ctx: AppContext, body: dict[str, Any], message: str) -> None:
    channel, _ = clicked_message(body)
    user_id = body["user"]["id"]
    try:
        if channel:
            await ctx.client.chat_postEphemeral(channel=channel, user=user_id, text=message)
            return
    except SLACK_ERRORS:
        pass
    await notify.dm(ctx, user_id, message)


async def act(ctx: AppContext, body: dict[str, Any], action: str) -> None:
    admin = body["user"]["id"]
    if not ctx.is_admin(admin):
        await ephemeral(ctx, body, text("errors.not_admin"))
        return
    pair_id = db_id(str((body.get("actions") or [{}])[0].get("value") or ""))
    if pair_id is None:
        return
    if action == ids.AT_RISK_DISMISS:
        await close_note(ctx, body, text("nudges.dismissed", admin=admin))
        return
    async with ctx.db.session() as session:
        found = await people.active_pair_members(session, pair_id)
    if found is None:
        await close_note(ctx, body, text("nudges.pair_gone"))
        return
    pair, sharer, learner = found
    if action == ids.AT_RISK_MESSAGE:
        users = f"{admin},{sharer.slack_user_id},{learner.slack_user_id}"
        try:
            channel = (await ctx.client.conversations_open(users=users))["channel"]["id"]
        except SLACK_ERRORS:
            await ephemeral(ctx, body, text("errors.try_again"))
            return
        hello = text(
            "nudges.hr_hello",
            sharer=sharer.slack_user_id,
            learner=learner.slack_user_id,
            admin=admin,
        )
        if await notify.post(ctx, channel, hello) is None:
            await ephemeral(ctx, body, text("errors.try_again"))
            return
        await close_note(ctx, body, text("nudges.messaged", admin=admin, channel=channel))
    elif action == ids.AT_RISK_REPAIR:
        for me, partner in ((sharer, learner), (learner, sharer)):
            await notify.dm(
                ctx,
                me.slack_user_id,
                text("nudges.repair_offer", partner=partner.slack_user_id),
                repair_offer_blocks(pair.id, partner.slack_user_id),
            )
        await close_note(ctx, body, text("nudges.repair_offered", admin=admin))


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.action(ids.AT_RISK_MESSAGE)
    async def message_pair(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await act(ctx, body, ids.AT_RISK_MESSAGE)

    @app.action(ids.AT_RISK_REPAIR)
    async def suggest_repair(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await act(ctx, body, ids.AT_RISK_REPAIR)

    @app.action(ids.AT_RISK_DISMISS)
    async def dismiss(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await act(ctx, body, ids.AT_RISK_DISMISS)
