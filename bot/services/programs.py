"""Programs (cohorts): which one is open, its calendar, and HR's edits."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import changed_rows
from bot.forms import ProgramForm
from bot.models import Participant, Program, ProgramStatus
from bot.scheduling import ProgramCalendar


async def open_program(session: AsyncSession) -> Program | None:
    """The program new people join: the most recently started open one."""
    return await session.scalar(
        select(Program)
        .where(Program.status == ProgramStatus.OPEN)
        .order_by(Program.start_date.desc(), Program.id.desc())
        .limit(1)
    )


def calendar(program: Program) -> ProgramCalendar:
    return ProgramCalendar(
        start_date=program.start_date,
        length_weeks=program.length_weeks,
        cadence_weeks=program.cadence_weeks,
        checkin_weekday=program.checkin_weekday,
        checkin_time=program.checkin_time,
    )


async def save_program(
    session: AsyncSession, form: ProgramForm, *, program_id: int | None, created_by: str
) -> tuple[Program, bool, int]:
    """Create or edit; people who signed up with no program open join it. Returns
    (program, created, how many waiting people joined)."""
    program = await session.get(Program, program_id) if program_id else None
    created = program is None
    if program is None:
        program = Program(created_by=created_by, status=ProgramStatus.OPEN)
        session.add(program)
    program.name = form.name
    program.start_date = form.start_date
    program.length_weeks = form.length_weeks
    program.cadence_weeks = form.cadence_weeks
    program.checkin_weekday = form.checkin_weekday
    program.checkin_time = form.checkin_time
    program.hr_channel_id = form.hr_channel_id
    await session.flush()
    joined = await changed_rows(
        session,
        update(Participant).where(Participant.program_id.is_(None)).values(program_id=program.id),
    )
    return program, created, joined
