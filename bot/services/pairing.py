"""Pairing fit: after the first meeting each person says, privately, whether the pairing works.

An answer is one row per person and pair; asking for a new partner ends the pair at once (HR is
told by the listener, with the reason only if one was given).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Exists, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db import changed_rows, upsert_insert
from bot.models import Nudge, Pair, PairingFeedback, PairStatus, Participant
from bot.services import participants as people

# The claim's row: one per pair, whoever's answer made it (`claim_fit_question`).
FIT_QUESTION = {"kind": "fit_question", "period_key": "first"}


def fit_question_asked(pair_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    """Whether the pair identified by `pair_id` (a column of the caller's statement) has been
    asked: a check-in click reads it with its scope and skips counting the pair's meetings."""
    return exists().where(
        Nudge.pair_id == pair_id,
        Nudge.kind == FIT_QUESTION["kind"],
        Nudge.period_key == FIT_QUESTION["period_key"],
    )


async def claim_fit_question(session: AsyncSession, pair_id: int, now: dt.datetime) -> bool:
    """Record that the pair is asked, in the transaction of the answer that recorded their
    first meeting; True when this transaction is the one that asks (the row is unique per
    pair: a second claim changes nothing)."""
    claim = (
        upsert_insert(session)(Nudge)
        .values(pair_id=pair_id, sent_at=now, **FIT_QUESTION)
        .on_conflict_do_nothing(index_elements=["pair_id", "kind", "period_key"])
    )
    return await changed_rows(session, claim) == 1


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
