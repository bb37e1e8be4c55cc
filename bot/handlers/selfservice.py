"""Self-service: status, pause, resume, leave and delete-my-data, without asking HR."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot import ids, notify, proposals
from bot.context import AppContext
from bot.forms import small_int
from bot.listeners import Routes, app_context, command_args
from bot.models import Participant, ParticipantStatus
from bot.outbox import cancel_meeting_series, open_modal, publish_home, reply
from bot.refusals import Refusal
from bot.services import participants as people
from bot.services import reports
from bot.services.dashboard import personal_view
from bot.texts import text, until
from bot.views.selfservice import delete_modal, leave_modal, status_blocks

MAX_PAUSE_WEEKS = 12


def parse_weeks(args: list[str]) -> int | None:
    """`pause` -> None (until resumed), `pause 2` -> 2; anything else is refused."""
    if not args:
        return None
    weeks = small_int(args[0].removesuffix("w"), max_digits=2)  # "²" or 5,000 digits: invalid
    if weeks is not None and 1 <= weeks <= MAX_PAUSE_WEEKS:
        return weeks
    raise Refusal("self_service.pause_bad_weeks")


async def pause_person(ctx: AppContext, user_id: str, weeks: int | None) -> str:
    """Pause and tell the partner kindly; returns the message for the person."""
    try:
        async with ctx.db.session() as session:
            me, partner = await people.pause_self(session, user_id, weeks, ctx.clock.now().date())
    except Refusal as refusal:
        return refusal.message
    if partner is not None:
        note = text("self_service.partner_paused", user=user_id, until=until(me.paused_until))
        await notify.dm(ctx, partner.slack_user_id, note)
    await publish_home(ctx, user_id)
    return text("self_service.paused", until=until(me.paused_until))


async def resume_person(ctx: AppContext, user_id: str) -> str:
    try:
        async with ctx.db.session() as session:
            partner = await people.resume_self(session, user_id)
    except Refusal as refusal:
        return refusal.message
    if partner is not None:
        note = text("self_service.partner_resumed", user=user_id)
        await notify.dm(ctx, partner.slack_user_id, note)
    await publish_home(ctx, user_id)
    return text("self_service.resumed")


async def status(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    ctx = app_context(context)
    async with ctx.db.session() as session:
        view = await personal_view(session, command["user_id"], ctx.clock.now())
        blocks = status_blocks(view)
    await respond(text=text("status.header"), blocks=blocks, response_type="ephemeral")


async def pause(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    try:
        weeks = parse_weeks(command_args(command))
    except Refusal as refusal:
        await reply(respond, refusal.message)
        return
    await reply(respond, await pause_person(app_context(context), command["user_id"], weeks))


async def resume(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    await reply(respond, await resume_person(app_context(context), command["user_id"]))


async def open_confirmation(
    ctx: AppContext, command: dict[str, Any], respond: AsyncRespond, view: dict[str, Any]
) -> None:
    """Open the leave or delete confirmation for someone who is in the program."""
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, command["user_id"])
    if participant is None or participant.status == ParticipantStatus.DELETED:
        await reply(respond, text("self_service.not_in_program"))
        return
    name = "leave" if view["callback_id"] == ids.LEAVE_CALLBACK else "delete-my-data"
    await reply(respond, await open_modal(ctx, command["trigger_id"], view, command=name))


async def leave(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    await open_confirmation(app_context(context), command, respond, leave_modal())


async def delete_my_data(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    await open_confirmation(app_context(context), command, respond, delete_modal())


async def home_pause(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await pause_person(app_context(context), body["user"]["id"], 2)


async def home_resume(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await resume_person(app_context(context), body["user"]["id"])


async def confirm_leave(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await exit_program(app_context(context), body["user"]["id"], erase_data=False)


async def confirm_delete(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await exit_program(app_context(context), body["user"]["id"], erase_data=True)


async def exit_program(ctx: AppContext, user_id: str, *, erase_data: bool) -> None:
    """The leave or delete confirmation was submitted: leave (and erase), then tell everyone."""
    async with ctx.db.session() as session:
        left = await people.exit_self(session, user_id, ctx.clock.now(), erase_data=erase_data)
        channel = await reports.hr_channel_of(ctx, session, left.program_id) if left else None
    if left is None:
        return
    done = text("self_service.deleted" if erase_data else "self_service.left")
    await after_exit(ctx, user_id, left.partner, done, channel)
    if left.pair_id is not None:
        await cancel_meeting_series(ctx, left.pair_id)


async def after_exit(
    ctx: AppContext,
    user_id: str,
    partner: Participant | None,
    message: str,
    hr_channel: str | None,
) -> None:
    """Tell the person, the partner (kindly) and HR in the program's channel (no reason
    given), then refresh homes."""
    await notify.dm(ctx, user_id, message)
    if partner is not None:
        await notify.dm(ctx, partner.slack_user_id, text("self_service.partner_left", user=user_id))
        await notify.hr(
            ctx, text("self_service.hr_left", partner=partner.slack_user_id), channel=hr_channel
        )
        await proposals.rematch_for(ctx, [partner.slack_user_id], intro_key=proposals.STRANDED)
        await publish_home(ctx, partner.slack_user_id)
    else:
        await notify.hr(ctx, text("self_service.hr_left_unpaired"), channel=hr_channel)
    # Admins' home tabs may show what this person wrote privately (a re-pair reason).
    for home_of in (user_id, *ctx.settings.hr_admin_ids):
        await publish_home(ctx, home_of)


async def opt_in(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "Invite me to the next round", clicked on a pair's wrap-up (each for themselves)."""
    await ack()
    ctx = app_context(context)
    user_id = body["user"]["id"]
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, user_id)
        if participant is None:
            return
        participant.next_round = True
    await notify.dm(ctx, user_id, text("programs.next_round_noted"))


def register(routes: Routes) -> None:
    routes.action(ids.NEXT_ROUND_OPT_IN, opt_in)
    routes.command("status", status)
    routes.command("pause", pause)
    routes.command("resume", resume)
    routes.command("leave", leave)
    routes.command("delete-my-data", delete_my_data)
    routes.action(ids.HOME_PAUSE, home_pause)
    routes.action(ids.HOME_RESUME, home_resume)
    routes.view(ids.LEAVE_CALLBACK, confirm_leave)
    routes.view(ids.DELETE_CALLBACK, confirm_delete)
