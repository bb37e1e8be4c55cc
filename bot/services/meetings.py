"""Pairs' regular meeting times: proposing, confirming and changing them (database work only).

Every change goes through :func:`claim`: a ``MeetingChange`` row unique per (meeting, version the
click saw). Inserting it is the claim, so when both people click at once exactly one change is
made and the other click fails on the constraint (the handler tells that person it is done), and
a click carrying an older version than the meeting's is stale and refused (``Refusal``) before
anything is written. All of one change happens in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar as ical
from bot import scheduling, slots
from bot.db import upsert_insert
from bot.models import (
    Checkin,
    CheckinStatus,
    Meeting,
    MeetingChange,
    MeetingStatus,
    Pair,
    PairStatus,
    Participant,
    Program,
)
from bot.refusals import Refusal
from bot.services.programs import calendar
from bot.texts import text

SERIES_KINDS = ("propose", "confirm", "series")
CHECKIN_DELAY = dt.timedelta(minutes=15)


@dataclass
class MeetingState:
    """A meeting with everything needed to show it, change it and build its calendar file."""

    meeting: Meeting
    pair: Pair
    program: Program
    sharer: Participant
    learner: Participant
    changes: list[MeetingChange] = field(default_factory=list)

    @property
    def people(self) -> list[slots.Person]:
        return [person_of(self.sharer), person_of(self.learner)]

    @property
    def slot(self) -> slots.Slot:
        m = self.meeting
        return slots.Slot(m.weekday, m.start_time, m.minutes, m.tz)

    @property
    def weeks(self) -> list[tuple[int, dt.date]]:
        return scheduling.meeting_weeks(calendar(self.program))

    def member(self, user_id: str) -> Participant | None:
        return next(
            (p for p in (self.sharer, self.learner) if p.slack_user_id == user_id),
            None,
        )

    def partner_of(self, user_id: str) -> Participant:
        return self.learner if self.sharer.slack_user_id == user_id else self.sharer

    @property
    def series_from(self) -> dt.datetime:
        """Meetings count from the last time the regular slot was set (earlier ones are past)."""
        series = [c for c in self.changes if c.kind in SERIES_KINDS]
        return max((c.created_at for c in series), default=self.meeting.created_at)

    def base_occurrences(self) -> list[slots.Occurrence]:
        return slots.occurrences(self.slot, self.weeks, self.series_from)

    def week_changes(self) -> dict[int, MeetingChange]:
        """The latest change of each week: a move since the regular slot was last set (a move
        belongs to the old time), or a cancellation whenever it was made (the pair called the
        week off, whatever their time: its check-in row is cancelled for good)."""
        last_series = max((c.version for c in self.changes if c.kind in SERIES_KINDS), default=0)
        result: dict[int, MeetingChange] = {}
        for change in sorted(self.changes, key=lambda c: c.version):
            earlier = result.get(change.week) if change.week else None
            if not change.week or (earlier is not None and earlier.kind == "cancel"):
                continue
            if change.kind == "cancel" or (change.kind == "move" and change.version > last_series):
                result[change.week] = change
        return result

    def meetings(self) -> list[tuple[int, slots.Occurrence | None]]:
        """Each week left in the series with its meeting (a moved week moved), or None for a
        week the pair cancelled."""
        changes = self.week_changes()
        length = dt.timedelta(minutes=self.meeting.minutes)
        result: list[tuple[int, slots.Occurrence | None]] = []
        for occ in self.base_occurrences():
            change = changes.get(occ.week)
            if change is None:
                result.append((occ.week, occ))
            elif change.kind == "cancel" or change.new_start is None:
                result.append((occ.week, None))
            else:
                moved = slots.Occurrence(occ.week, change.new_start, change.new_start + length)
                result.append((occ.week, moved))
        return result

    def next_meeting(self, now: dt.datetime) -> slots.Occurrence | None:
        """The first meeting that has not ended yet (cancelled weeks skipped)."""
        upcoming = [occ for _, occ in self.meetings() if occ is not None and occ.end > now]
        return min(upcoming, key=lambda occ: occ.start, default=None)

    def this_week(self, now: dt.datetime) -> slots.Occurrence | None:
        """The meeting "Move this week" and "We can't meet this week" act on: the first one not
        ended and not cancelled (a moved week as moved)."""
        return next((occ for _, occ in self.meetings() if occ is not None and occ.end > now), None)

    @property
    def ended(self) -> bool:
        return any(c.kind == "end" for c in self.changes)

    def calendar_series(self, now: dt.datetime) -> ical.Series:
        base = self.base_occurrences()
        moved: dict[dt.datetime, dt.datetime] = {}
        cancelled: list[dt.datetime] = []
        originals = {o.week: o.start for o in base}
        for week, change in self.week_changes().items():
            if week not in originals:
                continue
            if change.kind == "cancel":
                cancelled.append(originals[week])
            elif change.new_start is not None:
                moved[originals[week]] = change.new_start
        return ical.Series(
            uid=ical.pair_uid(self.pair.id, self.program.id),
            sequence=self.meeting.sequence,
            title=text("meeting.calendar_title", program=self.program.name),
            description=text("meeting.calendar_description", program=self.program.name),
            slot=self.slot,
            first=base[0].start if base else now,
            count=len(base),
            interval=self.program.cadence_weeks,
            stamp=now,
            moved=moved,
            cancelled=tuple(cancelled),
            ended=self.ended,
        )


def person_of(participant: Participant) -> slots.Person:
    """What the chooser may use of a profile: zone, stated days, time of day, length."""
    days = frozenset(d for d in participant.available_days or () if d in slots.WORKING_DAYS)
    time_of_day = (
        participant.time_of_day if participant.time_of_day in slots.TIME_WINDOWS else "any"
    )
    return slots.Person(
        tz=participant.timezone,
        days=days or frozenset(slots.WORKING_DAYS),
        time_of_day=time_of_day,
        minutes=participant.meeting_minutes or 30,
    )


def choose_for(
    program: Program, sharer: Participant, learner: Participant, now: dt.datetime
) -> slots.Choice:
    """The slot chooser for one pair, anchored in the learner's zone (as check-ins are)."""
    return slots.choose(
        [person_of(sharer), person_of(learner)],
        scheduling.meeting_weeks(calendar(program)),
        anchor=1,
        after=now,
    )


async def ensure_proposal(
    session: AsyncSession, pair: Pair, choice: slots.Choice, now: dt.datetime
) -> Meeting | None:
    """The pair's meeting row, created from the chooser's best option on first call."""
    meeting = await session.scalar(select(Meeting).where(Meeting.pair_id == pair.id))
    if meeting is None:
        if not choice.options:
            return None
        best = choice.options[0]
        meeting = Meeting(
            pair_id=pair.id,
            status=MeetingStatus.PROPOSED,
            weekday=best.slot.weekday,
            start_time=best.slot.start,
            minutes=best.slot.minutes,
            tz=best.slot.tz,
            fit=best.fit,
            version=1,
            sequence=0,
            created_at=now,
            updated_at=now,
        )
        session.add(meeting)
        await session.flush()
    return meeting


async def _state(
    session: AsyncSession, meeting: Meeting, changes: list[MeetingChange]
) -> MeetingState:
    """A meeting with its pair, program and both people (the session's identity map answers
    the repeats when many meetings of one program are loaded together)."""
    pair = await session.get(Pair, meeting.pair_id)
    assert pair is not None
    program = await session.get(Program, pair.program_id)
    sharer = await session.get(Participant, pair.sharer_id)
    learner = await session.get(Participant, pair.learner_id)
    assert program and sharer and learner
    return MeetingState(meeting, pair, program, sharer, learner, changes)


async def load(session: AsyncSession, meeting_id: int) -> MeetingState | None:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    changes = list(
        (
            await session.scalars(
                select(MeetingChange)
                .where(MeetingChange.meeting_id == meeting.id)
                .order_by(MeetingChange.version)
            )
        ).all()
    )
    return await _state(session, meeting, changes)


def member_or_refuse(state: MeetingState, user_id: str) -> Participant:
    member = state.member(user_id)
    if member is None:
        raise Refusal("meeting.refused.not_yours")
    return member


def this_week_or_refuse(state: MeetingState, now: dt.datetime) -> slots.Occurrence:
    occurrence = state.this_week(now)
    if occurrence is None:
        raise Refusal("meeting.refused.nothing_left")
    return occurrence


async def for_pair(session: AsyncSession, pair_id: int) -> MeetingState | None:
    meeting_id = await session.scalar(select(Meeting.id).where(Meeting.pair_id == pair_id))
    return await load(session, meeting_id) if meeting_id else None


async def open_state(
    session: AsyncSession, meeting_id: int, version: int, user_id: str
) -> MeetingState:
    """The meeting a click acts on, if the clicker may act and the click is not stale."""
    state = await load(session, meeting_id)
    if state is None or state.pair.status != PairStatus.ACTIVE:
        raise Refusal("meeting.refused.gone")
    if state.member(user_id) is None:
        raise Refusal("meeting.refused.not_yours")
    if state.meeting.version != version:
        taken = next((c for c in state.changes if c.version == version), None)
        raise Refusal(
            "meeting.refused.already_confirmed"
            if taken and taken.kind == "confirm"
            else "meeting.refused.stale"
        )
    return state


async def claim(
    session: AsyncSession,
    state: MeetingState,
    *,
    kind: str,
    user_id: str | None,
    now: dt.datetime,
    week: int | None = None,
    original_start: dt.datetime | None = None,
    new_start: dt.datetime | None = None,
) -> MeetingChange:
    """Record a change against the version the click saw, and move the meeting to the next one.

    Raises ``IntegrityError`` on flush when another click claimed that version first.
    """
    change = MeetingChange(
        meeting_id=state.meeting.id,
        version=state.meeting.version,
        kind=kind,
        week=week,
        original_start=original_start,
        new_start=new_start,
        by_user=user_id,
        created_at=now,
    )
    session.add(change)
    await session.flush()
    state.meeting.version += 1
    state.meeting.updated_at = now
    state.changes.append(change)
    return change


async def confirm(
    session: AsyncSession, state: MeetingState, user_id: str, now: dt.datetime
) -> None:
    if state.meeting.status == MeetingStatus.CONFIRMED:
        raise Refusal("meeting.refused.already_confirmed")
    await claim(session, state, kind="confirm", user_id=user_id, now=now)
    state.meeting.status = MeetingStatus.CONFIRMED
    state.meeting.confirmed_by = user_id
    state.meeting.confirmed_at = now


async def set_slot(
    session: AsyncSession,
    state: MeetingState,
    slot: slots.Slot,
    fit: str,
    user_id: str,
    now: dt.datetime,
) -> None:
    """A new regular time: before confirmation a new proposal, after it the series changes."""
    confirmed = state.meeting.status == MeetingStatus.CONFIRMED
    await claim(session, state, kind="series" if confirmed else "propose", user_id=user_id, now=now)
    m = state.meeting
    m.weekday, m.start_time, m.minutes, m.tz, m.fit = (
        slot.weekday,
        slot.start,
        slot.minutes,
        slot.tz,
        fit,
    )
    m.proposed_by = user_id
    if confirmed:
        m.sequence += 1


async def change_week(
    session: AsyncSession,
    state: MeetingState,
    occurrence: slots.Occurrence,
    user_id: str,
    now: dt.datetime,
    new_start: dt.datetime | None,
) -> PostedCheckin | None:
    """Move one week's meeting (``new_start``) or cancel it (None): the series stays. A
    cancellation also cancels the week's check-in (returned when it had been posted)."""
    if state.meeting.status != MeetingStatus.CONFIRMED:
        raise Refusal("meeting.refused.not_confirmed")
    original = next((o for o in state.base_occurrences() if o.week == occurrence.week), None)
    if original is None:
        raise Refusal("meeting.refused.stale")
    await claim(
        session,
        state,
        kind="cancel" if new_start is None else "move",
        user_id=user_id,
        now=now,
        week=occurrence.week,
        original_start=original.start,
        new_start=new_start,
    )
    state.meeting.sequence += 1
    if new_start is None:
        return await cancel_checkin(session, state, occurrence.week, original.start)
    return None


@dataclass(frozen=True)
class PostedCheckin:
    """A check-in already in the group DM for a week the pair has just cancelled."""

    channel: str
    ts: str
    week: int
    survey: str | None  # the survey it carried ("mid", "end"), if any


async def cancel_checkin(
    session: AsyncSession, state: MeetingState, week: int, due_at: dt.datetime
) -> PostedCheckin | None:
    """The week's check-in row, stored as cancelled so no pass ever claims and posts it.

    Inserted if there is none yet (a pass that claims later finds it); a claim in flight loses
    (delivery records nothing over a cancelled row); a check-in posted earlier (at the program's
    time, before this week's meeting) is cancelled too and returned so the caller can redraw
    it: its ts is cleared, so reports, reminders and at-risk flags never count it.
    """
    key = scheduling.period_key(calendar(state.program), week)
    await session.execute(
        upsert_insert(session)(Checkin)
        .values(
            pair_id=state.pair.id,
            program_id=state.pair.program_id,
            period_key=key,
            week=week,
            kind="checkin",
            due_at=due_at,
            attempts=0,
            status=CheckinStatus.CANCELLED,
        )
        .on_conflict_do_nothing(index_elements=["pair_id", "period_key"])
    )
    row = await session.scalar(
        select(Checkin)
        .where(Checkin.pair_id == state.pair.id, Checkin.period_key == key)
        .with_for_update()
    )
    assert row is not None
    posted = (
        PostedCheckin(row.channel_id, row.message_ts, week, row.survey)
        if row.status == CheckinStatus.POSTED and row.channel_id and row.message_ts
        else None
    )
    row.status, row.message_ts = CheckinStatus.CANCELLED, None
    return posted


async def end_series(session: AsyncSession, pair_id: int, now: dt.datetime) -> bool:
    """The pair ended: a confirmed series is over (its buttons go stale, its calendar SEQUENCE
    rises for the cancelling invite). True when there was one to cancel."""
    state = await for_pair(session, pair_id)
    if state is None or state.meeting.status != MeetingStatus.CONFIRMED:
        return False
    await claim(session, state, kind="end", user_id=None, now=now)
    state.meeting.sequence += 1
    return True


async def confirmed_meetings(session: AsyncSession, pair_ids: list[int]) -> dict[int, MeetingState]:
    """Every confirmed meeting of these pairs, with its changes, in three queries."""
    if not pair_ids:
        return {}
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.pair_id.in_(pair_ids), Meeting.status == MeetingStatus.CONFIRMED
            )
        )
    ).all()
    if not meetings:
        return {}
    changes: dict[int, list[MeetingChange]] = {}
    for change in (
        await session.scalars(
            select(MeetingChange)
            .where(MeetingChange.meeting_id.in_([m.id for m in meetings]))
            .order_by(MeetingChange.version)
        )
    ).all():
        changes.setdefault(change.meeting_id, []).append(change)
    result = {}
    for meeting in meetings:
        result[meeting.pair_id] = await _state(session, meeting, changes.get(meeting.id, []))
    return result


def checkin_times(state: MeetingState) -> dict[int, dt.datetime | None]:
    """When each week's check-in follows the meeting: shortly after it ends, inside both
    working days. None for a week the pair cancelled (no check-in, so no miss); weeks without a
    meeting in the series are left out (the caller keeps the program's time for them)."""
    zones = [state.sharer.timezone, state.learner.timezone]
    return {
        week: None if occ is None else slots.after_meeting(occ.end, zones, CHECKIN_DELAY)
        for week, occ in state.meetings()
    }


def send_times(
    cal: scheduling.ProgramCalendar,
    sharer: Participant,
    learner: Participant,
    meeting: MeetingState | None,
) -> dict[int, dt.datetime]:
    """When each check-in week's check-in goes out: shortly after that week's meeting when the
    pair confirmed a regular time, otherwise (and in weeks before it) at the program's time.
    A week the pair cancelled gets no check-in, so it never counts as missed."""
    weeks = scheduling.checkin_weeks(cal)
    after = checkin_times(meeting) if meeting is not None else {}
    times = {}
    for week in weeks:
        if week not in after:
            times[week] = scheduling.pair_send_time(
                cal, week, sharer.timezone, learner.timezone, learner_tz=learner.timezone
            )
        elif (at := after[week]) is not None:
            times[week] = at
    return times
