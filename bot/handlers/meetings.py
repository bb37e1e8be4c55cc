"""A pair's regular meeting time in its group DM: confirm, suggest another, move or cancel a week.

Each click acks first, then changes the meeting in one transaction through
``bot.services.meetings`` (whose unique change row is the claim against double clicks), and only
then talks to Slack: the group DM hears what changed and gets the updated ``.ics``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar as ical
from bot import ids, slots
from bot.context import AppContext
from bot.forms import StateReader, db_id
from bot.handlers.checkins import open_on_click, tell
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import MeetingStatus
from bot.services import meetings as service
from bot.texts import text
from bot.views import meeting as views

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)


def parse_value(body: dict[str, Any]) -> tuple[int, int] | None:
    """'<meeting id>:<version>' from the clicked button; None when malformed."""
    value = str(body["actions"][0].get("value") or "")
    meeting, _, version = value.partition(":")
    meeting_id, version_no = db_id(meeting), db_id(version)
    return (meeting_id, version_no) if meeting_id and version_no else None


def people_of(state: service.MeetingState) -> list[tuple[str, str]]:
    return [
        (state.sharer.slack_user_id, state.sharer.timezone),
        (state.learner.slack_user_id, state.learner.timezone),
    ]


def regular_line(state: service.MeetingState) -> str:
    occ = state.base_occurrences()
    if not occ:
        return ""
    return views.times_line(occ[0].start, occ[0].end, people_of(state), weekly=True)


async def announce(
    ctx: AppContext, state: service.MeetingState, *, kind: str, user_id: str, extra: dict
) -> None:
    """Tell the pair what changed (naming the other person), with links and the updated .ics."""
    now = ctx.clock.now()
    channel = state.pair.dm_channel_id
    if not channel:
        return
    partner = state.partner_of(user_id).slack_user_id
    series = state.calendar_series(now)
    upcoming = state.next_meeting(now)
    values = {
        "user": user_id,
        "partner": partner,
        "line": regular_line(state),
        "regular": regular_line(state),
        "cadence": views.cadence(state.program.cadence_weeks),
        "next": views.slack_date(upcoming[1]) if upcoming else text("meeting.no_next"),
    }
    sentence = text(f"meeting.{kind}", **{**values, **extra})
    blocks = views.confirmed_blocks(
        sentence=sentence,
        meeting_id=state.meeting.id,
        version=state.meeting.version,
        google=ical.google_link(series),
        outlook=ical.outlook_link(series, upcoming[1] if upcoming else series.first),
        meetings_left=upcoming is not None,
    )
    try:
        await ctx.client.chat_postMessage(channel=channel, text=sentence, blocks=blocks)
        await ctx.client.files_upload_v2(
            channel=channel,
            file=ical.ics(series),
            filename="mentoring-meeting.ics",
            title=text("meeting.ics_title"),
            initial_comment=text("meeting.ics_comment"),
        )
    except SLACK_ERRORS as exc:
        log.warning(
            "meeting change not announced",
            extra={"pair": state.pair.id, "error_type": type(exc).__name__},
        )


async def post_proposal(ctx: AppContext, state: service.MeetingState, user_id: str) -> None:
    """A new suggestion from one of the pair, for either of them to confirm."""
    option = slots.evaluate(state.slot, state.people, state.weeks, ctx.clock.now())
    if option is None or not state.pair.dm_channel_id:
        return
    blocks = views.proposal_blocks(
        meeting_id=state.meeting.id,
        version=state.meeting.version,
        option=option,
        people=people_of(state),
        cadence_weeks=state.program.cadence_weeks,
        overlap=True,
        proposed_by=user_id,
    )
    try:
        await ctx.client.chat_postMessage(
            channel=state.pair.dm_channel_id, text=text("meeting.heading"), blocks=blocks
        )
    except SLACK_ERRORS as exc:
        log.warning(
            "meeting proposal not posted",
            extra={"pair": state.pair.id, "error_type": type(exc).__name__},
        )


def pick_from(
    state: service.MeetingState, reader: StateReader, tz: str, now: dt.datetime
) -> tuple[slots.Slot | None, dict[str, str]]:
    """The regular slot chosen in the pick modal: an alternative, or a day and time in the
    clicker's own zone turned into the anchor zone's weekday and time."""
    choice = reader.option(ids.B_MEETING_OPTION, ids.A_MEETING_OPTION)
    if choice and choice != ids.MEETING_OTHER:
        weekday, _, start = choice.partition("@")
        try:
            return slots.Slot(
                weekday, dt.time.fromisoformat(start), state.meeting.minutes, state.meeting.tz
            ), {}
        except ValueError:
            return None, {ids.B_MEETING_OPTION: text("signup.errors.unknown_choice")}
    day = reader.option(ids.B_MEETING_DAY, ids.A_MEETING_DAY)
    at = reader.element(ids.B_MEETING_TIME, ids.A_MEETING_TIME).get("selected_time")
    if not choice and not day and not at:
        return None, {ids.B_MEETING_OPTION: text("meeting.errors.pick_needed")}
    errors = {}
    if day not in slots.WORKING_DAYS:
        errors[ids.B_MEETING_DAY] = text("meeting.errors.day_needed")
    try:
        start = dt.time.fromisoformat(str(at))
    except ValueError:
        errors[ids.B_MEETING_TIME] = text("meeting.errors.time_needed")
    if errors:
        return None, errors
    ahead = [
        w for w in state.weeks if slots.occurrence_date(w[1], day) >= now.date()
    ] or state.weeks
    instant = slots.local_instant(slots.occurrence_date(ahead[0][1], day), start, tz)
    local = instant.astimezone(ZoneInfo(state.meeting.tz))
    weekday = slots.WEEKDAYS[local.weekday()]
    return slots.Slot(weekday, local.time(), state.meeting.minutes, state.meeting.tz), {}


def register(app: AsyncApp, ctx: AppContext) -> None:
    async def refuse(body: dict[str, Any], reason: str) -> None:
        await tell(ctx, body, text(f"meeting.refused.{reason}"))

    @app.action(ids.MEETING_CONFIRM)
    async def confirm(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        parsed = parse_value(body)
        if parsed is None:
            return
        user_id = body["user"]["id"]
        try:
            async with ctx.db.session() as session:
                state = await service.open_state(session, *parsed, user_id)
                await service.confirm(session, state, user_id, ctx.clock.now())
        except service.Refused as refused:
            await refuse(body, refused.reason)
            return
        except IntegrityError:
            await refuse(body, "already_confirmed")
            return
        await announce(ctx, state, kind="confirmed", user_id=user_id, extra={})

    async def open_pick(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        parsed = parse_value(body)
        if parsed is None:
            return
        user_id = body["user"]["id"]
        now = ctx.clock.now()
        try:
            async with ctx.db.session() as session:
                state = await service.open_state(session, *parsed, user_id)
        except service.Refused as refused:
            await refuse(body, refused.reason)
            return
        me = state.member(user_id)
        partner = state.partner_of(user_id)
        assert me is not None
        choice = await asyncio.to_thread(
            service.choose_for, state.program, state.sharer, state.learner, now
        )
        alternatives = [o for o in choice.options if o.slot != state.slot][:3]
        metadata = {"meeting": parsed[0], "version": parsed[1], "mode": "series"}
        view = views.pick_modal(
            metadata=metadata,
            alternatives=alternatives,
            me=(me.slack_user_id, me.timezone),
            partner=(partner.slack_user_id, partner.timezone),
            confirmed=state.meeting.status == MeetingStatus.CONFIRMED,
        )
        await open_on_click(ctx, body, view)

    app.action(ids.MEETING_SUGGEST)(open_pick)
    app.action(ids.MEETING_CHANGE)(open_pick)

    @app.action(ids.MEETING_MOVE)
    async def open_move(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        parsed = parse_value(body)
        if parsed is None:
            return
        user_id = body["user"]["id"]
        try:
            async with ctx.db.session() as session:
                state = await service.open_state(session, *parsed, user_id)
                occurrence = state.this_week(ctx.clock.now())
                if occurrence is None:
                    raise service.Refused("nothing_left")
        except service.Refused as refused:
            await refuse(body, refused.reason)
            return
        me = state.member(user_id)
        assert me is not None
        metadata = {"meeting": parsed[0], "version": parsed[1], "mode": "move"}
        view = views.move_modal(
            metadata=metadata, occurrence=occurrence, me=(me.slack_user_id, me.timezone)
        )
        await open_on_click(ctx, body, view)

    @app.action(ids.MEETING_CANCEL_WEEK)
    async def cancel_week(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        parsed = parse_value(body)
        if parsed is None:
            return
        user_id = body["user"]["id"]
        now = ctx.clock.now()
        try:
            async with ctx.db.session() as session:
                state = await service.open_state(session, *parsed, user_id)
                occurrence = state.this_week(now)
                if occurrence is None:
                    raise service.Refused("nothing_left")
                await service.change_week(session, state, occurrence, user_id, now, None)
        except service.Refused as refused:
            await refuse(body, refused.reason)
            return
        except IntegrityError:
            await refuse(body, "taken")
            return
        when = views.slack_date(occurrence.start)
        await announce(ctx, state, kind="cancelled", user_id=user_id, extra={"when": when})

    async def apply(
        ack: AsyncAck, body: dict[str, Any], metadata: dict[str, Any], *, anyway: bool
    ) -> None:
        """Check the pick (unless the person already said "anyway") and make the change."""
        user_id = body["user"]["id"]
        meeting_id, version = db_id(metadata.get("meeting")), db_id(metadata.get("version"))
        mode = metadata.get("mode")
        first_block = ids.B_MEETING_DAY if mode == "move" else ids.B_MEETING_OPTION
        if anyway:
            first_block = ANYWAY
        if meeting_id is None or version is None or mode not in ("series", "move"):
            await ack(**_errors(first_block, text("meeting.refused.gone")))
            return
        now = ctx.clock.now()
        reader = StateReader(body.get("view") or {})
        try:
            async with ctx.db.session() as session:
                state = await service.open_state(session, meeting_id, version, user_id)
                change = change_series if mode == "series" else move_week
                outcome = await change(session, state, reader, metadata, user_id, now, anyway)
                if "response_action" in outcome:  # field errors, or "propose it anyway?"
                    await ack(**outcome)
                    return
        except service.Refused as refused:
            await ack(**_errors(first_block, text(f"meeting.refused.{refused.reason}")))
            return
        except IntegrityError:
            await ack(**_errors(first_block, text("meeting.refused.taken")))
            return
        except DATABASE_ERRORS:
            await ack(**_errors(first_block, text("errors.database_down")))
            return
        await ack(response_action="clear")
        if outcome["kind"] == "proposal":
            await post_proposal(ctx, state, user_id)
        else:
            await announce(
                ctx, state, kind=outcome["kind"], user_id=user_id, extra=outcome["extra"]
            )

    @app.view(ids.MEETING_PICK_CALLBACK)
    async def submit_pick(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await apply(ack, body, parse_json(view.get("private_metadata")), anyway=False)

    @app.view(ids.MEETING_ANYWAY_CALLBACK)
    async def submit_anyway(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await apply(ack, body, parse_json(view.get("private_metadata")), anyway=True)


ANYWAY = "anyway"  # the "propose it anyway?" modal: it has no field to hang an error on


def _errors(block: str, message: str) -> dict[str, Any]:
    """A field error, or on the "anyway?" modal the message in its place."""
    if block == ANYWAY:
        return {"response_action": "update", "view": views.notice_modal(message)}
    return {"response_action": "errors", "errors": {block: message}}


def _weekend_error(
    state: service.MeetingState, start: dt.datetime, end: dt.datetime, block: str
) -> dict[str, Any] | None:
    for (user, _tz), person in zip(people_of(state), state.people, strict=True):
        if "weekend" in slots.assess(start, end, person)[0]:
            return _errors(block, text("meeting.errors.weekend", user=user))
    return None


async def change_series(
    session: AsyncSession,
    state: service.MeetingState,
    reader: StateReader,
    metadata: dict[str, Any],
    user_id: str,
    now: dt.datetime,
    anyway: bool,
) -> dict[str, Any]:
    """A new regular time: proposed before confirmation, the series changed after it."""
    block = ANYWAY if anyway else ids.B_MEETING_DAY
    if anyway:
        weekday, _, start = str(metadata.get("pick") or "").partition("@")
        try:
            slot = slots.Slot(
                weekday, dt.time.fromisoformat(start), state.meeting.minutes, state.meeting.tz
            )
        except ValueError:
            return _errors(block, text("meeting.refused.gone"))
    else:
        me = state.member(user_id)
        slot, errors = pick_from(state, reader, me.timezone, now)
        if slot is None:
            return {"response_action": "errors", "errors": errors}
    occurrences = slots.occurrences(slot, state.weeks, now)
    if not occurrences:
        raise service.Refused("nothing_left")
    option = slots.evaluate(slot, state.people, state.weeks, now)
    if option is None:
        return _weekend_error(state, occurrences[0].start, occurrences[0].end, block) or _errors(
            block, text("meeting.refused.gone")
        )
    if option.fit == "closest" and not anyway:
        first = option.occurrences[0]
        problems = [p for p in option.problems if p.kind != "time_of_day"]
        return {
            "response_action": "update",
            "view": views.anyway_modal(
                metadata={**metadata, "pick": views.option_value(slot)},
                when=views.times_line(first.start, first.end, people_of(state), weekly=True),
                problems=views.problems_text(problems, people_of(state)),
            ),
        }
    confirmed = state.meeting.status == MeetingStatus.CONFIRMED
    await service.set_slot(session, state, slot, option.fit, user_id, now)
    return {"kind": "changed" if confirmed else "proposal", "extra": {}}


async def move_week(
    session: AsyncSession,
    state: service.MeetingState,
    reader: StateReader,
    metadata: dict[str, Any],
    user_id: str,
    now: dt.datetime,
    anyway: bool,
) -> dict[str, Any]:
    """This week's meeting at another day and time of the same week; the series stays."""
    occurrence = state.this_week(now)
    if occurrence is None:
        raise service.Refused("nothing_left")
    me = state.member(user_id)
    if anyway:
        try:
            start = dt.datetime.fromisoformat(str(metadata.get("start"))).astimezone(dt.UTC)
        except ValueError:
            return _errors(ANYWAY, text("meeting.refused.gone"))
    else:
        day = reader.option(ids.B_MEETING_DAY, ids.A_MEETING_DAY)
        at = reader.element(ids.B_MEETING_TIME, ids.A_MEETING_TIME).get("selected_time")
        if day not in slots.WORKING_DAYS:
            return _errors(ids.B_MEETING_DAY, text("meeting.errors.day_needed"))
        try:
            at_time = dt.time.fromisoformat(str(at))
        except ValueError:
            return _errors(ids.B_MEETING_TIME, text("meeting.errors.time_needed"))
        local_day = occurrence.start.astimezone(ZoneInfo(me.timezone)).date()
        monday = local_day - dt.timedelta(days=local_day.weekday())
        new_day = monday + dt.timedelta(days=slots.WEEKDAYS.index(day))
        start = slots.local_instant(new_day, at_time, me.timezone)
    block = ANYWAY if anyway else ids.B_MEETING_TIME
    if start <= now:
        return _errors(block, text("meeting.errors.past"))
    end = start + dt.timedelta(minutes=state.meeting.minutes)
    weekend = _weekend_error(state, start, end, ids.B_MEETING_DAY if not anyway else block)
    if weekend:
        return weekend
    problems = [
        slots.Problem(i, kind)
        for i, person in enumerate(state.people)
        for kind in slots.assess(start, end, person)[0]
        if kind in ("day", "hours")
    ]
    line = views.times_line(start, end, people_of(state), weekly=False)
    if problems and not anyway:
        return {
            "response_action": "update",
            "view": views.anyway_modal(
                metadata={**metadata, "start": start.isoformat()},
                when=line,
                problems=views.problems_text(problems, people_of(state)),
            ),
        }
    await service.change_week(session, state, occurrence, user_id, now, start)
    return {"kind": "moved", "extra": {"line": line}}
