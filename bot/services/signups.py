"""Saving a sign-up: the profile, the program it joins (or why it cannot), and the facts the
confirmation tells the person. One transaction, no Slack: the listener acks and talks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import SignupForm
from bot.models import Goal, Participant, ParticipantStatus, Program, ProgramStatus
from bot.services import participants as people
from bot.services import programs as cohorts
from bot.services.rematch import anyone_waiting


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
) -> tuple[SignupSaved | None, dict[str, str]]:
    """(what was saved, None) or (None, field errors: a program the person cannot join).

    HR's org data, when it lists the person, gives the department eligibility is checked on."""
    current, org = await people.with_org_record(session, user_id)
    enrolment = await cohorts.choose_for_signup(
        session,
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
        and await anyone_waiting(session, in_program)
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
