"""Matching as HR runs it: build candidates from the database, propose, approve into pairs.

The algorithm itself (`bot.matching`) knows nothing of the database; this module feeds it the
pool (active people of the program who are not in an active pair), every pair that ever existed
(never pair two people twice) and the pairs HR excluded, and stores the proposal for review.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db import changed_rows
from bot.models import (
    MatchProposal,
    OrgPerson,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
)
from bot.services.org import org_records
from bot.vocabulary import ExperienceBand, Role, TimeOfDay, Weekday

if TYPE_CHECKING:
    from bot.matching import Candidate


def pair_key(a: str, b: str) -> str:
    return ":".join(sorted((a, b)))


def to_candidate(p: Participant, now: dt.datetime, org: OrgPerson | None = None) -> Candidate:
    """The person as matching sees them. HR's org data, when the latest import lists them, gives
    the department and the whole chain above them; the manager they named themselves is
    avoided too."""
    # Imported here, not at the top: `bot.matching` pulls in numpy and scipy (about 40 MB), which
    # `mentorbot serve` would otherwise hold from start-up although only HR's matching uses them.
    from bot.matching import Candidate

    offset = now.astimezone(ZoneInfo(p.timezone)).utcoffset() or dt.timedelta()
    above = set(org.reporting_line) if org else set()
    if p.manager_slack_id:
        above.add(p.manager_slack_id)
    department = (org.department if org and org.department else None) or p.department or ""
    return Candidate(
        id=p.slack_user_id,
        name=p.display_name or p.slack_user_id,
        role=Role(p.role),
        experience=ExperienceBand(p.experience_band),
        department=department,
        utc_offset_minutes=int(offset.total_seconds() // 60),
        share_topics=frozenset(p.share_topics or ()),
        learn_topics=frozenset(p.learn_topics or ()),
        available_days=frozenset(Weekday(d) for d in p.available_days or ()),
        time_of_day=TimeOfDay(p.time_of_day or TimeOfDay.ANY),
        reporting_line=frozenset(above),
    )


async def pool(session: AsyncSession, program: Program) -> list[Participant]:
    """Active people of the program who are not in an active pair (the unmatched only)."""
    paired = (
        select(Pair.sharer_id)
        .where(Pair.status == PairStatus.ACTIVE)
        .union(select(Pair.learner_id).where(Pair.status == PairStatus.ACTIVE))
    )
    rows = await session.scalars(
        select(Participant)
        .where(
            Participant.program_id == program.id,
            Participant.status == ParticipantStatus.ACTIVE,
            Participant.id.not_in(paired),
        )
        .order_by(Participant.slack_user_id)
    )
    return list(rows.all())


async def past_pairs(session: AsyncSession) -> list[frozenset[str]]:
    """Every pair ever made, in any program: two people are never matched twice."""
    sharer, learner = aliased(Participant), aliased(Participant)
    rows = await session.execute(
        select(sharer.slack_user_id, learner.slack_user_id)
        .select_from(Pair)
        .join(sharer, Pair.sharer_id == sharer.id)
        .join(learner, Pair.learner_id == learner.id)
    )
    return [frozenset(row) for row in rows.all()]


async def plan(
    session: AsyncSession, program: Program, *, excluded: list[str], now: dt.datetime
) -> dict[str, Any]:
    """Run the algorithm on the program's current pool; nothing is stored."""
    from bot.matching import match  # numpy and scipy load on first use (see `to_candidate`)

    people = await pool(session, program)
    org = await org_records(session, (p.slack_user_id for p in people))
    result = match(
        [to_candidate(p, now, org.get(p.slack_user_id)) for p in people],
        past_pairs=await past_pairs(session),
        excluded_pairs=[frozenset(key.split(":")) for key in excluded],
        different_departments=program.different_departments,
    )
    names = {p.slack_user_id: p.display_name or p.slack_user_id for p in people}
    return {
        "pairs": [
            {
                "sharer": pair.sharer_id,
                "learner": pair.learner_id,
                "sharer_name": names.get(pair.sharer_id),
                "learner_name": names.get(pair.learner_id),
                "score": round(pair.score, 3),
                "reasons": list(pair.reasons),
            }
            for pair in result.pairs
        ],
        "unmatched": [{"user": u.id, "reason": u.reason} for u in result.unmatched],
        "reporting_line_applied": result.reporting_line_applied,
        "pool": len(people),
    }


async def store(
    session: AsyncSession,
    program: Program,
    data: dict[str, Any],
    *,
    requested_by: str,
    excluded: list[str],
) -> MatchProposal:
    """Keep a planned proposal for HR's review; it replaces the program's open one."""
    await session.execute(
        update(MatchProposal)
        .where(MatchProposal.program_id == program.id, MatchProposal.status == "open")
        .values(status="superseded")
    )
    proposal = MatchProposal(
        program_id=program.id, requested_by=requested_by, excluded=excluded, proposal=data
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def propose(
    session: AsyncSession,
    program: Program,
    *,
    requested_by: str,
    excluded: list[str],
    now: dt.datetime,
) -> MatchProposal:
    """Run the algorithm on the current pool and store the result as an open proposal."""
    data = await plan(session, program, excluded=excluded, now=now)
    return await store(session, program, data, requested_by=requested_by, excluded=excluded)


async def approve(session: AsyncSession, proposal: MatchProposal) -> list[Pair] | None:
    """Turn an open proposal into pairs; None if it is no longer open (approved by a concurrent
    click, or replaced). People paired meanwhile are skipped, never doubled."""
    taken = await changed_rows(
        session,
        update(MatchProposal)
        .where(MatchProposal.id == proposal.id, MatchProposal.status == "open")
        .values(status="approved"),
    )
    if taken != 1:
        return None
    program = await session.get(Program, proposal.program_id)
    assert program is not None
    available = {p.slack_user_id: p for p in await pool(session, program)}
    pairs = []
    for item in proposal.proposal.get("pairs", []):
        sharer, learner = available.get(item["sharer"]), available.get(item["learner"])
        if sharer is None or learner is None:
            continue
        pair = Pair(
            program_id=program.id,
            sharer_id=sharer.id,
            learner_id=learner.id,
            score=item["score"],
            reasons=item["reasons"],
            status=PairStatus.ACTIVE,
        )
        session.add(pair)
        sharer.waiting_reason = learner.waiting_reason = None
        del available[item["sharer"]], available[item["learner"]]
        pairs.append(pair)
    await session.flush()
    return pairs


async def note_posted(
    session: AsyncSession, proposal_id: int, channel: str, ts: str | None
) -> None:
    """Where the proposal was posted, so that its buttons' message can be closed later."""
    stored = await session.get(MatchProposal, proposal_id)
    assert stored is not None
    stored.channel_id, stored.message_ts = channel, ts
