"""What the weekly check-in pass needs from the database, read in one transaction.

The pass itself (`bot.scheduler.checkins`) decides which weeks are due from these rows with plain
code; this module holds its queries, and the recording of which prompt a check-in carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import (
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    ProgramStatus,
    PromptDelivery,
)
from bot.prompts import Prompt
from bot.services import participants as people
from bot.services.meetings import MeetingState, confirmed_meetings


@dataclass
class PairRow:
    pair: Pair
    sharer: Participant
    learner: Participant
    program: Program


@dataclass
class PlanInputs:
    pairs: list[PairRow]
    posted: set[tuple[int, str]]  # (pair id, period key) already posted, or cancelled
    used_prompts: dict[int, set[str]]  # pair id -> prompt ids it has had
    goal_categories: dict[int, set[str]]  # participant id -> categories of open goals
    ratings: dict[str, float]  # prompt id -> net thumbs in [-1, 1]
    meetings: dict[int, MeetingState]  # pair id -> its confirmed regular meeting


async def end_elapsed_pauses(session: AsyncSession, today: dt.date) -> None:
    """People whose pause has run out are active again before the pass looks at them."""
    paused = await session.scalars(
        select(Participant).where(
            Participant.status == ParticipantStatus.PAUSED,
            Participant.paused_until.is_not(None),
        )
    )
    for person in paused.all():
        people.refresh_pause(person, today)


async def active_pairs(session: AsyncSession) -> list[PairRow]:
    """Kicked-off active pairs of open programs, with both people and the program."""
    sharer, learner = aliased(Participant), aliased(Participant)
    rows = await session.execute(
        select(Pair, sharer, learner, Program)
        .join(sharer, Pair.sharer_id == sharer.id)
        .join(learner, Pair.learner_id == learner.id)
        .join(Program, Program.id == Pair.program_id)
        .where(
            Pair.status == PairStatus.ACTIVE,
            Pair.kickoff_ts.is_not(None),
            Program.status == ProgramStatus.OPEN,
        )
        .order_by(Pair.id)
    )
    return [PairRow(*row) for row in rows.all()]


async def prompt_ratings(session: AsyncSession) -> dict[str, float]:
    """Net thumbs per prompt across all pairs, in [-1, 1] (feedback loop into prompt choice)."""
    up, down = func.sum(Checkin.thumbs_up), func.sum(Checkin.thumbs_down)
    rows = await session.execute(
        select(Checkin.prompt_id, up, down)
        .where(Checkin.prompt_id.is_not(None))
        .group_by(Checkin.prompt_id)
        .having(up + down > 0)
    )
    return {
        prompt_id: float(up - down) / float(up + down)
        for prompt_id, up, down in rows.all()
        if prompt_id is not None  # (the query keeps only rated prompts; this tells the types)
    }


async def plan_inputs(session: AsyncSession, today: dt.date) -> PlanInputs:
    await end_elapsed_pauses(session, today)
    posted = await session.execute(
        select(Checkin.pair_id, Checkin.period_key).where(
            Checkin.status.in_([CheckinStatus.POSTED, CheckinStatus.CANCELLED])
        )
    )
    used: dict[int, set[str]] = {}
    for pair_id, prompt_id in await session.execute(
        select(PromptDelivery.pair_id, PromptDelivery.prompt_id)
    ):
        used.setdefault(pair_id, set()).add(prompt_id)
    categories: dict[int, set[str]] = {}
    for participant_id, category in await session.execute(
        select(Goal.participant_id, Goal.category).where(Goal.status == GoalStatus.OPEN)
    ):
        categories.setdefault(participant_id, set()).add(category)
    pairs = await active_pairs(session)
    return PlanInputs(
        pairs=pairs,
        posted={(pair_id, key) for pair_id, key in posted.all()},
        used_prompts=used,
        goal_categories=categories,
        ratings=await prompt_ratings(session),
        meetings=await confirmed_meetings(session, [row.pair.id for row in pairs]),
    )


async def fix_prompt(
    session: AsyncSession,
    checkin_id: int,
    choose: Callable[[], tuple[Prompt | None, str]],
    *,
    survey: str | None,
    now: dt.datetime,
) -> tuple[str | None, str | None]:
    """The prompt id and the survey a claimed check-in carries, chosen once (`choose` = prompt
    and why) and kept on the row so that a retry posts the same ones: a retry planned after the
    pair cancelled its last week would otherwise add the end survey that
    `bot.services.surveys` already gave the pair in a message of its own."""
    row = await session.get(Checkin, checkin_id)
    assert row is not None
    if row.prompt_id is not None:
        return row.prompt_id, row.survey
    prompt, reason = choose()
    row.prompt_id, row.survey = (prompt.id if prompt else None), survey
    if prompt is not None:
        session.add(
            PromptDelivery(
                pair_id=row.pair_id,
                prompt_id=prompt.id,
                checkin_id=row.id,
                week=row.week,
                reason=reason,
                delivered_at=now,
            )
        )
    return row.prompt_id, row.survey
