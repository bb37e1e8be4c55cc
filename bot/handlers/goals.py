"""Goals: `/mentoring goals` opens the goals modal; saving records progress history."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot import ids, notify
from bot.clock import earliest_today
from bot.context import AppContext
from bot.forms import db_id, parse_goals
from bot.listeners import Replay, Routes, app_context
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.outbox import dm_reply, open_modal, publish_home, reply
from bot.services import participants as people
from bot.texts import text
from bot.views.goals import goal_line, goals_modal


async def open_goals(ctx: AppContext, trigger_id: str, user_id: str) -> str | None:
    """Open the goals modal; returns a message for the person when it can't be opened."""
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, user_id)
        if participant is None:
            return text("goals.need_profile")
        goals, achieved, history = await people.goals_in_view(session, participant)
    view = goals_modal(goals, achieved, history)
    return await open_modal(ctx, trigger_id, view, command="goals")


async def goals(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    ctx = app_context(context)
    await reply(respond, await open_goals(ctx, command["trigger_id"], command["user_id"]))


async def edit_goals(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx, user_id = app_context(context), body["user"]["id"]
    await dm_reply(ctx, user_id, await open_goals(ctx, body["trigger_id"], user_id))


async def submit(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    user_id = body["user"]["id"]
    raw_ids = parse_json(view.get("private_metadata")).get("goal_ids")
    slot_ids = [db_id(i) for i in (raw_ids if isinstance(raw_ids, list) else [])]
    slot_ids = slot_ids[: ids.MAX_GOALS]
    now = ctx.clock.now()
    goals_in, errors = parse_goals(view, today=earliest_today(now), slot_goal_ids=slot_ids)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    first_field = ids.goal_block("description", 0)
    try:
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, user_id)
            if participant is None:
                await ack(
                    response_action="errors", errors={first_field: text("goals.need_profile")}
                )
                return
            await people.save_goals(session, participant, goals_in, now)
            current = await people.open_goals(session, participant)
    except DATABASE_ERRORS:
        await ack(response_action="errors", errors={first_field: text("errors.database_down")})
        return
    await ack()
    lines = "\n".join(f"• {goal_line(g)}" for g in current) or text("goals.none")
    await notify.dm(ctx, user_id, text("goals.confirmation") + "\n" + lines)
    await publish_home(ctx, user_id)


def register(routes: Routes) -> None:
    routes.command("goals", goals, Replay.HARMLESS)
    routes.action(ids.HOME_EDIT_GOALS, edit_goals, Replay.HARMLESS)
    routes.view(ids.GOALS_CALLBACK, submit)
