"""Programs over a year: list them, open or edit one by name, close one early.

Every admin command that acts on a program takes its name (the rest of the command's text, so
names may contain spaces); without one it acts on the only active program, and with several it
answers with their names rather than guessing.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from sqlalchemy import func, select

from bot import ids, notify
from bot.context import AppContext
from bot.listeners import app_context
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import (
    COMPLETED,
    Pair,
    Program,
    ProgramStatus,
)
from bot.outbox import open_modal
from bot.refusals import Refusal
from bot.scheduler.closing import deliver_closing
from bot.services import programs as cohorts
from bot.services.invitations import next_round_people
from bot.services.participants import get_participant
from bot.services.reports import hr_channel_for
from bot.texts import text
from bot.views.admin import program_modal
from bot.views.programs import close_modal, invite_blocks, programs_blocks

log = logging.getLogger(__name__)

NEW = "new"


def program_name(args: list[str]) -> str | None:
    """The program name a command was given: the rest of its text, or None."""
    return cohorts.clean_name(" ".join(args)) or None


async def open_program_modal(ctx: AppContext, trigger_id: str, args: list[str]) -> str | None:
    """`admin program` (the only active one, or a new one if there is none), `admin program
    new`, `admin program <name>`; returns what to tell the admin instead, if anything."""
    name = program_name(args)
    async with ctx.db.session() as session:
        wants_new = name.lower() == NEW if name else not await cohorts.active_programs(session)
        if wants_new:
            program = None
        else:
            try:
                program = await cohorts.resolve(session, name)
            except Refusal as refusal:
                return refusal.message
        can_invite = program is None and bool(await next_round_people(session, None))
    view = program_modal(program, ctx.settings.hr_channel_id, can_invite=can_invite)
    return await open_modal(ctx, trigger_id, view, command="admin program")


async def list_programs(ctx: AppContext, respond: AsyncRespond) -> None:
    async with ctx.db.session() as session:
        lines = await cohorts.overview(session, ctx.clock.now().date())
        blocks = programs_blocks(lines)
    await respond(text=text("programs.list_header"), blocks=blocks, response_type="ephemeral")


async def ask_to_close(ctx: AppContext, trigger_id: str, args: list[str]) -> str | None:
    """`admin close <name>`: the confirmation modal, or why not (unknown, closed already)."""
    try:
        async with ctx.db.session() as session:
            found = await cohorts.resolve(session, program_name(args))
    except Refusal as refusal:
        return refusal.message
    if found.status == ProgramStatus.CLOSED:
        return text("programs.already_closed", name=found.name)
    view = close_modal(found, hr_channel_for(ctx, found))
    return await open_modal(ctx, trigger_id, view, command="admin close")


async def opt_in(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "Invite me to the next round", clicked on a pair's wrap-up (each for themselves)."""
    await ack()
    ctx = app_context(context)
    user_id = body["user"]["id"]
    async with ctx.db.session() as session:
        participant = await get_participant(session, user_id)
        if participant is None:
            return
        participant.next_round = True
    await notify.dm(ctx, user_id, text("programs.next_round_noted"))


async def confirm_close(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """HR confirmed `admin close <name>`: close now, then post the wrap-ups and final report."""
    await ack()
    ctx = app_context(context)
    user_id = body["user"]["id"]
    if not ctx.is_admin(user_id):  # a replayed or forged submission
        await notify.dm(ctx, user_id, text("errors.not_admin"))
        return
    program_id = parse_json(view.get("private_metadata")).get("program_id")
    if not isinstance(program_id, int):
        return
    try:
        async with ctx.db.session() as session:
            program = await session.get(Program, program_id)
            if program is None:
                return
            name, channel = program.name, hr_channel_for(ctx, program)
            await cohorts.close(session, program, ctx.clock.now())
            pairs = await session.scalar(
                select(func.count()).where(
                    Pair.program_id == program_id, Pair.end_reason == COMPLETED
                )
            )
    except Refusal as refusal:
        await notify.dm(ctx, user_id, refusal.message)
        return
    except DATABASE_ERRORS:
        await notify.dm(ctx, user_id, text("errors.database_down"))
        return
    note = (
        text("programs.closed_note", name=name, pairs=pairs, channel=channel)
        if channel
        else text("programs.closed_note_no_channel", name=name, pairs=pairs)
    )
    await notify.dm(ctx, user_id, note)
    log.info("program closed early", extra={"program": program_id, "user": user_id})
    await deliver_closing(ctx, program_id)


async def invite_next_round(ctx: AppContext, program_id: int, admin_id: str) -> int:
    """DM everyone who asked for the next round a Join button for this program; tells the
    admin how many were invited."""
    async with ctx.db.session() as session:
        program = await session.get(Program, program_id)
        if program is None:
            return 0
        invitees = [p.slack_user_id for p in await next_round_people(session, program)]
        blocks = invite_blocks(program)
        fallback = text(
            "programs.invite_dm",
            name=program.name,
            start=f"{program.start_date:%-d %b %Y}",
            weeks=program.length_weeks,
        )
    sent = 0
    for user_id in invitees:
        if await notify.dm(ctx, user_id, fallback, blocks):
            sent += 1
    await notify.dm(ctx, admin_id, text("programs.invited", count=sent))
    return sent


def register(app: AsyncApp) -> None:
    app.view(ids.CLOSE_CALLBACK)(confirm_close)
    app.action(ids.NEXT_ROUND_OPT_IN)(opt_in)
