"""Kickoff pass: every approved pair gets one group DM and one kickoff message in it.

Resumable: a pair whose kickoff is not recorded is picked up by the next pass; the group DM is
stored as soon as Slack returns it, and the message goes through the claim/deliver protocol.
The same pass proposes a regular meeting time, once, to running pairs kicked off before meeting
times existed (their kickoff had none), through the same protocol.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import scheduling, slots
from bot.context import AppContext
from bot.models import Pair, Program
from bot.prompts import Choice, choose_prompt
from bot.scheduler import delivery
from bot.services import kickoffs, meetings
from bot.services.kickoffs import KICKOFF_PERIOD, MEETING_PERIOD
from bot.services.programs import calendar
from bot.texts import text
from bot.views import blocks as b
from bot.views.kickoff import kickoff_blocks
from bot.views.meeting import proposal_blocks

log = logging.getLogger(__name__)
Step = Callable[[AppContext, int], Awaitable[str | None]]  # one pair's part of the pass
__all__ = ["KICKOFF_PERIOD", "PassCounts", "run_kickoffs"]


@dataclass
class PassCounts:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


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
    channel: str = response["channel"]["id"]
    async with ctx.db.session() as session:
        await kickoffs.store_group_dm(session, pair.id, channel)
    return channel


async def kickoff_one(ctx: AppContext, pair_id: int) -> str:
    """Kick off one pair; returns 'sent', 'skipped' (done elsewhere) or 'failed'."""
    async with ctx.db.session() as session:
        found = await kickoffs.pair_to_kick_off(session, pair_id)
    if found is None:
        return "skipped"
    people = [found.sharer.slack_user_id, found.learner.slack_user_id]
    channel = await open_group_dm(ctx, found.pair, people)
    if channel is None:
        return "failed"
    claimed = await delivery.claim(
        ctx, pair_id=pair_id, period_key=KICKOFF_PERIOD, week=1, kind="kickoff"
    )
    if claimed is None:
        async with ctx.db.session() as session:
            await kickoffs.adopt_posted_kickoff(session, pair_id, ctx.clock.now())
        return "skipped"  # nothing posted by this pass (or another pass holds the claim)
    choice = choose_prompt(
        ctx.prompts,
        pair_key=f"pair-{pair_id}",
        week=1,
        total_weeks=found.program.length_weeks,
        goal_categories=found.goal_categories,
        used_ids=(),
    )
    meeting = await propose_meeting(ctx, found)
    ts = await post_kickoff(ctx, found, claimed, channel, choice, meeting)
    if ts is None:
        return "failed"
    async with ctx.db.session() as session:
        await kickoffs.record_kickoff(session, pair_id, ts)
        if choice:
            await kickoffs.note_prompt(
                session,
                pair_id,
                choice.prompt.id,
                checkin_id=claimed.checkin_id,
                reason=choice.reason,
                at=ctx.clock.now(),
            )
    return "sent"


async def post_kickoff(
    ctx: AppContext,
    found: kickoffs.KickoffPair,
    claimed: delivery.Claim,
    channel: str,
    choice: Choice | None,
    meeting: list[dict[str, Any]] | None = None,
) -> str | None:
    """Post the kickoff message through the claim; returns its ts, or None if it did not go out."""
    blocks = kickoff_blocks(
        program=found.program,
        sharer=found.sharer,
        learner=found.learner,
        reasons=found.pair.reasons,
        goals=found.goals,
        prompt_text=choice.prompt.text if choice else "",
        meeting=meeting,
    )
    extra = {"prompt_id": choice.prompt.id} if choice else None
    return await delivery.deliver(
        ctx, claimed, channel=channel, text=text("kickoff.fallback"), blocks=blocks, extra=extra
    )


async def propose_meeting(
    ctx: AppContext, found: kickoffs.KickoffPair
) -> list[dict[str, Any]] | None:
    """The pair's proposed regular meeting time as kickoff blocks (stored once per pair; a
    retried kickoff shows the same proposal). None when the program has no meeting left."""
    now = ctx.clock.now()
    program, sharer, learner = found.program, found.sharer, found.learner
    # Tens of milliseconds of pure Python per pair: off the event loop, so acks keep flowing.
    choice = await asyncio.to_thread(meetings.choose_for, program, sharer, learner, now)
    try:
        async with ctx.db.session() as session:
            meeting = await meetings.ensure_proposal(session, found.pair, choice, now)
    except IntegrityError:  # another pass stored it first
        async with ctx.db.session() as session:
            meeting = await meetings.ensure_proposal(session, found.pair, choice, now)
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


def meetings_ahead(program: Program, now: dt.datetime) -> bool:
    """Whether the program still has a meeting week that has not ended."""
    weeks = scheduling.meeting_weeks(calendar(program))
    return bool(weeks) and weeks[-1][1] + dt.timedelta(days=7) > now.date()


async def propose_to_running_pair(ctx: AppContext, pair_id: int) -> str | None:
    """A meeting-time proposal for a pair kicked off without one: claimed first, so it is posted
    once (a rerun after a crash finds the claim, or the post in the channel); None when the
    program has no meeting left to propose."""
    async with ctx.db.session() as session:
        found = await kickoffs.running_pair(session, pair_id)
    now = ctx.clock.now()
    if found is None or not found.pair.dm_channel_id or not meetings_ahead(found.program, now):
        return None
    week = scheduling.program_week(calendar(found.program), now.date()) or 1
    claimed = await delivery.claim(
        ctx, pair_id=pair_id, period_key=MEETING_PERIOD, week=week, kind="meeting", due_at=now
    )
    if claimed is None:
        return "skipped"
    meeting = await propose_meeting(ctx, found)
    if meeting is None:
        await delivery.release(ctx, claimed.checkin_id)
        return "failed"
    blocks = [b.section(text("meeting.late_intro")), *meeting]
    ts = await delivery.deliver(
        ctx, claimed, channel=found.pair.dm_channel_id, text=text("meeting.heading"), blocks=blocks
    )
    return "sent" if ts else "failed"


async def run_kickoffs(ctx: AppContext, program_id: int | None = None) -> PassCounts:
    """Propose meeting times to running pairs that never had one, then kick off every pending
    pair (in that order, so a kickoff adopted in this pass is not taken for an old one), a
    bounded number at a time; one failure stops no other."""
    gate = asyncio.Semaphore(ctx.settings.slack_max_concurrency)

    async def guarded(pair_id: int, step: Step) -> str | None:
        async with gate:
            try:
                return await step(ctx, pair_id)
            except Exception:
                log.exception("kickoff failed", extra={"pair": pair_id})
                return "failed"

    async with ctx.db.session() as session:
        running = [] if program_id is not None else await kickoffs.pairs_without_meeting(session)
    outcomes = list(await asyncio.gather(*(guarded(p, propose_to_running_pair) for p in running)))
    async with ctx.db.session() as session:
        pending = await kickoffs.pending_pairs(session, program_id)
    outcomes += await asyncio.gather(*(guarded(p, kickoff_one) for p in pending))
    counts = PassCounts()
    for outcome in outcomes:
        if outcome is not None:
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts
