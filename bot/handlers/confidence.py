"""Confidence in what people want to learn: asked after sign-up and again in the end survey."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import ids, notify
from bot.forms import db_id, parse_confidence
from bot.listeners import Routes, app_context
from bot.middleware import parse_json
from bot.outbox import confidence_view, dm_reply, open_modal
from bot.services import outcomes
from bot.services import participants as people
from bot.texts import text

log = logging.getLogger(__name__)


async def open_questions(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    data = parse_json(body["actions"][0].get("value"))
    program_id, phase = db_id(data.get("p")), data.get("phase")
    if program_id is None or phase not in outcomes.PHASES:
        return
    view = await confidence_view(ctx, body["user"]["id"], program_id, phase)
    if view is not None:
        problem = await open_modal(ctx, body["trigger_id"], view, command="join")
        await dm_reply(ctx, body["user"]["id"], problem)


async def submit(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    metadata = parse_json(view.get("private_metadata"))
    program_id, phase = db_id(metadata.get("p")), metadata.get("phase")
    ratings, errors = parse_confidence(view, metadata.get("topics"))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    if program_id is None or phase not in outcomes.PHASES:
        return
    user_id = body["user"]["id"]
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, user_id)
        if participant is None:
            return
        allowed = set(await outcomes.topics_to_rate(session, participant, program_id, phase))
        await outcomes.save_ratings(
            session,
            participant,
            program_id,
            phase,
            {t: r for t, r in ratings.items() if t in allowed},
        )
    min_group = ctx.settings.privacy_min_group_size
    await notify.dm(ctx, user_id, text("programs.confidence_saved", min_group=min_group))


def register(routes: Routes) -> None:
    routes.action(ids.CONFIDENCE_OPEN, open_questions)
    routes.view(ids.CONFIDENCE_CALLBACK, submit)
