"""The next round: people of earlier programs who asked to be invited to the next one."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Pair, PairStatus, Participant, ParticipantStatus, Program
from bot.services.programs import eligible


async def next_round_people(session: AsyncSession, program: Program | None) -> list[Participant]:
    """Who a new program may invite: opted in, still here (not left or erased), not in a
    running pair, not already in this program, and eligible for it (any program if None)."""
    in_pair = select(Pair.id).where(
        Pair.status == PairStatus.ACTIVE,
        or_(Pair.sharer_id == Participant.id, Pair.learner_id == Participant.id),
    )
    query = select(Participant).where(
        Participant.next_round.is_(True),
        Participant.status.in_((ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED)),
        ~in_pair.exists(),
    )
    if program is not None:
        query = query.where(
            or_(Participant.program_id.is_(None), Participant.program_id != program.id)
        )
    people = (await session.scalars(query.order_by(Participant.id))).all()
    return [p for p in people if program is None or eligible(program, p.department)]
