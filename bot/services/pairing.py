"""Pairing fit: after the first meeting each person says, privately, whether the pairing works.

An answer is one row per person and pair; asking for a new partner ends the pair at once (HR is
told by the listener, with the reason only if one was given).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Nudge, Pair, PairingFeedback, PairStatus, Participant
from bot.services import participants as people


async def mark_fit_question(
    session: AsyncSession, pair_id: int, now: dt.datetime
) -> tuple[Participant, Participant]:
    """Record that the pair is asked (the row is unique per pair: a second asking fails on
    commit with IntegrityError); returns (sharer, learner) to ask."""
    session.add(Nudge(pair_id=pair_id, kind="fit_question", period_key="first", sent_at=now))
    pair = await session.get(Pair, pair_id)
    assert pair is not None
    sharer = await session.get(Participant, pair.sharer_id)
    learner = await session.get(Participant, pair.learner_id)
    assert sharer is not None and learner is not None
    return sharer, learner


async def record_fit(
    session: AsyncSession,
    pair_id: int,
    user_id: str,
    *,
    works: bool,
    reason: str | None,
    now: dt.datetime,
) -> tuple[Pair, Participant, Participant] | None:
    """Store the person's first answer; returns (pair, me, partner), or None if not their pair."""
    pair = await session.get(Pair, pair_id)
    me = await people.get_participant(session, user_id)
    if pair is None or me is None or me.id not in (pair.sharer_id, pair.learner_id):
        return None
    partner = await people.partner_in(session, pair, me)
    feedback = await session.scalar(
        select(PairingFeedback).where(
            PairingFeedback.pair_id == pair.id, PairingFeedback.participant_id == me.id
        )
    )
    if feedback is None:
        session.add(
            PairingFeedback(
                pair_id=pair.id,
                participant_id=me.id,
                works=works,
                repair_requested=not works,
                private_reason=reason,
            )
        )
    if not works and pair.status == PairStatus.ACTIVE:
        await people.end_pair(session, pair, "repair", now)
    return pair, me, partner
