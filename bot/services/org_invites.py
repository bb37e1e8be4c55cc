"""Inviting a segment of HR's org data to a program: who is eligible, once per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Enrolment, Invitation, OrgPerson, Participant, ParticipantStatus, Program
from bot.vocabulary import ExperienceBand


@dataclass(frozen=True)
class InviteCounts:
    invited_now: list[str]  # Slack ids to DM
    invited_before: int  # in the segment, invited earlier: not asked again
    invited_total: int
    joined: int  # invited people who joined the program (and stay counted if they move on)


async def claim_invitations(
    session: AsyncSession,
    program: Program,
    *,
    department: str | None,
    band: ExperienceBand | None,
    invited_by: str,
    now: dt.datetime,
) -> InviteCounts:
    """Record an invitation for everyone in the segment who has not joined and was never invited
    to this program; the rows are the claim, so two HR admins running it at once invite each
    person once (the unique row decides)."""
    segment = select(OrgPerson.slack_user_id).where(OrgPerson.in_org_data)
    if department is not None:
        segment = segment.where(func.lower(OrgPerson.department) == department.lower())
    if band is not None:
        segment = segment.where(OrgPerson.experience_band == band)
    joined = (
        select(Participant.slack_user_id)
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(Enrolment.program_id == program.id, Participant.status != ParticipantStatus.DELETED)
    )
    invited = select(Invitation.slack_user_id).where(Invitation.program_id == program.id)
    eligible = set(
        (await session.scalars(segment.where(OrgPerson.slack_user_id.not_in(joined)))).all()
    )
    already = set((await session.scalars(invited)).all())
    fresh = sorted(eligible - already)
    session.add_all(
        Invitation(program_id=program.id, slack_user_id=sid, invited_by=invited_by, sent_at=now)
        for sid in fresh
    )
    await session.flush()
    total, came = await invitation_counts(session, program)
    return InviteCounts(fresh, len(eligible & already), total, came)


async def invitation_counts(session: AsyncSession, program: Program) -> tuple[int, int]:
    """(people invited to the program, how many of them joined it)."""
    total = await session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.program_id == program.id)
    )
    came = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .join(Participant, Participant.slack_user_id == Invitation.slack_user_id)
        .join(
            Enrolment,
            (Enrolment.participant_id == Participant.id)
            & (Enrolment.program_id == Invitation.program_id),
        )
        .where(Invitation.program_id == program.id)
    )
    return int(total or 0), int(came or 0)
