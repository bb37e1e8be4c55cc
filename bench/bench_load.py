"""Load benchmark against a real `mentorbot serve` process (not a test).

    python bench/bench_load.py [--db sqlite|postgresql] [--people 200] [--clicks 500]
                               [--in-flight 50] [--signup-window 0] [--click-window 0]
                               [--with-jobs [--job-pairs 2000]]

Starts the local Slack fake in this process and `mentorbot serve` as a child process pointed at it
(SLACK_API_URL) and at a fresh database (DATABASE_URL: a temporary SQLite file, or a throwaway
PostgreSQL database on TEST_DATABASE_URL's server). Then, over HTTP exactly as Slack sends them:

1. `--people` sign-ups (`/mentoring join`, then the modal submitted), at most `--in-flight` at a
   time, all at once (`--signup-window 0`) or arriving evenly over that many seconds;
2. pairs and two weeks of check-ins are set up (rows inserted, the check-in pass run from here
   against the same database and fake), then `--clicks` answers (attendance and a prompt rating
   from both people of each check-in), likewise.

With `--with-jobs` the served process also runs a check-in pass and a nudge pass, as `mentorbot
serve` runs its scheduled jobs, starting as it starts (so during the sign-ups), over
`--job-pairs` pairs: half have their week-3 check-in due, the other half's people are due a
reminder (`mentorbot_sandbox.load.add_pass_load`; `mentorbot_sandbox/serve_passes.py` serves on
a clock fixed at that moment). It reports when each pass finished, relative to the two phases.

Prints ack latency (p50, p99, max, over 3 s), requests that got no answer, and the rows stored.
Unlike tests/reliability/test_load.py the bot has its own process (and core) here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.db import async_url, upgrade  # noqa: E402
from bot.models import JobRun  # noqa: E402
from mentorbot_sandbox import FakeSlack  # noqa: E402
from mentorbot_sandbox.load import (  # noqa: E402
    PASSES_AT,
    add_pass_load,
    add_people,
    answer,
    bounded,
    close_scene,
    latency_summary,
    open_program,
    post_two_weeks_of_checkins,
    scene_context,
    sign_up,
    stored_rows,
)
from mentorbot_sandbox.served import ServeProcess  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def admin_sql(statement: str) -> None:
    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


async def fresh_database(kind: str, workdir: str) -> tuple[str, str | None]:
    """(url, PostgreSQL database name to drop afterwards); `mentorbot serve` migrates it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.sqlite3", None
    name = f"mentorbot_loadbench_{os.getpid()}"
    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{name}"')
    return PG_URL.rpartition("/")[0] + "/" + name, name


async def watch_passes(ctx, passes: dict[str, float], since: float) -> None:
    """Note when each scheduled pass finished (seconds after `serve` started) and what it did."""
    while len(passes) < 2:
        async with ctx.db.session() as session:
            runs = (await session.scalars(select(JobRun))).all()
        for run in runs:
            label = (
                f"{run.job_name} pass done ({run.sent} sent, {run.skipped} skipped, "
                f"{run.failed} failed)"
            )
            if run.status != "running" and not any(k.startswith(run.job_name) for k in passes):
                passes[label] = time.monotonic() - since
        await asyncio.sleep(0.5)


async def main(args: argparse.Namespace) -> int:
    workdir = tempfile.mkdtemp(prefix="mentorbot-bench-")
    database_url, pg_name = await fresh_database(args.db, workdir)
    fake = FakeSlack(
        signing_secret=secrets.token_hex(16),
        bot_token="xoxb-bench-" + secrets.token_hex(8),
        rate_limits=args.rate_limit_scale > 0,
        rate_limit_scale=args.rate_limit_scale or 1.0,
    )
    await fake.start()
    if args.with_jobs:
        served = ServeProcess(
            fake,
            database_url,
            program=("-m", "mentorbot_sandbox.serve_passes"),
            MENTORBOT_BENCH_CLOCK=PASSES_AT.isoformat(),
            MENTORBOT_BENCH_PASSES_IN="0",
        )
    else:
        served = ServeProcess(fake, database_url, jobs=False)
    ctx = None
    passes: dict[str, float] = {}
    try:
        if args.with_jobs:
            await asyncio.to_thread(upgrade, database_url)
            ctx = scene_context(fake, database_url)
            await add_pass_load(ctx, fake, args.job_pairs)
        served_at = time.monotonic()
        await served.start()
        ctx = ctx or scene_context(fake, database_url)
        watcher = None
        if args.with_jobs:
            watcher = asyncio.create_task(watch_passes(ctx, passes, served_at))
        await open_program(ctx)
        users = add_people(fake, args.people, prefix="U0BENCH")
        phases = {"sign-ups start": time.monotonic() - served_at}
        started = time.monotonic()
        joined = await bounded(
            [sign_up(fake, u, f"Goal number {i}") for i, u in enumerate(users)],
            args.in_flight,
            args.signup_window,
        )
        signup_seconds = time.monotonic() - started
        phases["sign-ups end"] = time.monotonic() - served_at
        signup_acks = list(fake.acks)
        await asyncio.sleep(2)  # confirmations and home tabs finish after the acks

        clicks = (await post_two_weeks_of_checkins(ctx, fake))[: args.clicks]
        acks_before = len(fake.acks)
        started = time.monotonic()
        phases["answers start"] = started - served_at
        await bounded([answer(fake, c) for c in clicks], args.in_flight, args.click_window)
        click_seconds = time.monotonic() - started
        phases["answers end"] = time.monotonic() - served_at
        click_acks = fake.acks[acks_before:]
        expected_answers = len({(c.user, c.ts) for c in clicks})

        async def all_answered() -> bool:
            return (await stored_rows(ctx)).answered >= expected_answers

        with contextlib.suppress(TimeoutError):  # what is missing after a minute is reported
            await fake.wait_for(all_answered, timeout=60)
        rows = await stored_rows(ctx)
        if watcher is not None:
            await asyncio.wait_for(watcher, timeout=900)
        print(f"mentorbot serve on {args.db}, {args.in_flight} in flight")
        if args.with_jobs:
            timeline = sorted({**phases, **passes}.items(), key=lambda kv: kv[1])
            print(
                "seconds after `serve` started: "
                + ", ".join(f"{name} {at:.1f}" for name, at in timeline)
            )
        completed = f"sign-ups ({sum(joined)}/{len(users)} completed)"
        print(latency_summary(completed, signup_acks, signup_seconds))
        print(latency_summary("check-in answers", click_acks, click_seconds))
        pass_people = (
            4 * (args.job_pairs // 2) if args.with_jobs else 0
        )  # theirs are not the load's
        print(
            f"rows stored: participants {rows.participants - pass_people}/{len(users)}, goals "
            f"{rows.goals}/{len(users)}, responses {rows.responses} ({rows.distinct_responses} "
            f"distinct; {rows.answered} with attendance and rating, {expected_answers} expected)"
        )
        print(
            f"Web API calls {fake.stats['total_calls']}, rate-limited "
            f"{fake.stats['total_ratelimited']}; CPU seconds: mentorbot serve "
            f"{served.cpu_seconds():.1f}, this process (fake and driver) "
            f"{time.process_time():.1f}"
        )
    finally:
        code = await served.terminate()
        print(
            f"mentorbot serve exited {code} after SIGTERM"
            if code is not None
            else "mentorbot serve did not exit within 20 s of SIGTERM: killed"
        )
        if ctx is not None:
            await close_scene(ctx)
        await fake.stop()
        if pg_name:
            await admin_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--clicks", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--signup-window", type=float, default=0.0, help="seconds; 0 = at once")
    parser.add_argument("--click-window", type=float, default=0.0, help="seconds; 0 = at once")
    parser.add_argument(
        "--with-jobs",
        action="store_true",
        help="the served process also runs a check-in and a nudge pass during the load",
    )
    parser.add_argument("--job-pairs", type=int, default=2000)
    parser.add_argument(
        "--rate-limit-scale", type=float, default=50.0, help="the fake's Slack limits x N; 0 = off"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
