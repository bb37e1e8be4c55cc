"""The scheduled jobs, how often they run, and the guard that runs each slot once.

Every process (each web dyno, or a separate `mentorbot scheduler` worker) schedules the same jobs
on the same clock boundaries; the first to insert the job run for a slot runs it, the others see
the unique constraint and skip. Each run records its counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from bot.models import JobRun
from bot.scheduler.checkins import run_checkins
from bot.scheduler.closing import run_closing
from bot.scheduler.digest import run_digest
from bot.scheduler.kickoffs import PassCounts, run_kickoffs
from bot.scheduler.nudges import run_nudges

log = logging.getLogger(__name__)

JobFunction = Callable[[AppContext], Awaitable[PassCounts]]
JobTable = dict[str, tuple[JobFunction, BaseTrigger]]


def job_table(
    extra: dict[str, tuple[JobFunction, CronTrigger]] | None = None,
) -> dict[str, tuple[JobFunction, CronTrigger]]:
    """name -> (function, trigger). Check-ins run every 10 minutes so each pair's local time
    is met within 10 minutes; nudges hourly (sent only inside people's working hours); closing
    hourly (programs close after their last week; wrap-ups and final reports owed are posted)."""
    jobs: dict[str, tuple[JobFunction, CronTrigger]] = {
        "checkins": (run_checkins, CronTrigger(minute="*/10", timezone=dt.UTC)),
        "kickoffs": (run_kickoffs, CronTrigger(minute="5-59/15", timezone=dt.UTC)),
        "nudges": (run_nudges, CronTrigger(minute=30, timezone=dt.UTC)),
        "digest": (run_digest, CronTrigger(day_of_week="mon", hour=9, timezone=dt.UTC)),
        "closing": (run_closing, CronTrigger(minute=20, timezone=dt.UTC)),
    }
    jobs.update(extra or {})
    return jobs


async def run_job(ctx: AppContext, name: str, function: JobFunction, slot: str) -> JobRun | None:
    """Run one job for one slot unless another process already has; returns the run record."""
    ctx.tasks.enrol_current()  # shutdown lets a started pass finish
    started = ctx.clock.now()
    try:
        async with ctx.db.session() as session:
            run = JobRun(job_name=name, period_key=slot, started_at=started, status="running")
            session.add(run)
            await session.flush()
            run_id = run.id
    except IntegrityError:
        log.info("job slot already taken", extra={"job": name, "slot": slot})
        return None
    status, counts = "done", PassCounts()
    try:
        counts = await function(ctx)
    except Exception:
        status = "failed"
        log.exception("job failed", extra={"job": name, "slot": slot})
    async with ctx.db.session() as session:
        await session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                finished_at=ctx.clock.now(),
                status=status,
                sent=counts.sent,
                skipped=counts.skipped,
                failed=counts.failed,
            )
        )
        finished = await session.get(JobRun, run_id)
    log.info(
        "job finished",
        extra={
            "job": name,
            "slot": slot,
            "sent": counts.sent,
            "skipped": counts.skipped,
            "failed": counts.failed,
            "status": status,
        },
    )
    return finished


def slot_for(now: dt.datetime, minutes: int = 10) -> str:
    """The clock boundary a scheduled run belongs to (the same in every process)."""
    floored = now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)
    return floored.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def manual_slot(simulated: dt.datetime, real: dt.datetime) -> str:
    """The slot of a `mentorbot jobs run` pass: the instant it runs as, then the instant it ran,
    so every manual pass gets a slot of its own (never "already taken"). Both are written in
    UTC, to the microsecond, without separators: at most 54 characters, which
    `job_runs.period_key` holds whatever instants it is given."""
    return f"manual:{_compact(simulated)}:{_compact(real)}"


def _compact(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def build_scheduler(ctx: AppContext, jobs: JobTable) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    for name, (function, trigger) in jobs.items():

        async def fire(name: str = name, function: JobFunction = function) -> None:
            await run_job(ctx, name, function, slot_for(ctx.clock.now(), 5))

        scheduler.add_job(
            fire,
            trigger,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
        )
    return scheduler
