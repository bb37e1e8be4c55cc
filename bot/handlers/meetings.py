"""A pair's regular meeting time in its group DM: confirm, suggest another, move or cancel a week.

Each click acks first, then changes the meeting in one transaction through
``bot.services.meetings`` (whose unique change row is the claim against double clicks), and only
then talks to Slack: the group DM hears what changed and gets the updated ``.ics``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar as ical
from bot import ids, slots
from bot.context import AppContext
from bot.forms import MeetingPick, db_id, parse_meeting_pick, parse_offered
from bot.listeners import Routes, app_context
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import MeetingStatus
from bot.outbox import open_on_click, show_cancelled_checkin, transact_or_tell
from bot.refusals import Refusal
from bot.scheduler.checkins import post_end_survey
from bot.scheduler.delivery import Claim
from bot.services import meetings as service
from bot.services import surveys
from bot.texts import text
from bot.views import meeting as views

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)
T = TypeVar("T")


def parse_value(body: dict[str, Any]) -> tuple[int, int] | None:
    """'<meeting id>:<version>' from the clicked button; None when malformed."""
    value = str(body["actions"][0].get("value") or "")
    meeting, _, version = value.partition(":")
    meeting_id, version_no = db_id(meeting), db_id(version)
    return (meeting_id, version_no) if meeting_id and version_no else None


@dataclass(frozen=True)
class Click:
    """A click on one of a meeting's buttons: who, on which version of which meeting, when."""

    ctx: AppContext
    meeting_id: int
    version: int
    user_id: str
    now: dt.datetime

    @property
    def metadata(self) -> dict[str, Any]:
        return {"meeting": self.meeting_id, "version": self.version}


async def on_click(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    work: Callable[[AsyncSession, Click], Awaitable[T]],
    *,
    taken: str | None = None,
) -> tuple[Click, T] | None:
    """Every meeting button's first half: ack, read the button, then `work` in one transaction
    (a refusal, or with `taken` a lost race, is told where they clicked). None when there is
    nothing more to do: a value that is not one of ours (forged or garbled) is dropped quietly.
    """
    await ack()
    parsed = parse_value(body)
    if parsed is None:
        return None
    ctx = app_context(context)
    click = Click(ctx, *parsed, user_id=body["user"]["id"], now=ctx.clock.now())
    result = await transact_or_tell(ctx, body, lambda session: work(session, click), taken=taken)
    return None if result is None else (click, result)


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
    ctx: AppContext, state: service.MeetingState, *, kind: str, user_id: str, extra: dict[str, str]
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
        "next": views.slack_date(upcoming.start) if upcoming else text("meeting.no_next"),
    }
    sentence = text(f"meeting.{kind}", **{**values, **extra})
    blocks = views.confirmed_blocks(
        sentence=sentence,
        meeting_id=state.meeting.id,
        version=state.meeting.version,
        google=ical.google_link(series),
        outlook=ical.outlook_link(series, upcoming.start if upcoming else series.first),
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


def slot_of(
    state: service.MeetingState, pick: MeetingPick, tz: str, now: dt.datetime
) -> slots.Slot:
    """The regular slot a pick means: an offered time as it is, or a day and time in the
    clicker's zone turned into the anchor zone's weekday and wall-clock time (in the next week
    that has that day ahead)."""
    minutes, anchor = state.meeting.minutes, state.meeting.tz
    if pick.offered is not None:
        return slots.Slot(pick.offered[0], pick.offered[1], minutes, anchor)
    assert pick.day is not None and pick.at is not None
    day = pick.day
    ahead = [w for w in state.weeks if slots.occurrence_date(w[1], day) >= now.date()]
    week_start = (ahead or state.weeks)[0][1]
    instant = slots.local_instant(slots.occurrence_date(week_start, day), pick.at, tz)
    local = instant.astimezone(ZoneInfo(anchor))
    return slots.Slot(slots.WEEKDAYS[local.weekday()], local.time(), minutes, anchor)


async def opened(session: AsyncSession, click: Click) -> service.MeetingState:
    return await service.open_state(session, click.meeting_id, click.version, click.user_id)


async def this_week(
    session: AsyncSession, click: Click
) -> tuple[service.MeetingState, slots.Occurrence]:
    """The clicked meeting and its occurrence this week (refused when there is none)."""
    state = await opened(session, click)
    return state, service.this_week_or_refuse(state, click.now)


async def confirmed(session: AsyncSession, click: Click) -> service.MeetingState:
    state = await opened(session, click)
    await service.confirm(session, state, click.user_id, click.now)
    return state


class Cancelled(NamedTuple):
    """A cancelled week: its meeting, the week's check-in if it had been posted, and where the
    end survey is answered (with a message of its own to post when one is owed)."""

    state: service.MeetingState
    occurrence: slots.Occurrence
    posted: service.PostedCheckin | None
    end_survey: surveys.EndSurvey | None


async def cancelled(session: AsyncSession, click: Click) -> Cancelled:
    """Cancel this week; the week's check-in too, returned when it had been posted; and, in
    the same transaction, the end survey's own message claimed when no check-in is left to
    carry it (so it is stored once with the cancellation, whatever happens after the commit)."""
    state, occurrence = await this_week(session, click)
    posted = await service.change_week(session, state, occurrence, click.user_id, click.now, None)
    end_survey = await surveys.after_cancel(session, state, click.now)
    return Cancelled(state, occurrence, posted, end_survey)


async def confirm(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "Works for us": the first click confirms; a second one (even at the same moment) is told
    (`taken`: the other person's click claimed this version first)."""
    done = await on_click(ack, body, context, confirmed, taken="meeting.refused.already_confirmed")
    if done is not None:
        click, state = done
        await announce(click.ctx, state, kind="confirmed", user_id=click.user_id, extra={})


async def open_pick(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "Suggest another time" / "Change our regular time": three alternatives, then a free pick."""
    done = await on_click(ack, body, context, opened)
    if done is None:
        return
    click, state = done
    me, partner = state.member(click.user_id), state.partner_of(click.user_id)
    assert me is not None
    # Tens of milliseconds of pure Python: off the event loop, so other acks keep flowing.
    choice = await asyncio.to_thread(
        service.choose_for, state.program, state.sharer, state.learner, click.now
    )
    view = views.pick_modal(
        metadata={**click.metadata, "mode": "series"},
        alternatives=[o for o in choice.options if o.slot != state.slot][:3],
        me=(me.slack_user_id, me.timezone),
        partner=(partner.slack_user_id, partner.timezone),
        confirmed=state.meeting.status == MeetingStatus.CONFIRMED,
    )
    await open_on_click(click.ctx, body, view)


async def open_move(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "Move this week": another day and time in the same week, the series unchanged."""
    done = await on_click(ack, body, context, this_week)
    if done is None:
        return
    click, (state, occurrence) = done
    me = state.member(click.user_id)
    assert me is not None
    view = views.move_modal(
        metadata={**click.metadata, "mode": "move"},
        occurrence=occurrence,
        me=(me.slack_user_id, me.timezone),
    )
    await open_on_click(click.ctx, body, view)


async def cancel_week(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """ "We can't meet this week": a cancellation (no check-in that week), not a miss."""
    done = await on_click(ack, body, context, cancelled, taken="meeting.refused.taken")
    if done is None:
        return
    click, (state, occurrence, posted, end_survey) = done
    if posted is not None:  # the week's check-in went out before its meeting: it says so now
        # ... and keeps the end survey it carried, answered on the pair's latest posted check-in.
        keep = end_survey is not None and posted.survey == surveys.END
        await show_cancelled_checkin(
            click.ctx,
            posted.channel,
            posted.ts,
            posted.week,
            end_survey_on=end_survey.checkin_id if end_survey and keep else None,
        )
    when = views.slack_date(occurrence.start)
    await announce(click.ctx, state, kind="cancelled", user_id=click.user_id, extra={"when": when})
    if end_survey is not None and end_survey.claim_id is not None and state.pair.dm_channel_id:
        claimed = Claim(end_survey.claim_id, reclaimed=False)
        await post_end_survey(click.ctx, claimed, state.pair.dm_channel_id, end_survey.checkin_id)


async def submit_pick(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    metadata = parse_json(view.get("private_metadata"))
    await apply(app_context(context), ack, body, metadata, anyway=False)


async def submit_anyway(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    metadata = parse_json(view.get("private_metadata"))
    await apply(app_context(context), ack, body, metadata, anyway=True)


async def apply(
    ctx: AppContext, ack: AsyncAck, body: dict[str, Any], metadata: dict[str, Any], *, anyway: bool
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
    view = body.get("view") or {}
    try:
        async with ctx.db.session() as session:
            state = await service.open_state(session, meeting_id, version, user_id)
            change = change_series if mode == "series" else move_week
            form = Submitted(state, view, metadata, user_id, now, anyway)
            outcome = await change(session, form)
            if "response_action" in outcome:  # field errors, or "propose it anyway?"
                await ack(**outcome)
                return
    except Refusal as refusal:
        await ack(**_errors(first_block, refusal.message))
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
        await announce(ctx, state, kind=outcome["kind"], user_id=user_id, extra=outcome["extra"])


ANYWAY = "anyway"  # the "propose it anyway?" modal: it has no field to hang an error on


class Submitted(NamedTuple):
    """A submitted pick or move modal (or its "anyway?" follow-up) and the meeting it changes."""

    state: service.MeetingState
    view: dict[str, Any]
    metadata: dict[str, Any]
    user_id: str
    now: dt.datetime
    anyway: bool


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


async def change_series(session: AsyncSession, form: Submitted) -> dict[str, Any]:
    """A new regular time: proposed before confirmation, the series changed after it."""
    state, view, metadata, user_id, now, anyway = form
    block = ANYWAY if anyway else ids.B_MEETING_DAY
    me = service.member_or_refuse(state, user_id)
    if anyway:
        offered = parse_offered(str(metadata.get("pick") or ""))
        if offered is None:
            return _errors(block, text("meeting.refused.gone"))
        pick = MeetingPick(offered=offered)
    else:
        parsed, errors = parse_meeting_pick(view, offers=True)
        if parsed is None:
            return {"response_action": "errors", "errors": errors}
        pick = parsed
    slot = slot_of(state, pick, me.timezone, now)
    occurrences = slots.occurrences(slot, state.weeks, now)
    if not occurrences:
        raise Refusal("meeting.refused.nothing_left")
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


async def move_week(session: AsyncSession, form: Submitted) -> dict[str, Any]:
    """This week's meeting at another day and time of the same week; the series stays."""
    state, view, metadata, user_id, now, anyway = form
    occurrence = service.this_week_or_refuse(state, now)
    me = service.member_or_refuse(state, user_id)
    if anyway:
        try:
            start = dt.datetime.fromisoformat(str(metadata.get("start"))).astimezone(dt.UTC)
        except ValueError:
            return _errors(ANYWAY, text("meeting.refused.gone"))
    else:
        pick, errors = parse_meeting_pick(view, offers=False)
        if pick is None or pick.day is None or pick.at is None:
            return {"response_action": "errors", "errors": errors}
        local_day = occurrence.start.astimezone(ZoneInfo(me.timezone)).date()
        monday = local_day - dt.timedelta(days=local_day.weekday())
        new_day = monday + dt.timedelta(days=slots.WEEKDAYS.index(pick.day))
        start = slots.local_instant(new_day, pick.at, me.timezone)
    block = ANYWAY if anyway else ids.B_MEETING_TIME
    if start <= now:
        return _errors(block, text("meeting.errors.past"))
    if abs(start - occurrence.start) >= dt.timedelta(days=7):  # only a forged form gets here
        return _errors(block, text("meeting.errors.same_week"))
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


def register(routes: Routes) -> None:
    routes.action(ids.MEETING_CONFIRM, confirm)
    routes.action(ids.MEETING_SUGGEST, open_pick)
    routes.action(ids.MEETING_CHANGE, open_pick)
    routes.action(ids.MEETING_MOVE, open_move)
    routes.action(ids.MEETING_CANCEL_WEEK, cancel_week)
    routes.view(ids.MEETING_PICK_CALLBACK, submit_pick)
    routes.view(ids.MEETING_ANYWAY_CALLBACK, submit_anyway)
