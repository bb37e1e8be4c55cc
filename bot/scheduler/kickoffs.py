"""Kickoff pass: every approved pair gets one group DM and one kickoff message in it.

Resumable: a pair whose kickoff is not recorded is picked up by the next pass; the group DM is
stored as soon as Slack returns it, and the message goes through the claim/deliver protocol.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import scheduling, slots
from bot.context import AppContext
from bot.models import (
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    Pair,
    PairStatus,
    Participant,
    Program,
    PromptDelivery,
)
from bot.prompts import choose_prompt
from bot.scheduler import delivery
from bot.services import meetings
from bot.services.programs import calendar
from bot.texts import text
from bot.views.kickoff import kickoff_blocks
from bot.views.meeting import proposal_blocks

log = logging.getLogger(__name__)
KICKOFF_PERIOD = "kickoff"


@dataclass
class PassCounts:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


async def pending_pairs(ctx: AppContext, program_id: int | None = None) -> list[int]:
    async with ctx.db.session() as session:
        query = select(Pair.id).where(Pair.status == PairStatus.ACTIVE, Pair.kickoff_ts.is_(None))
        if program_id is not None:
            query = query.where(Pair.program_id == program_id)
        return list((await session.scalars(query.order_by(Pair.id))).all())


async def open_group_dm(ctx: AppContext, pair: Pair, users: list[str]) -> str | None:
    """The pair's group DM (the two people and the bot); Slack returns the same one each time."""
    if pair.dm_channel_id:
        return pair.dm_channel_id
    try:
        response = await ctx.client.conversations_open(users=",".join(users))
    except (SlackApiError, OSError, TimeoutError) as exc:
        log.warning(
            "group DM not opened", extra={"pair": pair.id, "error_type": type(exc).__name__}
        )
        return None
    channel = response["channel"]["id"]
    async with ctx.db.session() as session:
        stored = await session.get(Pair, pair.id)
        assert stored is not None
        stored.dm_channel_id = channel
    return channel


async def kickoff_one(ctx: AppContext, pair_id: int) -> str:
    """Kick off one pair; returns 'sent', 'skipped' (done elsewhere) or 'failed'."""
    async with ctx.db.session() as session:
        pair = await session.get(Pair, pair_id)
        if pair is None or pair.kickoff_ts or pair.status != PairStatus.ACTIVE:
            return "skipped"
        program = await session.get(Program, pair.program_id)
        sharer = await session.get(Participant, pair.sharer_id)
        learner = await session.get(Participant, pair.learner_id)
        assert program and sharer and learner
        goal_rows = await session.scalars(
            select(Goal).where(
                Goal.participant_id.in_([sharer.id, learner.id]), Goal.status == GoalStatus.OPEN
            )
        )
        goals: dict[int, list[Goal]] = {}
        for goal in goal_rows:
            goals.setdefault(goal.participant_id, []).append(goal)
    channel = await open_group_dm(ctx, pair, [sharer.slack_user_id, learner.slack_user_id])
    if channel is None:
        return "failed"
    meeting = await propose_meeting(ctx, pair, program, sharer, learner)
    claimed = await delivery.claim(
        ctx,
        pair_id=pair.id,
        period_key=KICKOFF_PERIOD,
        week=1,
        kind="kickoff",
        due_at=ctx.clock.now(),
    )
    if claimed is None:
        return await adopt_posted_kickoff(ctx, pair.id)
    categories = sorted({g.category for gs in goals.values() for g in gs})
    choice = choose_prompt(
        ctx.prompts,
        pair_key=f"pair-{pair.id}",
        week=1,
        total_weeks=program.length_weeks,
        goal_categories=categories,
        used_ids=(),
    )
    prompt_text = choice.prompt.text if choice else ""
    blocks = kickoff_blocks(
        program=program,
        sharer=sharer,
        learner=learner,
        reasons=pair.reasons,
        goals=goals,
        prompt_text=prompt_text,
        meeting=meeting,
    )
    extra = {"prompt_id": choice.prompt.id} if choice else None
    ts = await delivery.deliver(
        ctx, claimed, channel=channel, text=text("kickoff.fallback"), blocks=blocks, extra=extra
    )
    if ts is None:
        return "failed"
    async with ctx.db.session() as session:
        stored = await session.get(Pair, pair.id)
        assert stored is not None
        stored.kickoff_ts = ts
        if choice and not await session.scalar(
            select(PromptDelivery.id).where(
                PromptDelivery.pair_id == pair.id, PromptDelivery.prompt_id == choice.prompt.id
            )
        ):
            session.add(
                PromptDelivery(
                    pair_id=pair.id,
                    prompt_id=choice.prompt.id,
                    checkin_id=claimed.checkin_id,
                    week=1,
                    reason=choice.reason,
                    delivered_at=ctx.clock.now(),
                )
            )
    return "sent"


async def propose_meeting(
    ctx: AppContext, pair: Pair, program: Program, sharer: Participant, learner: Participant
) -> list[dict] | None:
    """The pair's proposed regular meeting time as kickoff blocks (stored once per pair; a
    retried kickoff shows the same proposal). None when the program has no meeting left."""
    now = ctx.clock.now()
    # Tens of milliseconds of pure Python per pair: off the event loop, so acks keep flowing.
    choice = await asyncio.to_thread(meetings.choose_for, program, sharer, learner, now)
    try:
        async with ctx.db.session() as session:
            meeting = await meetings.ensure_proposal(session, pair, choice, now)
    except IntegrityError:  # another pass stored it first
        async with ctx.db.session() as session:
            meeting = await meetings.ensure_proposal(session, pair, choice, now)
    if meeting is None:
        return None
    option = slots.evaluate(
        slots.Slot(meeting.weekday, meeting.start_time, meeting.minutes, meeting.tz),
        [meetings.person_of(sharer), meetings.person_of(learner)],
        scheduling.meeting_weeks(calendar(program)),
        now,
    )
    if option is None:
        return None
    return proposal_blocks(
        meeting_id=meeting.id,
        version=meeting.version,
        option=option,
        people=[(sharer.slack_user_id, sharer.timezone), (learner.slack_user_id, learner.timezone)],
        cadence_weeks=program.cadence_weeks,
        overlap=choice.overlap,
    )


async def adopt_posted_kickoff(ctx: AppContext, pair_id: int) -> str:
    """A kickoff posted by a pass that stopped before noting it on the pair: note it now.

    Otherwise the pair stayed pending forever (and never got check-ins, which wait for the
    kickoff), as every later pass found the kickoff row posted and skipped it.
    """
    async with ctx.db.session() as session:
        posted = await session.scalar(
            select(Checkin).where(
                Checkin.pair_id == pair_id,
                Checkin.period_key == KICKOFF_PERIOD,
                Checkin.status == CheckinStatus.POSTED,
                Checkin.message_ts.is_not(None),
            )
        )
        pair = await session.get(Pair, pair_id)
        if posted is not None and pair is not None and not pair.kickoff_ts:
            pair.kickoff_ts = posted.message_ts
            if posted.prompt_id and not await session.scalar(
                select(PromptDelivery.id).where(
                    PromptDelivery.pair_id == pair_id, PromptDelivery.prompt_id == posted.prompt_id
                )
            ):
                session.add(
                    PromptDelivery(
                        pair_id=pair_id,
                        prompt_id=posted.prompt_id,
                        checkin_id=posted.id,
                        week=1,
                        reason="kickoff prompt",
                        delivered_at=posted.sent_at or ctx.clock.now(),
                    )
                )
    return "skipped"  # nothing posted by this pass (or another pass holds the claim)


async def run_kickoffs(ctx: AppContext, program_id: int | None = None) -> PassCounts:
    """Kick off every pending pair, a bounded number at a time; one failure stops no other."""
    gate = asyncio.Semaphore(ctx.settings.slack_max_concurrency)

    async def guarded(pair_id: int) -> str:
        async with gate:
            try:
                return await kickoff_one(ctx, pair_id)
            except Exception:
                log.exception("kickoff failed", extra={"pair": pair_id})
                return "failed"

    outcomes = await asyncio.gather(*(guarded(p) for p in await pending_pairs(ctx, program_id)))
    counts = PassCounts()
    for outcome in outcomes:
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts
