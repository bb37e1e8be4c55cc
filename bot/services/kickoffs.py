"""What the kickoff pass reads and records: the pair with its people and goals, and the kickoff
once posted (its message ts on the pair, its prompt in the pair's prompt history); and the
running pairs kicked off before meeting times existed, which the pass proposes a time to once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    Meeting,
    Pair,
    PairStatus,
    Participant,
    Program,
    ProgramStatus,
    PromptDelivery,
)

KICKOFF_PERIOD = "kickoff"
# The meeting-time proposal a pair kicked off before meeting times existed gets in its group DM
# (a delivery row like the kickoff's, so it is posted once whatever crashes or reruns).
MEETING_PERIOD = "meeting"


@dataclass
class KickoffPair:
    pair: Pair
    program: Program
    sharer: Participant
    learner: Participant
    goals: dict[int, list[Goal]]  # participant id -> open goals

    @property
    def goal_categories(self) -> list[str]:
        return sorted({g.category for gs in self.goals.values() for g in gs})


async def pending_pairs(session: AsyncSession, program_id: int | None = None) -> list[int]:
    """Active pairs without a recorded kickoff, oldest first."""
    query = select(Pair.id).where(Pair.status == PairStatus.ACTIVE, Pair.kickoff_ts.is_(None))
    if program_id is not None:
        query = query.where(Pair.program_id == program_id)
    return list((await session.scalars(query.order_by(Pair.id))).all())


async def pairs_without_meeting(session: AsyncSession) -> list[int]:
    """Running pairs kicked off before meeting times existed: no meeting row yet, or one whose
    proposal was claimed but not posted (the pass stopped between storing it and posting it)."""
    unposted = exists().where(
        Checkin.pair_id == Pair.id,
        Checkin.period_key == MEETING_PERIOD,
        Checkin.status != CheckinStatus.POSTED,
    )
    query = (
        select(Pair.id)
        .join(Program, Program.id == Pair.program_id)
        .where(
            Pair.status == PairStatus.ACTIVE,
            Pair.kickoff_ts.is_not(None),
            Pair.dm_channel_id.is_not(None),
            Program.status == ProgramStatus.OPEN,
            or_(~exists().where(Meeting.pair_id == Pair.id), unposted),
        )
    )
    return list((await session.scalars(query.order_by(Pair.id))).all())


async def pair_to_kick_off(session: AsyncSession, pair_id: int) -> KickoffPair | None:
    """The pair with what its kickoff shows; None if it is gone, ended or already kicked off."""
    pair = await session.get(Pair, pair_id)
    if pair is None or pair.kickoff_ts or pair.status != PairStatus.ACTIVE:
        return None
    return await _with_people(session, pair)


async def running_pair(session: AsyncSession, pair_id: int) -> KickoffPair | None:
    """A kicked-off active pair with its people; None if it is gone, ended or not started."""
    pair = await session.get(Pair, pair_id)
    if pair is None or not pair.kickoff_ts or pair.status != PairStatus.ACTIVE:
        return None
    return await _with_people(session, pair)


async def _with_people(session: AsyncSession, pair: Pair) -> KickoffPair:
    program = await session.get(Program, pair.program_id)
    sharer = await session.get(Participant, pair.sharer_id)
    learner = await session.get(Participant, pair.learner_id)
    assert program and sharer and learner
    goal_rows = await session.scalars(
        select(Goal).where(
            Goal.participant_id.in_([sharer.id, learner.id]), Goal.status == GoalStatus.OPEN
        )
    )
    goals: dict[int, list[Goal]] = {}
    for goal in goal_rows:
        goals.setdefault(goal.participant_id, []).append(goal)
    return KickoffPair(pair, program, sharer, learner, goals)


async def store_group_dm(session: AsyncSession, pair_id: int, channel: str) -> None:
    stored = await session.get(Pair, pair_id)
    assert stored is not None
    stored.dm_channel_id = channel


async def note_prompt(
    session: AsyncSession,
    pair_id: int,
    prompt_id: str,
    *,
    checkin_id: int,
    reason: str,
    at: dt.datetime,
) -> None:
    """Add the kickoff's prompt to the pair's history, once (so check-ins do not repeat it)."""
    known = await session.scalar(
        select(PromptDelivery.id).where(
            PromptDelivery.pair_id == pair_id, PromptDelivery.prompt_id == prompt_id
        )
    )
    if not known:
        session.add(
            PromptDelivery(
                pair_id=pair_id,
                prompt_id=prompt_id,
                checkin_id=checkin_id,
                week=1,
                reason=reason,
                delivered_at=at,
            )
        )


async def record_kickoff(session: AsyncSession, pair_id: int, ts: str) -> None:
    stored = await session.get(Pair, pair_id)
    assert stored is not None
    stored.kickoff_ts = ts


async def adopt_posted_kickoff(session: AsyncSession, pair_id: int, now: dt.datetime) -> None:
    """A kickoff posted by a pass that stopped before noting it on the pair: note it now.

    Otherwise the pair stayed pending forever (and never got check-ins, which wait for the
    kickoff), as every later pass found the kickoff row posted and skipped it.
    """
    posted = await session.scalar(
        select(Checkin).where(
            Checkin.pair_id == pair_id,
            Checkin.period_key == KICKOFF_PERIOD,
            Checkin.status == CheckinStatus.POSTED,
            Checkin.message_ts.is_not(None),
        )
    )
    pair = await session.get(Pair, pair_id)
    if posted is None or pair is None or pair.kickoff_ts:
        return
    pair.kickoff_ts = posted.message_ts
    if posted.prompt_id:
        await note_prompt(
            session,
            pair_id,
            posted.prompt_id,
            checkin_id=posted.id,
            reason="kickoff prompt",
            at=posted.sent_at or now,
        )
