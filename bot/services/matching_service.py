"""Matching as HR runs it: build candidates from the database, propose, approve into pairs.

The algorithm itself (`bot.matching`) knows nothing of the database; this module feeds it the
pool (active people of the program who are not in an active pair), every pair that ever existed
(never pair two people twice) and the pairs HR excluded, and stores the proposal for review.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db import changed_rows
from bot.models import (
    MatchProposal,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
)

if TYPE_CHECKING:
    from bot.matching import Candidate

YEARS_FOR_BAND = {"0-2": 1, "3-5": 4, "6-10": 8, "11-20": 15, "21+": 25}


def pair_key(a: str, b: str) -> str:
    return ":".join(sorted((a, b)))


def to_candidate(p: Participant, now: dt.datetime) -> Candidate:
    # Imported here, not at the top: `bot.matching` pulls in numpy and scipy (about 40 MB), which
    # `mentorbot serve` would otherwise hold from start-up although only HR's matching uses them.
    from bot.matching import Candidate

    offset = now.astimezone(ZoneInfo(p.timezone)).utcoffset() or dt.timedelta()
    return Candidate(
        id=p.slack_user_id,
        name=p.display_name or p.slack_user_id,
        role=p.role.value if hasattr(p.role, "value") else str(p.role),
        years_experience=YEARS_FOR_BAND.get(p.experience_band, 8),
        department=p.department or "",
        manager_id=p.manager_slack_id,
        utc_offset_minutes=int(offset.total_seconds() // 60),
        share_topics=frozenset(p.share_topics or ()),
        learn_topics=frozenset(p.learn_topics or ()),
        available_days=frozenset(p.available_days or ()),
        time_of_day=p.time_of_day or "any",
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


async def propose(
    session: AsyncSession,
    program: Program,
    *,
    requested_by: str,
    excluded: list[str],
    now: dt.datetime,
) -> MatchProposal:
    """Run the algorithm on the current pool and store the result as an open proposal."""
    from bot.matching import match  # numpy and scipy load on first use (see `to_candidate`)

    people = await pool(session, program)
    result = match(
        [to_candidate(p, now) for p in people],
        past_pairs=await past_pairs(session),
        excluded_pairs=[frozenset(key.split(":")) for key in excluded],
    )
    await session.execute(
        update(MatchProposal)
        .where(MatchProposal.program_id == program.id, MatchProposal.status == "open")
        .values(status="superseded")
    )
    names = {p.slack_user_id: p.display_name or p.slack_user_id for p in people}
    proposal = MatchProposal(
        program_id=program.id,
        requested_by=requested_by,
        excluded=excluded,
        proposal={
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
            "pool": len(people),
        },
    )
    session.add(proposal)
    await session.flush()
    return proposal


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
        del available[item["sharer"]], available[item["learner"]]
        pairs.append(pair)
    await session.flush()
    return pairs
