"""What one person sees about themselves (status, App Home), and HR's headline numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import (
    Enrolment,
    Goal,
    MeetingStatus,
    OrgImport,
    Pair,
    PairingFeedback,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
)
from bot.services import meetings
from bot.services import participants as people
from bot.services.org import last_import
from bot.services.programs import calendar, open_program


@dataclass
class PersonalView:
    participant: Participant | None
    program: Program | None
    partner: Participant | None
    pair: Pair | None
    goals: list[Goal] = field(default_factory=list)
    next_checkin: dt.datetime | None = None
    achieved: list[Goal] = field(default_factory=list)  # kept in view, with their history
    history: dict[int, list[int]] = field(default_factory=dict)  # goal id -> progress, oldest first
    meeting: MeetingSummary | None = None


@dataclass
class MeetingSummary:
    """The pair's regular meeting as one person's home shows it."""

    start: dt.datetime  # this week's (or the next) meeting of the series, as planned
    end: dt.datetime
    confirmed: bool
    next_start: dt.datetime | None  # the next meeting actually happening (moves applied)
    cadence_weeks: int


@dataclass(frozen=True)
class RepairRequest:
    """A no-fault re-pair request, for HR admins' eyes only (their App Home section).

    The reason stays in the database, never in a channel message, so delete-my-data (which
    blanks it) erases it everywhere once the admins' home tabs are published again.
    """

    requester: str  # Slack user id
    partner: str
    on: dt.date
    reason: str | None


@dataclass
class ProgramNumbers:
    program: Program | None
    enrolled: int
    active: int
    paused: int
    left: int
    pairs: int
    unmatched: int
    repair_requests: list[RepairRequest] = field(default_factory=list)
    last_import: OrgImport | None = None  # HR's people file, latest import


MAX_REPAIR_REQUESTS = 5


async def personal_view(
    session: AsyncSession,
    user_id: str,
    now: dt.datetime,
    *,
    known: Participant | None = None,
    created_with: list[Goal] | None = None,
) -> PersonalView:
    """Profile, program, partner, goals and next check-in for one person (`known`: their
    profile, when the caller's transaction has just read or saved it; `created_with`: that
    transaction created it, with these goals, so it has no pair and has reached no goal yet)."""
    participant = known or await people.get_participant(session, user_id)
    if participant is None:
        return PersonalView(None, await open_program(session), None, None)
    program = await session.get(Program, participant.program_id) if participant.program_id else None
    program = program or await open_program(session)
    pair: Pair | None = None
    achieved: list[Goal] = []
    history: dict[int, list[int]] = {}
    if known is not None and created_with is not None:
        goals = created_with
    else:
        pair = await people.active_pair(session, participant)
        goals, achieved, history = await people.goals_in_view(session, participant)
    partner = await people.partner_in(session, pair, participant) if pair else None
    next_at = None
    state = await meetings.for_pair(session, pair.id) if pair else None
    if pair and partner and program and participant.status == ParticipantStatus.ACTIVE:
        sharer, learner = (
            (participant, partner) if pair.sharer_id == participant.id else (partner, participant)
        )
        confirmed = state if state and state.meeting.status == MeetingStatus.CONFIRMED else None
        times = meetings.send_times(calendar(program), sharer, learner, confirmed)
        next_at = min((t for t in times.values() if t > now), default=None)
    summary = meeting_summary(state, now) if state else None
    return PersonalView(
        participant, program, partner, pair, goals, next_at, achieved, history, summary
    )


def meeting_summary(state: meetings.MeetingState, now: dt.datetime) -> MeetingSummary | None:
    series = state.base_occurrences()
    if not series:
        return None
    current = next((o for o in series if o.end > now), series[-1])
    upcoming = state.next_meeting(now)
    return MeetingSummary(
        start=current.start,
        end=current.end,
        confirmed=state.meeting.status == MeetingStatus.CONFIRMED,
        next_start=upcoming.start if upcoming else None,
        cadence_weeks=state.program.cadence_weeks,
    )


async def program_numbers(session: AsyncSession) -> ProgramNumbers:
    """Headline counts for HR's App Home section (one grouped query, no rows loaded)."""
    program = await open_program(session)
    if program is None:
        query = select(Participant.status, func.count()).group_by(Participant.status)
    else:  # the program's own people, as its report counts them
        counted = Enrolment.status_in_program()
        query = (
            select(counted, func.count())
            .select_from(Enrolment)
            .join(Participant, Participant.id == Enrolment.participant_id)
            .where(Enrolment.program_id == program.id)
            .group_by(counted)
        )
    counts = {status: n for status, n in (await session.execute(query)).all()}
    pairs = 0
    if program is not None:
        pairs = (
            await session.scalar(
                select(func.count())
                .select_from(Pair)
                .where(Pair.program_id == program.id, Pair.status == PairStatus.ACTIVE)
            )
            or 0
        )
    active = counts.get(ParticipantStatus.ACTIVE, 0)
    paused = counts.get(ParticipantStatus.PAUSED, 0)
    requests = await repair_requests(session, program.id) if program is not None else []
    return ProgramNumbers(
        program=program,
        enrolled=active + paused + counts.get(ParticipantStatus.LEFT, 0),
        active=active,
        paused=paused,
        left=counts.get(ParticipantStatus.LEFT, 0),
        pairs=pairs,
        unmatched=max(0, active + paused - 2 * pairs),
        repair_requests=requests,
        last_import=await last_import(session),
    )


async def repair_requests(session: AsyncSession, program_id: int) -> list[RepairRequest]:
    """The latest re-pair requests of the program whose author has not erased their data."""
    me, partner = aliased(Participant), aliased(Participant)
    rows = await session.execute(
        select(
            me.slack_user_id,
            partner.slack_user_id,
            PairingFeedback.created_at,
            PairingFeedback.private_reason,
        )
        .join(Pair, Pair.id == PairingFeedback.pair_id)
        .join(me, me.id == PairingFeedback.participant_id)
        .join(
            partner,
            partner.id
            == func.coalesce(
                func.nullif(Pair.sharer_id, PairingFeedback.participant_id), Pair.learner_id
            ),
        )
        .where(
            Pair.program_id == program_id,
            PairingFeedback.repair_requested.is_(True),
            me.status != ParticipantStatus.DELETED,
        )
        .order_by(PairingFeedback.id.desc())
        .limit(MAX_REPAIR_REQUESTS)
    )
    return [
        RepairRequest(requester, other, at.date(), reason) for requester, other, at, reason in rows
    ]
