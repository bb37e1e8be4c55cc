"""Nudges: one reminder to whoever hasn't answered, and a gentle note to pairs that stall.

Earlier than the usual three rounds: a reminder after REMINDER_AFTER_DAYS (sent only inside the
person's working hours on a weekday), and after two missed weeks in a row a note into the pair's
group DM offering a 15-minute format with a short prompt, plus an at-risk flag for HR.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import notify, scheduling
from bot.context import AppContext
from bot.models import (
    Checkin,
    CheckinStatus,
    Nudge,
    Outcome,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Response,
)
from bot.prompts import choose_prompt
from bot.scheduler.kickoffs import PassCounts
from bot.services import reports
from bot.texts import text
from bot.views.admin import at_risk_note_blocks, at_risk_note_text

log = logging.getLogger(__name__)
WEEK_DONE = dt.timedelta(days=6)  # a check-in's week is over when the next one is near


def in_working_hours(now: dt.datetime, tz: str) -> bool:
    local = now.astimezone(ZoneInfo(tz))
    return local.weekday() < 5 and 9 <= local.hour < 17


async def claim_nudge(ctx: AppContext, pair_id: int, kind: str, period_key: str) -> bool:
    """Record a nudge before sending it; False if it was already sent (by any process)."""
    try:
        async with ctx.db.session() as session:
            session.add(
                Nudge(pair_id=pair_id, kind=kind, period_key=period_key, sent_at=ctx.clock.now())
            )
        return True
    except IntegrityError:
        return False


async def send_reminders(ctx: AppContext, counts: PassCounts) -> None:
    now = ctx.clock.now()
    due_before = now - dt.timedelta(days=ctx.settings.reminder_after_days)
    async with ctx.db.session() as session:
        checkins = (
            await session.execute(
                select(Checkin, Pair)
                .join(Pair, Pair.id == Checkin.pair_id)
                .where(
                    Checkin.kind == "checkin",
                    Checkin.status == CheckinStatus.POSTED,
                    Checkin.sent_at <= due_before,
                    Checkin.sent_at > now - WEEK_DONE,
                    Pair.status == PairStatus.ACTIVE,
                )
            )
        ).all()
        answered = set(
            (
                await session.execute(
                    select(Response.checkin_id, Response.participant_id).where(
                        Response.checkin_id.in_([c.id for c, _ in checkins]),
                        Response.attendance.is_not(None)
                        | Response.feedback_submitted_at.is_not(None),
                    )
                )
            ).all()
        )
        todo = []
        for checkin, pair in checkins:
            for pid in (pair.sharer_id, pair.learner_id):
                if (checkin.id, pid) in answered:
                    continue
                person = await session.get(Participant, pid)
                if person and person.status == ParticipantStatus.ACTIVE:
                    todo.append((checkin, pair, person))
    for checkin, pair, person in todo:
        if not in_working_hours(now, person.timezone):
            counts.skipped += 1
            continue
        if not await claim_nudge(ctx, pair.id, f"remind:{person.id}", checkin.period_key):
            continue
        message = text("nudges.reminder", week=checkin.week, channel=checkin.channel_id)
        if await notify.dm(ctx, person.slack_user_id, message):
            counts.sent += 1
        else:
            counts.failed += 1


async def flag_pairs_at_risk(ctx: AppContext, counts: PassCounts) -> None:
    now = ctx.clock.now()
    async with ctx.db.session() as session:
        rows = (
            await session.execute(
                select(Checkin.pair_id, Checkin.period_key, Checkin.outcome)
                .join(Pair, Pair.id == Checkin.pair_id)
                .where(
                    Checkin.kind == "checkin",
                    Checkin.status == CheckinStatus.POSTED,
                    Checkin.sent_at <= now - WEEK_DONE,
                    Pair.status == PairStatus.ACTIVE,
                )
                .order_by(Checkin.pair_id, Checkin.week)
            )
        ).all()
        history: dict[int, list[tuple[str, str]]] = {}
        for pair_id, period_key, outcome in rows:
            history.setdefault(pair_id, []).append((period_key, Outcome(outcome).name.lower()))
        newly_at_risk = []
        for pair_id, outcomes in history.items():
            pair = await session.get(Pair, pair_id)
            assert pair is not None
            streak = scheduling.missed_streak([o for _, o in outcomes])
            at_risk = streak >= scheduling.AT_RISK_STREAK
            if at_risk and not pair.at_risk:
                newly_at_risk.append((pair, episode_key(outcomes, streak)))
            pair.at_risk = at_risk
    for pair, episode in newly_at_risk:
        # One note per episode: an answer arriving late can clear and re-raise the flag
        # within the same run of missed weeks, but the run began after the same check-in.
        if not await claim_nudge(ctx, pair.id, "at_risk_note", episode):
            continue
        choice = choose_prompt(
            ctx.prompts,
            pair_key=f"pair-{pair.id}-rescue",
            week=2,
            total_weeks=12,
            goal_categories=(),
            used_ids=(),
            at_risk=True,
        )
        note = text("nudges.at_risk", prompt=choice.prompt.text if choice else "")
        if pair.dm_channel_id and await notify.post(ctx, pair.dm_channel_id, note):
            counts.sent += 1
        action = await suggested_action(ctx, pair)
        async with ctx.db.session() as session:
            sharer = await session.get(Participant, pair.sharer_id)
            learner = await session.get(Participant, pair.learner_id)
            channel = await reports.hr_channel_of(ctx, session, pair.program_id)
        assert sharer and learner
        blocks = at_risk_note_blocks(pair.id, sharer.slack_user_id, learner.slack_user_id, action)
        note_for_hr = at_risk_note_text(sharer.slack_user_id, learner.slack_user_id, action)
        if await notify.hr(ctx, note_for_hr, blocks, channel=channel) is None:
            log.warning("at-risk note for HR not delivered", extra={"pair": pair.id})


def episode_key(outcomes: list[tuple[str, str]], streak: int) -> str:
    """The run of missed check-ins is named after the check-in before it (or the start)."""
    return f"after-{outcomes[-streak - 1][0]}" if len(outcomes) > streak else "start"


async def suggested_action(ctx: AppContext, pair: Pair) -> str:
    """Cancellations by the senior are the most common failure: say so when it is the pattern."""
    async with ctx.db.session() as session:
        senior_cancels = await session.scalar(
            select(func.count()).where(
                Checkin.pair_id == pair.id, Checkin.cancelled_by_learner.is_(True)
            )
        )
    return text("nudges.action_senior_cancels" if senior_cancels else "nudges.action_default")


async def run_nudges(ctx: AppContext) -> PassCounts:
    """Reminders for unanswered check-ins, then at-risk flags and notes."""
    counts = PassCounts()
    await send_reminders(ctx, counts)
    await flag_pairs_at_risk(ctx, counts)
    return counts
