"""Programs (cohorts): several at once, found by name; their calendar, status and closing.

HR runs reverse mentoring as repeated cohorts, often overlapping (a spring cohort, an
engineering-only one), so every admin command that acts on a program takes its name. A command
without a name acts on the one active program; with several it must not guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import ids, scheduling
from bot.db import changed_rows
from bot.forms import ProgramForm
from bot.models import (
    COMPLETED,
    Pair,
    PairStatus,
    Participant,
    Program,
    ProgramStatus,
)
from bot.refusals import Refusal
from bot.scheduling import ProgramCalendar
from bot.services import enrolments
from bot.texts import text
from bot.texts.mrkdwn import Mrkdwn, escape

ENROLLING, RUNNING, CLOSED = "enrolling", "running", "closed"


async def open_program(session: AsyncSession) -> Program | None:
    """The program new people join when nobody says which: the most recently started open one."""
    return await session.scalar(
        select(Program)
        .where(Program.status == ProgramStatus.OPEN)
        .order_by(Program.start_date.desc(), Program.id.desc())
        .limit(1)
    )


async def active_programs(session: AsyncSession) -> list[Program]:
    """Programs not closed yet, oldest first."""
    rows = await session.scalars(
        select(Program)
        .where(Program.status == ProgramStatus.OPEN)
        .order_by(Program.start_date, Program.id)
    )
    return list(rows.all())


async def all_programs(session: AsyncSession) -> list[Program]:
    rows = await session.scalars(select(Program).order_by(Program.start_date, Program.id))
    return list(rows.all())


def clean_name(name: str | None) -> str:
    """The name as typed after the command, without quotes or extra spaces."""
    return " ".join((name or "").split()).strip("\"“”'")


async def by_name(session: AsyncSession, name: str) -> Program | None:
    """The program with this name, ignoring case and spacing."""
    wanted = clean_name(name).lower()
    return await session.scalar(select(Program).where(func.lower(Program.name) == wanted))


def names_list(programs: list[Program]) -> str:
    listed = ", ".join(f"*{escape(p.name)}*" for p in programs)
    return Mrkdwn(listed) if listed else text("programs.none_yet")


async def resolve(
    session: AsyncSession, name: str | None, *, none_key: str = "admin.no_program"
) -> Program:
    """The program a command means; a Refusal saying what to tell HR instead.

    A name must match one program exactly (any status: a closed program stays readable). With
    no name, the one active program; with none active or several, the list of names, never a
    guess."""
    if clean_name(name):
        program = await by_name(session, name or "")
        if program is not None:
            return program
        known = names_list(await all_programs(session))
        raise Refusal("programs.unknown", name=escape(clean_name(name)), names=known)
    active = await active_programs(session)
    if len(active) == 1:
        return active[0]
    if not active:
        raise Refusal(none_key)
    raise Refusal("programs.which_one", names=names_list(active))


def calendar(program: Program) -> ProgramCalendar:
    return ProgramCalendar(
        start_date=program.start_date,
        length_weeks=program.length_weeks,
        cadence_weeks=program.cadence_weeks,
        checkin_weekday=program.checkin_weekday,
        checkin_time=program.checkin_time,
    )


END_SURVEY_TIME = dt.timedelta(days=7)


def last_day(program: Program) -> dt.date:
    """The last day of the program's final week."""
    return program.start_date + dt.timedelta(weeks=program.length_weeks, days=-1)


def closes_on(program: Program) -> dt.date:
    """When the program closes by itself: a week after its last check-in (which carries the
    end survey), so that everyone has had time to answer it."""
    cal = calendar(program)
    weeks = scheduling.checkin_weeks(cal)
    last = scheduling.checkin_date(cal, weeks[-1]) if weeks else last_day(program)
    return last + END_SURVEY_TIME


def status_of(program: Program, today: dt.date) -> str:
    """enrolling until the start date, running from then on, closed once closed."""
    if program.status == ProgramStatus.CLOSED:
        return CLOSED
    return ENROLLING if today < program.start_date else RUNNING


@dataclass(frozen=True)
class ProgramLine:
    program: Program
    status: str
    enrolled: int
    pairs: int


async def overview(session: AsyncSession, today: dt.date) -> list[ProgramLine]:
    """Every program with its status, how many people are in it and how many pairs it made."""
    programs = await all_programs(session)
    enrolled = await enrolments.still_in(session)
    pairs = dict(
        (
            await session.execute(select(Pair.program_id, func.count()).group_by(Pair.program_id))
        ).all()
    )
    return [
        ProgramLine(p, status_of(p, today), enrolled.get(p.id, 0), pairs.get(p.id, 0))
        for p in programs
    ]


async def save_program(
    session: AsyncSession,
    form: ProgramForm,
    *,
    program_id: int | None,
    created_by: str,
    now: dt.datetime,
) -> tuple[Program, bool, int]:
    """Create or edit a program; a Refusal for a name another program has, or a closed
    program. People who signed up while no program was open join it. Returns (program,
    created, how many waiting people joined)."""
    program = await session.get(Program, program_id) if program_id else None
    same_name = await by_name(session, form.name)
    if same_name is not None and same_name is not program:
        raise Refusal("programs.duplicate_name", name=form.name)
    if program is not None and program.status == ProgramStatus.CLOSED:
        raise Refusal("programs.edit_closed", name=program.name)
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
    program.eligible_departments = list(form.eligible_departments)
    program.different_departments = form.different_departments
    await session.flush()
    waiting = (
        await session.scalars(select(Participant).where(Participant.program_id.is_(None)))
    ).all()
    for person in waiting:
        await enrolments.enrol(session, person, program, now)
    return program, created, len(waiting)


def eligible(program: Program, department: str | None) -> bool:
    """Whether someone of this department may join (no list means everyone may)."""
    allowed = {d.lower() for d in program.eligible_departments or []}
    return not allowed or (department or "").strip().lower() in allowed


def label(program: Program) -> str:
    """The program's name, with who may join when it is not everyone."""
    if not program.eligible_departments:
        return program.name
    return text(
        "programs.choice_label", name=program.name, allowed=", ".join(program.eligible_departments)
    )


def open_to(department: str | None, open_programs: list[Program]) -> list[Program]:
    """The open programs someone of this department may join."""
    return [p for p in open_programs if eligible(p, department)]


async def close(session: AsyncSession, program: Program, now: dt.datetime) -> None:
    """Close the program: its pairs end ("completed"), check-ins, nudges and digests stop.
    A Refusal if it was closed already. Wrap-ups and the final report are posted by the
    closing pass (`bot.scheduler.closing`), exactly once."""
    closed = await changed_rows(
        session,
        update(Program)
        .where(Program.id == program.id, Program.status == ProgramStatus.OPEN)
        .values(status=ProgramStatus.CLOSED, closed_at=now),
    )
    if closed != 1:
        raise Refusal("programs.already_closed", name=escape(program.name))
    await enrolments.freeze(session, program, now)
    await session.execute(
        update(Pair)
        .where(Pair.program_id == program.id, Pair.status == PairStatus.ACTIVE)
        .values(status=PairStatus.ENDED, end_reason=COMPLETED, ended_at=now)
    )


async def due_to_close(session: AsyncSession, today: dt.date) -> list[Program]:
    """Open programs whose end survey has had its time."""
    return [p for p in await active_programs(session) if closes_on(p) <= today]


@dataclass(frozen=True)
class Enrolment:
    """Which program a sign-up goes to, or why none (a field error, or a note for the person)."""

    program: Program | None
    errors: dict[str, str]
    note: str | None = None


async def choose_for_signup(
    session: AsyncSession,
    open_programs: list[Program],
    *,
    department: str | None,
    chosen_id: int | None,
    invited_id: int | None,
    current_id: int | None,
) -> Enrolment:
    """The program a sign-up joins: the one chosen in the modal or invited to (it must be open
    and take this department), else the only open one that does. Several and no choice: the
    person's current one if it is among them, else the modal asks. `open_programs`: all of
    them, as the caller's transaction read them (`signups.joining`)."""
    wanted = chosen_id or invited_id
    open_to_them = open_to(department, open_programs)
    if wanted is not None:
        program = await session.get(Program, wanted)
        block = ids.B_JOIN_PROGRAM if chosen_id else ids.B_DEPARTMENT
        if program is None or program.status == ProgramStatus.CLOSED:
            return Enrolment(None, {block: text("programs.choose_needed")})
        if not eligible(program, department):
            allowed = ", ".join(program.eligible_departments)
            return Enrolment(
                None, {block: text("programs.not_eligible", name=program.name, allowed=allowed)}
            )
        return Enrolment(program, {})
    if len(open_to_them) == 1:
        return Enrolment(open_to_them[0], {})
    if not open_to_them:
        if open_programs:
            return Enrolment(None, {}, text("programs.no_eligible", department=department or "—"))
        return Enrolment(None, {})
    current = next((p for p in open_to_them if p.id == current_id), None)
    if current is not None:
        return Enrolment(current, {})
    return Enrolment(None, {ids.B_DEPARTMENT: text("programs.choose_needed")})
