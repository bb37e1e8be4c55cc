"""Enrolments: every program a person has been in, in which role, and how it ended for them.

A person is in one program at a time (``participants.program_id``: the pool matching reads, the
program their App Home shows) but in several over a year, and their profile and goals carry
over. Each program's figures (HR's programs list, its report) count its own enrolments, so they
stay as they were when the program closed, however its people move on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Enrolment, Participant, ParticipantStatus, Program, ProgramStatus


async def enrol(
    session: AsyncSession,
    participant: Participant,
    program: Program,
    now: dt.datetime,
    *,
    first: bool = False,
) -> None:
    """Put the person in `program` (the caller has checked they are in no running pair
    elsewhere). Their place in another program still running ends as "left", since they left
    it for this one; a closed program's stays as it was when it closed. `first`: the person
    was created in this transaction, so no enrolment of theirs exists to look for."""
    previous = participant.program_id
    if previous is not None and previous != program.id:
        await session.execute(
            update(Enrolment)
            .where(
                Enrolment.participant_id == participant.id,
                Enrolment.program_id == previous,
                Enrolment.final_status.is_(None),
            )
            .values(final_status=ParticipantStatus.LEFT, ended_at=now)
        )
        participant.waiting_reason = None
    participant.program_id = program.id
    row = (
        None
        if first
        else await session.scalar(
            select(Enrolment).where(
                Enrolment.program_id == program.id, Enrolment.participant_id == participant.id
            )
        )
    )
    if row is None:
        session.add(
            Enrolment(
                program_id=program.id,
                participant_id=participant.id,
                role=participant.role,
                enrolled_at=now,
            )
        )
    elif program.status == ProgramStatus.OPEN:
        row.role = participant.role  # their role in it is the one they chose last
        row.final_status, row.ended_at = None, None  # back in a program they had left


async def still_in(session: AsyncSession) -> dict[int, int]:
    """Per program id, how many of its people are active or paused there (as it counts them)."""
    status = Enrolment.status_in_program()
    rows = await session.execute(
        select(Enrolment.program_id, func.count())
        .join(Participant, Participant.id == Enrolment.participant_id)
        .where(status.in_((ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED)))
        .group_by(Enrolment.program_id)
    )
    return {program_id: count for program_id, count in rows.all()}


async def freeze(session: AsyncSession, program: Program, now: dt.datetime) -> None:
    """On closing: keep each member's status of this moment as the one the program counts."""
    status_now = (
        select(Participant.status)
        .where(Participant.id == Enrolment.participant_id)
        .scalar_subquery()
    )
    await session.execute(
        update(Enrolment)
        .where(Enrolment.program_id == program.id, Enrolment.final_status.is_(None))
        .values(final_status=status_now, ended_at=now)
    )
