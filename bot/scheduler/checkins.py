"""The weekly check-in pass: every active pair gets its check-in at its local time, exactly once.

A pass can run any time (every few minutes from the scheduler, or `mentorbot jobs run
checkins --at ...`): it works out which pairs are due now, skips paused people and what is already
posted, and posts the rest concurrently within the Slack concurrency bound. One pair's failure
never stops the others; it is retried by the next pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bot import scheduling
from bot.context import AppContext
from bot.models import ParticipantStatus
from bot.prompts import Prompt, choose_prompt
from bot.scheduler import delivery
from bot.scheduler.kickoffs import PassCounts
from bot.services import checkin_plan, meetings, surveys
from bot.services.programs import calendar
from bot.texts import raw, text
from bot.views.checkin import checkin_blocks, end_survey_blocks

log = logging.getLogger(__name__)


@dataclass
class PlannedCheckin:
    pair_id: int
    channel: str
    week: int
    period_key: str
    due_at: dt.datetime
    total_weeks: int
    survey: str | None
    at_risk: bool
    goal_categories: list[str]
    used_prompts: set[str]
    status: list[tuple[str, bool]]


def survey_for_week(
    cal: scheduling.ProgramCalendar, week: int, weeks: list[int] | None = None
) -> str | None:
    """Mid survey on the first check-in at or after mid-program; end survey on the last one.

    `weeks` are the pair's check-in weeks (default: the program's): a week the pair cancelled
    has none, so the mid survey moves to the pair's next check-in.
    """
    weeks = sorted(weeks) if weeks is not None else scheduling.checkin_weeks(cal)
    if not weeks:
        return None
    if week == weeks[-1]:
        return "end"
    mid_target = scheduling.survey_weeks(cal)["mid"]
    mid = next((w for w in weeks if w >= mid_target), None)
    return "mid" if week == mid else None


async def plan(ctx: AppContext) -> tuple[list[PlannedCheckin], int, dict[str, float]]:
    """Which check-ins are due now; returns (plans, pairs skipped as paused, prompt ratings)."""
    now = ctx.clock.now()
    async with ctx.db.session() as session:
        found = await checkin_plan.plan_inputs(session, now.date())
    plans: list[PlannedCheckin] = []
    skipped = 0
    for row in found.pairs:
        if (
            row.sharer.status != ParticipantStatus.ACTIVE
            or (row.learner.status) != ParticipantStatus.ACTIVE
        ):
            skipped += 1
            continue
        plans.extend(due_checkins(row, found, now))
    return plans, skipped, found.ratings


def due_checkins(
    row: checkin_plan.PairRow, found: checkin_plan.PlanInputs, now: dt.datetime
) -> list[PlannedCheckin]:
    """The pair's check-ins due at `now` and not yet posted: after the pair's meeting that week
    when it confirmed a regular time, otherwise at the program's time."""
    pair, s, lrn = row.pair, row.sharer, row.learner
    cal = calendar(row.program)
    categories = found.goal_categories
    due = []
    send_times = meetings.send_times(cal, s, lrn, found.meetings.get(pair.id))
    for week in scheduling.latest_due(send_times, now):
        key = scheduling.period_key(cal, week)
        if (pair.id, key) in found.posted or not pair.dm_channel_id:
            continue
        due.append(
            PlannedCheckin(
                pair_id=pair.id,
                channel=pair.dm_channel_id,
                week=week,
                period_key=key,
                due_at=send_times[week],
                total_weeks=row.program.length_weeks,
                survey=survey_for_week(cal, week, list(send_times)),
                at_risk=pair.at_risk,
                goal_categories=sorted(categories.get(s.id, set()) | categories.get(lrn.id, set())),
                used_prompts=found.used_prompts.get(pair.id, set()),
                status=[(s.slack_user_id, False), (lrn.slack_user_id, False)],
            )
        )
    return due


def pick_prompt(
    ctx: AppContext, planned: PlannedCheckin, ratings: dict[str, float]
) -> tuple[Prompt | None, str]:
    choice = choose_prompt(
        ctx.prompts,
        pair_key=f"pair-{planned.pair_id}",
        week=planned.week,
        total_weeks=planned.total_weeks,
        goal_categories=planned.goal_categories,
        used_ids=planned.used_prompts,
        ratings=ratings,
        at_risk=planned.at_risk,
    )
    return (choice.prompt, choice.reason) if choice else (None, "prompt library exhausted")


async def post_one(ctx: AppContext, planned: PlannedCheckin, ratings: dict[str, float]) -> str:
    """Claim, choose the prompt (kept on the row so a retry posts the same one), post, record."""
    claimed = await delivery.claim(
        ctx,
        pair_id=planned.pair_id,
        period_key=planned.period_key,
        week=planned.week,
        kind="checkin",
        due_at=planned.due_at,
    )
    if claimed is None:
        return "skipped"
    async with ctx.db.session() as session:
        prompt_id, survey = await checkin_plan.fix_prompt(
            session,
            claimed.checkin_id,
            lambda: pick_prompt(ctx, planned, ratings),
            survey=planned.survey,
            now=ctx.clock.now(),
        )
    prompt = next((p for p in ctx.prompts if p.id == prompt_id), None)
    blocks = checkin_blocks(
        checkin_id=claimed.checkin_id,
        week=planned.week,
        prompt_text=prompt.text if prompt else "",
        survey=survey,
        status=planned.status,
    )
    ts = await delivery.deliver(
        ctx,
        claimed,
        channel=planned.channel,
        text=text("checkin.fallback", week=planned.week),
        blocks=blocks,
    )
    return "sent" if ts else "failed"


async def post_end_survey(
    ctx: AppContext, claimed: delivery.Claim, channel: str, checkin_id: int
) -> str:
    """The end survey in a message of its own (`bot.services.surveys`), posted once: by the
    cancelling click that stored its row, or by a later pass when that post did not happen."""
    name = raw("checkin.survey_names")[surveys.END]
    ts = await delivery.deliver(
        ctx,
        claimed,
        channel=channel,
        text=text("checkin.end_survey_fallback", survey=name),
        blocks=end_survey_blocks(checkin_id),
    )
    return "sent" if ts else "failed"


async def post_owed_end_survey(ctx: AppContext, owed: surveys.OwedSurvey) -> str:
    claimed = await delivery.claim(
        ctx,
        pair_id=owed.pair_id,
        period_key=surveys.END_SURVEY_PERIOD,
        week=owed.week,
        kind=surveys.END_SURVEY_KIND,
    )
    if claimed is None:  # posted meanwhile, or its click still holds the claim
        return "skipped"
    return await post_end_survey(ctx, claimed, owed.channel, owed.checkin_id)


async def run_checkins(ctx: AppContext) -> PassCounts:
    """One pass: post every check-in due now, and every end survey a cancelling click stored
    but did not post, a bounded number at a time."""
    plans, paused, ratings = await plan(ctx)
    async with ctx.db.session() as session:
        owed = await surveys.owed_end_surveys(session)
    gate = asyncio.Semaphore(ctx.settings.slack_max_concurrency)

    async def guarded(pair_id: int, post: Callable[[], Awaitable[str]]) -> str:
        async with gate:
            try:
                return await post()  # made here: a pass cancelled at the gate leaves none behind
            except Exception:
                log.exception("scheduled post failed", extra={"pair": pair_id})
                return "failed"

    outcomes = await asyncio.gather(
        *(guarded(p.pair_id, partial(post_one, ctx, p, ratings)) for p in plans),
        *(guarded(o.pair_id, partial(post_owed_end_survey, ctx, o)) for o in owed),
    )
    counts = PassCounts(skipped=paused)
    for outcome in outcomes:
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts
