"""Nobody stranded: when a pair ends early, or someone who fits joins a running program, the
people waiting for a partner get a proposal for HR at once, or are told plainly why they wait.

A program that has started matching keeps matching: its waiting pool is re-planned on each of
those events. A proposal is stored (and so posted to HR) only when it pairs at least one person;
otherwise the program's open proposal, if HR has one, is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Exists, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import (
    MatchProposal,
    Pair,
    Participant,
    ParticipantStatus,
    Program,
    ProgramStatus,
)
from bot.services import matching_service
from bot.texts import text

REQUESTED_BY = "mentorbot"


@dataclass
class Rematch:
    program: Program
    proposal: MatchProposal | None = None  # stored, to post to HR
    paired: list[str] = field(default_factory=list)  # people of interest in a proposed pair
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (person, why) still waiting


async def has_matched(session: AsyncSession, program: Program) -> bool:
    """Whether HR has matched this program before: its pool is then matched continuously."""
    return bool(await session.scalar(select(func.count()).where(Pair.program_id == program.id)))


async def rematch(
    session: AsyncSession, program: Program, people: list[Participant], now: dt.datetime
) -> Rematch | None:
    """Re-plan the program's waiting pool for `people` (a stranded partner, a late joiner).

    Returns None when there is nothing to do (program closed or never matched). Each of
    `people` ends up either in a proposed pair or with the reason they wait, stored for
    their App Home."""
    if program.status == ProgramStatus.CLOSED or not await has_matched(session, program):
        return None
    data = await matching_service.plan(session, program, excluded=[], now=now)
    outcome = Rematch(program)
    in_pairs = {item[side] for item in data["pairs"] for side in ("sharer", "learner")}
    reasons = {item["user"]: item["reason"] for item in data["unmatched"]}
    for person in people:
        if person.slack_user_id in in_pairs:
            outcome.paired.append(person.slack_user_id)
        else:
            reason = reasons.get(person.slack_user_id) or text("programs.waiting_reason_default")
            person.waiting_reason = reason
            outcome.waiting.append((person.slack_user_id, reason))
    if data["pairs"]:
        outcome.proposal = await matching_service.store(
            session, program, data, requested_by=REQUESTED_BY, excluded=[]
        )
    return outcome


def told_they_wait(program_id: Any) -> Exists:
    """Whether anyone of a program's pool was told they wait, `program_id` being a value or a
    column of the caller's statement: one EXISTS, whatever the size of the pool. A person told
    they wait is unpaired (pairing clears it)."""
    someone = aliased(Participant)  # never the caller's own Participant, if it has one
    return exists().where(
        someone.program_id == program_id,
        someone.status == ParticipantStatus.ACTIVE,
        someone.waiting_reason.is_not(None),
    )


# Built once: asked after each late joiner's sign-up that did not read it with its programs.
_TOLD_THEY_WAIT = select(told_they_wait(bindparam("program_id")))


async def anyone_waiting(session: AsyncSession, program: Program) -> bool:
    """Whether anyone of the program's pool was told they wait (a late joiner may fit them):
    one EXISTS, whatever the size of the pool."""
    return bool(await session.scalar(_TOLD_THEY_WAIT, {"program_id": program.id}))
