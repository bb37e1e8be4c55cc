"""Enrolments: every program a person has been in, in which role, and how it ended for them.

A person is in one program at a time (``participants.program_id``: the pool matching reads, the
program their App Home shows) but in several over a year, and their profile and goals carry
over. Each program's figures (HR's programs list, its report) count its own enrolments, so they
stay as they were when the program closed, however its people move on: an enrolment that ends
keeps the person's status, department and topics of that moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Enrolment,
    OrgPerson,
    Participant,
    ParticipantStatus,
    Program,
    ProgramStatus,
    reported_department,
)


async def move_out(session: AsyncSession, participant: Participant, now: dt.datetime) -> None:
    """The person is leaving the program they are in for another (the caller has checked they
    are in no running pair there): their place in it, if it still runs, ends as "left", with
    their department and topics of this moment. Called before the sign-up that moves them
    changes their profile, so that program keeps the person it had. A closed program's place
    stays as it was when it closed."""
    await session.execute(
        update(Enrolment)
        .where(
            Enrolment.participant_id == participant.id,
            Enrolment.program_id == participant.program_id,
            Enrolment.final_status.is_(None),
        )
        .values(final_status=ParticipantStatus.LEFT, ended_at=now, **_as_they_are())
    )
    participant.waiting_reason = None


def new_enrolment(participant: Participant, program: Program, now: dt.datetime) -> Enrolment:
    """A person's first place in `program`, in the role they chose."""
    return Enrolment(
        program_id=program.id,
        participant_id=participant.id,
        role=participant.role,
        enrolled_at=now,
    )


async def enrol(
    session: AsyncSession, participant: Participant, program: Program, now: dt.datetime
) -> None:
    """Put the person in `program`; their place in another program has ended already
    (`move_out`)."""
    participant.program_id = program.id
    row = await session.scalar(
        select(Enrolment).where(
            Enrolment.program_id == program.id, Enrolment.participant_id == participant.id
        )
    )
    if row is None:
        session.add(new_enrolment(participant, program, now))
    elif program.status == ProgramStatus.OPEN:
        row.role = participant.role  # their role in it is the one they chose last
        # Back in a program they had left: it reads them as they are again until it ends.
        row.final_status, row.ended_at = None, None
        row.department, row.share_topics, row.learn_topics = None, None, None


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
    """On closing: keep each member's status, department and topics of this moment as the ones
    the program counts, so its report reads the same when they change later."""
    status_now = (
        select(Participant.status)
        .where(Participant.id == Enrolment.participant_id)
        .scalar_subquery()
    )
    await session.execute(
        update(Enrolment)
        .where(Enrolment.program_id == program.id, Enrolment.final_status.is_(None))
        .values(final_status=status_now, ended_at=now, **_as_they_are())
    )


async def forget(session: AsyncSession, participant: Participant) -> None:
    """Erasure: the department and topics kept on the person's enrolments are theirs too."""
    await session.execute(
        update(Enrolment)
        .where(Enrolment.participant_id == participant.id)
        .values(department=None, share_topics=None, learn_topics=None)
    )


def _as_they_are() -> dict[str, Any]:
    """The values an ending enrolment keeps (an UPDATE of enrolments): the person's department
    as reports choose it and their topics, read from the database as they are now."""

    def now(column: Any) -> Any:
        return (
            select(column)
            .select_from(Participant)
            .outerjoin(OrgPerson, OrgPerson.slack_user_id == Participant.slack_user_id)
            .where(Participant.id == Enrolment.participant_id)
            .scalar_subquery()
        )

    return {
        "department": now(reported_department(Participant, OrgPerson)),
        "share_topics": now(Participant.share_topics),
        "learn_topics": now(Participant.learn_topics),
    }
