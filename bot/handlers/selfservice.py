"""Self-service: status, pause, resume, leave and delete-my-data, without asking HR."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import ids, notify
from bot.context import AppContext
from bot.forms import small_int
from bot.handlers.home import publish_home
from bot.handlers.modals import open_modal
from bot.models import ParticipantStatus
from bot.services import participants as people
from bot.services.dashboard import personal_view
from bot.texts import text
from bot.views.selfservice import delete_modal, leave_modal, status_blocks

log = logging.getLogger(__name__)
MAX_PAUSE_WEEKS = 12


def parse_weeks(args: list[str]) -> int | str | None:
    """`pause` -> None (until resumed), `pause 2` -> 2, anything else -> 'invalid'."""
    if not args:
        return None
    weeks = small_int(args[0].removesuffix("w"), max_digits=2)  # "²" or 5,000 digits: invalid
    if weeks is not None and 1 <= weeks <= MAX_PAUSE_WEEKS:
        return weeks
    return "invalid"


def until_text(participant: Any) -> str:
    return f" until {participant.paused_until:%-d %b}" if participant.paused_until else ""


def register(app: AsyncApp, ctx: AppContext) -> dict[str, Any]:
    async def status(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        async with ctx.db.session() as session:
            view = await personal_view(session, command["user_id"], ctx.clock.now())
            blocks = status_blocks(view)
        await respond(text=text("status.header"), blocks=blocks, response_type="ephemeral")

    async def pause_person(user_id: str, weeks: int | None) -> str:
        """Pause and tell the partner kindly; returns the message for the person."""
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, user_id)
            if participant is None or participant.status in (
                ParticipantStatus.LEFT,
                ParticipantStatus.DELETED,
            ):
                return text("self_service.need_profile")
            if participant.status == ParticipantStatus.PAUSED:
                return text("self_service.already_paused", until=until_text(participant))
            people.pause(participant, weeks, ctx.clock.now().date())
            pair = await people.active_pair(session, participant)
            partner = await people.partner_in(session, pair, participant) if pair else None
            until = until_text(participant)
        if partner is not None:
            note = text("self_service.partner_paused", user=user_id, until=until)
            await notify.dm(ctx, partner.slack_user_id, note)
        await publish_home(ctx, user_id)
        return text("self_service.paused", until=until)

    async def resume_person(user_id: str) -> str:
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, user_id)
            if participant is None or participant.status != ParticipantStatus.PAUSED:
                return text("self_service.not_paused")
            people.resume(participant)
            pair = await people.active_pair(session, participant)
            partner = await people.partner_in(session, pair, participant) if pair else None
        if partner is not None:
            await notify.dm(
                ctx, partner.slack_user_id, text("self_service.partner_resumed", user=user_id)
            )
        await publish_home(ctx, user_id)
        return text("self_service.resumed")

    async def pause(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        weeks = parse_weeks(args)
        if weeks == "invalid":
            await respond(text=text("self_service.pause_bad_weeks"), response_type="ephemeral")
            return
        message = await pause_person(command["user_id"], weeks)  # type: ignore[arg-type]
        await respond(text=message, response_type="ephemeral")

    async def resume(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        await respond(text=await resume_person(command["user_id"]), response_type="ephemeral")

    async def open_confirmation(command: dict[str, Any], respond: AsyncRespond, view: dict) -> None:
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, command["user_id"])
        if participant is None or participant.status == ParticipantStatus.DELETED:
            await respond(text=text("self_service.not_in_program"), response_type="ephemeral")
            return
        name = "leave" if view["callback_id"] == ids.LEAVE_CALLBACK else "delete-my-data"
        problem = await open_modal(ctx, command["trigger_id"], view, command=name)
        if problem:
            await respond(text=problem, response_type="ephemeral")

    async def leave(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        await open_confirmation(command, respond, leave_modal())

    async def delete_my_data(
        command: dict[str, Any], args: list[str], respond: AsyncRespond
    ) -> None:
        await open_confirmation(command, respond, delete_modal())

    @app.action(ids.HOME_PAUSE)
    async def home_pause(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await pause_person(body["user"]["id"], 2)

    @app.action(ids.HOME_RESUME)
    async def home_resume(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await resume_person(body["user"]["id"])

    @app.view(ids.LEAVE_CALLBACK)
    async def confirm_leave(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user_id = body["user"]["id"]
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, user_id)
            if participant is None or participant.status in (
                ParticipantStatus.LEFT,
                ParticipantStatus.DELETED,
            ):
                return
            partner = await people.leave(session, participant, ctx.clock.now())
        await after_exit(user_id, partner, text("self_service.left"))

    @app.view(ids.DELETE_CALLBACK)
    async def confirm_delete(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user_id = body["user"]["id"]
        async with ctx.db.session() as session:
            participant = await people.get_participant(session, user_id)
            if participant is None:
                return
            partner = await people.erase(session, participant, ctx.clock.now())
        await after_exit(user_id, partner, text("self_service.deleted"))

    async def after_exit(user_id: str, partner: Any, message: str) -> None:
        """Tell the person, the partner (kindly) and HR (no reason given), then refresh homes."""
        await notify.dm(ctx, user_id, message)
        if partner is not None:
            await notify.dm(
                ctx, partner.slack_user_id, text("self_service.partner_left", user=user_id)
            )
            await notify.hr(ctx, text("self_service.hr_left", partner=partner.slack_user_id))
            await publish_home(ctx, partner.slack_user_id)
        else:
            await notify.hr(ctx, text("self_service.hr_left_unpaired"))
        # Admins' home tabs may show what this person wrote privately (a re-pair reason).
        for home_of in (user_id, *ctx.settings.hr_admin_ids):
            await publish_home(ctx, home_of)

    return {
        "status": status,
        "pause": pause,
        "resume": resume,
        "leave": leave,
        "delete-my-data": delete_my_data,
    }
