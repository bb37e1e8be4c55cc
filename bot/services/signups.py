"""Saving a sign-up: the profile, the program it joins (or why it cannot), and the facts the
confirmation tells the person. One transaction, no Slack: the listener acks and talks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import SignupForm
from bot.models import Goal, OrgPerson, Participant, ParticipantStatus, Program, ProgramStatus
from bot.services import participants as people
from bot.services import programs as cohorts
from bot.services.rematch import anyone_waiting, told_they_wait


@dataclass(frozen=True)
class Joining:
    """What the sign-up modal needs from the database (`joining`)."""

    participant: Participant | None
    org: OrgPerson | None
    open_programs: list[Program]  # oldest first
    topics_version: tuple[int | None, int]  # see `people.TopicCatalogue`
    someone_waits: frozenset[int]  # open programs with someone told they wait (`rematch`)


_ME = select(bindparam("user_id", type_=String).label("slack_user_id")).subquery()
# Built once: every join and sign-up runs it, and SQLAlchemy then reuses its compiled form
# (building it anew, with its aliases, cost more than running it).
_JOINING = (
    select(
        Participant,
        OrgPerson,
        Program,
        told_they_wait(Program.id).label("someone_waits"),
        *people.TOPICS_VERSION,
    )
    .select_from(_ME)
    .outerjoin(Participant, Participant.slack_user_id == _ME.c.slack_user_id)
    .outerjoin(
        OrgPerson,
        and_(OrgPerson.slack_user_id == _ME.c.slack_user_id, OrgPerson.in_org_data),
    )
    .outerjoin(Program, Program.status == ProgramStatus.OPEN)
    .order_by(Program.start_date, Program.id)
)


async def joining(session: AsyncSession, user_id: str) -> Joining:
    """The person's profile and org record, the open programs (and whether anyone in each was
    told they wait) and the topic catalogue's version, in one statement: `/mentoring join` is
    frequent, and each statement costs more CPU than the rows it returns. Each open program
    comes as a row of its own, beside the person's (outer-joined: with no program open there
    is still the one row)."""
    rows = (await session.execute(_JOINING, {"user_id": user_id})).all()
    first = rows[0]
    return Joining(
        participant=first[0],
        org=first[1],
        open_programs=[row[2] for row in rows if row[2] is not None],
        topics_version=(first[4], first[5]),
        someone_waits=frozenset(row[2].id for row in rows if row[2] is not None and row[3]),
    )


async def someone_waits(session: AsyncSession, program: Program, found: Joining) -> bool:
    """Whether anyone in `program` was told they wait: as `joining` read it, when it read that
    program (those a sign-up can choose), else asked now."""
    if any(open_program.id == program.id for open_program in found.open_programs):
        return program.id in found.someone_waits
    return await anyone_waiting(session, program)


@dataclass(frozen=True)
class SignupSaved:
    participant: Participant
    created: bool
    partner: Participant | None
    program: Program | None  # the program the person is in now (None: none open)
    enrolment: cohorts.Enrolment
    kept_in: str | None  # a running pair keeps them in this program, not the one chosen
    # Unpaired, active, and the program's pool has people told they wait: a late joiner's
    # rematch is worth running (`proposals.rematch_for` checks it again; known here, a
    # sign-up without it saves that transaction).
    rematch_due: bool = False
    added_goals: list[Goal] = field(default_factory=list)  # the first goal, if this sign-up set it


async def save_signup(
    session: AsyncSession,
    *,
    user_id: str,
    name: str | None,
    form: SignupForm,
    chosen_id: int | None,
    invited_id: int | None,
    next_round: bool,
    now: dt.datetime,
    found: Joining | None = None,
) -> tuple[SignupSaved | None, dict[str, str]]:
    """(what was saved, None) or (None, field errors: a program the person cannot join).

    HR's org data, when it lists the person, gives the department eligibility is checked on.
    `found`: `joining` as the caller's transaction has just read it."""
    found = found or await joining(session, user_id)
    current, org = found.participant, found.org
    enrolment = await cohorts.choose_for_signup(
        session,
        found.open_programs,
        department=org.department if org and org.department else form.department,
        chosen_id=chosen_id,
        invited_id=invited_id,
        current_id=current.program_id if current else None,
    )
    if enrolment.errors:
        return None, enrolment.errors
    program = enrolment.program
    participant, created, added_goals = await people.save_signup(
        session,
        user_id=user_id,
        current=current,
        display_name=name,
        form=form,
        program=program,
        now=now,
        next_round=next_round,
        org=org,
    )
    paired = None if created else await people.active_pair(session, participant)
    partner = await people.partner_in(session, paired, participant) if paired else None
    in_program = await session.get(Program, participant.program_id or 0)  # closed ones too
    joined = in_program if in_program and in_program.status != ProgramStatus.CLOSED else None
    kept_in = joined.name if joined and program and joined.id != program.id else None
    rematch_due = (
        partner is None
        and in_program is not None
        and participant.status == ParticipantStatus.ACTIVE
        and await someone_waits(session, in_program, found)
    )
    saved = SignupSaved(
        participant=participant,
        created=created,
        partner=partner,
        program=joined or program,
        enrolment=enrolment,
        kept_in=kept_in,
        rematch_due=rematch_due,
        added_goals=added_goals,
    )
    return saved, {}
