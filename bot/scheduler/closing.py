"""Closing programs: by themselves after the end survey had its time, or when HR closes early.

Closing is a state change (`bot.services.programs.close`): the program's pairs end, so check-ins,
nudges and the digest skip it from then on. What closing posts is delivered by this pass, exactly
once like every scheduled post: each pair's wrap-up is a claimed row (period "wrapup") in
`bot.scheduler.delivery`, and the final report is claimed by a unique job-run row per program,
so a rerun, a crash or a second process never posts either twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import String, cast, delete, exists, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bot.context import AppContext
from bot.models import (
    COMPLETED,
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    JobRun,
    Pair,
    Participant,
    Program,
    ProgramStatus,
)
from bot.outbox import post_report
from bot.scheduler import delivery
from bot.scheduler.kickoffs import PassCounts
from bot.services import programs, reports
from bot.services.reports import hr_channel_for, summary
from bot.texts import text
from bot.texts.mrkdwn import escape
from bot.views.programs import wrapup_blocks

log = logging.getLogger(__name__)

WRAPUP_PERIOD = "wrapup"
FINAL_REPORT_JOB = "final_report"
GOAL_CHARS = 200


async def close_due_programs(ctx: AppContext) -> list[int]:
    """Close every open program whose end survey has had its time; returns their ids."""
    now = ctx.clock.now()
    closed = []
    async with ctx.db.session() as session:
        for program in await programs.due_to_close(session, now.date()):
            await programs.close(session, program, now)  # only open ones are due
            closed.append(program.id)
    for program_id in closed:
        log.info("program closed after its last week", extra={"program": program_id})
    return closed


async def pending_wrapups(ctx: AppContext, program_id: int | None) -> list[int]:
    """Pairs that were running when their program closed and have no posted wrap-up yet."""
    posted = exists().where(
        Checkin.pair_id == Pair.id,
        Checkin.period_key == WRAPUP_PERIOD,
        Checkin.status == CheckinStatus.POSTED,
    )
    query = select(Pair.id).where(
        Pair.end_reason == COMPLETED, Pair.dm_channel_id.is_not(None), ~posted
    )
    if program_id is not None:
        query = query.where(Pair.program_id == program_id)
    async with ctx.db.session() as session:
        return list((await session.scalars(query.order_by(Pair.id))).all())


async def post_wrapup(ctx: AppContext, pair_id: int) -> str:
    claimed = await delivery.claim(
        ctx, pair_id=pair_id, period_key=WRAPUP_PERIOD, week=0, kind="wrapup"
    )
    if claimed is None:
        return "skipped"
    sharer, learner = aliased(Participant), aliased(Participant)
    async with ctx.db.session() as session:
        pair, program, s, lrn = (
            await session.execute(
                select(Pair, Program, sharer, learner)
                .join(Program, Program.id == Pair.program_id)
                .join(sharer, sharer.id == Pair.sharer_id)
                .join(learner, learner.id == Pair.learner_id)
                .where(Pair.id == pair_id)
            )
        ).one()
        goals = (
            await session.execute(
                select(Goal.participant_id, Goal.description, Goal.status)
                .where(
                    Goal.participant_id.in_((s.id, lrn.id)),
                    Goal.status.in_((GoalStatus.OPEN, GoalStatus.ACHIEVED)),
                )
                .order_by(Goal.participant_id, Goal.id)
            )
        ).all()
        slack_ids = {s.id: s.slack_user_id, lrn.id: lrn.slack_user_id}
        blocks = wrapup_blocks(
            program_name=escape(program.name),
            sharer=s.slack_user_id,
            learner=lrn.slack_user_id,
            goals=[
                (slack_ids[who], escape(what, GOAL_CHARS), status == GoalStatus.ACHIEVED)
                for who, what, status in goals
                if what
            ],
        )
        channel = pair.dm_channel_id
    assert channel is not None
    ts = await delivery.deliver(
        ctx, claimed, channel=channel, text=text("programs.wrapup_fallback"), blocks=blocks
    )
    return "sent" if ts else "failed"


async def post_final_report(ctx: AppContext, program: Program) -> str:
    """The program's final report in its HR channel, once: the job-run row is the claim; if
    Slack refused, the claim is dropped so the next pass tries again."""
    channel = hr_channel_for(ctx, program)
    if channel is None:
        return "skipped"
    key = f"program-{program.id}"
    try:
        async with ctx.db.session() as session:
            claim = JobRun(job_name=FINAL_REPORT_JOB, period_key=key, started_at=ctx.clock.now())
            session.add(claim)
            await session.flush()
            claim_id = claim.id
    except IntegrityError:
        return "skipped"
    intro = text("programs.final_report_intro", name=escape(program.name))
    async with ctx.db.session() as session:
        report = await summary(ctx, session, program, weeks=None)
        learning = await reports.learning(ctx, session, program)
    if await post_report(ctx, channel, report, intro=intro, learning=learning):
        async with ctx.db.session() as session:
            await session.execute(
                update(JobRun)
                .where(JobRun.id == claim_id)
                .values(status="done", finished_at=ctx.clock.now(), sent=1)
            )
        return "sent"
    async with ctx.db.session() as session:
        await session.execute(delete(JobRun).where(JobRun.id == claim_id))
    return "failed"


async def deliver_closing(ctx: AppContext, program_id: int | None = None) -> PassCounts:
    """Wrap-ups and final reports still owed by closed programs (one, or all)."""
    counts = PassCounts()
    for pair_id in await pending_wrapups(ctx, program_id):
        outcome = await post_wrapup(ctx, pair_id)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    reported = exists().where(
        JobRun.job_name == FINAL_REPORT_JOB,
        JobRun.period_key == literal("program-") + cast(Program.id, String),
    )
    query = select(Program).where(Program.status == ProgramStatus.CLOSED, ~reported)
    if program_id is not None:
        query = query.where(Program.id == program_id)
    async with ctx.db.session() as session:
        owed = list((await session.scalars(query)).all())
    for program in owed:
        outcome = await post_final_report(ctx, program)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


async def run_closing(ctx: AppContext) -> PassCounts:
    """The scheduled pass: close what is due, then post what closing owes."""
    await close_due_programs(ctx)
    return await deliver_closing(ctx)
