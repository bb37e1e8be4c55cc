"""Load benchmark against a real `mentorbot serve` process (not a test).

    python bench/bench_load.py [--db sqlite|postgresql] [--people 200] [--clicks 500]
                               [--in-flight 50] [--signup-window 0] [--click-window 0]

Starts the local Slack fake in this process and `mentorbot serve` as a child process pointed at it
(SLACK_API_URL) and at a fresh database (DATABASE_URL: a temporary SQLite file, or a throwaway
PostgreSQL database on TEST_DATABASE_URL's server). Then, over HTTP exactly as Slack sends them:

1. `--people` sign-ups (`/mentoring join`, then the modal submitted), at most `--in-flight` at a
   time, all at once (`--signup-window 0`) or arriving evenly over that many seconds;
2. pairs and two weeks of check-ins are set up (rows inserted, the check-in pass run from here
   against the same database and fake), then `--clicks` answers (attendance and a prompt rating
   from both people of each check-in), likewise.

Prints ack latency (p50, p99, max, over 3 s), requests that got no answer, and the rows stored.
Unlike tests/reliability/test_load.py the bot has its own process (and core) here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot import ids  # noqa: E402
from bot.app import build_context  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import Database, async_url  # noqa: E402
from bot.models import Goal, Pair, Participant, Program, Response  # noqa: E402
from bot.sandbox import FakeSlack  # noqa: E402
from bot.scheduler.checkins import run_checkins  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
WEEK2_DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
ANSWERS = {
    ids.A_ROLE: "share",
    ids.A_EXPERIENCE: "0-2",
    ids.A_DEPARTMENT: "Marketing",
    ids.A_SHARE_TOPICS: ["generative AI tools"],
    ids.A_LEARN_TOPICS: ["strategic planning"],
    ids.A_TIMEZONE: "Europe/London",
    ids.A_DAYS: ["tue", "wed"],
    ids.A_GOAL["category"]: "tech_upskilling",
}


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a child process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def fresh_database(kind: str, workdir: str) -> tuple[str, str | None]:
    """(url, PostgreSQL database name to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.sqlite3", None
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"mentorbot_loadbench_{os.getpid()}"
    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return PG_URL.rpartition("/")[0] + "/" + name, name


async def drop_database(name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def bounded(coros: list, limit: int, window: float) -> list:
    gate = asyncio.Semaphore(limit)
    loop = asyncio.get_running_loop()
    start, gap = loop.time(), (window / len(coros) if coros else 0.0)

    async def one(i: int, coro):
        await asyncio.sleep(max(0.0, start + i * gap - loop.time()))
        async with gate:
            return await coro

    return await asyncio.gather(*(one(i, c) for i, c in enumerate(coros)))


def summary(label: str, acks: list, seconds: float) -> str:
    latencies = sorted(a["elapsed"] for a in acks if not a["timed_out"])
    missing = sum(1 for a in acks if a["timed_out"] or a["status"] != 200)
    if not latencies:
        return f"{label}: no answers at all"

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    return (
        f"{label}: {len(acks)} requests in {seconds:.1f} s ({len(acks) / seconds:.0f}/s); ack p50 "
        f"{at(0.5):.0f} ms, p99 {at(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"over 3 s or unanswered: {missing + sum(1 for x in latencies if x >= 3)}"
    )


async def wait_healthy(url: str, proc: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            if proc.returncode is not None:
                raise SystemExit("mentorbot serve exited during start-up")
            await asyncio.sleep(0.1)
    raise SystemExit("mentorbot serve did not become healthy in 30 s")


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
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": fake.signing_secret,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "HR_ADMIN_IDS": "UHRADMIN1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", cwd=ROOT, env=env
    )
    fake.app_url = f"http://127.0.0.1:{port}/slack/events"
    db = Database(database_url)
    ctx = None
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", proc)
        async with db.session() as session:
            session.add(Program(name="Bench cohort", start_date=dt.date(2026, 1, 12)))
        users = [f"U0BENCH{i:05d}" for i in range(args.people)]
        for i, user in enumerate(users):
            fake.add_user(user, f"person.{i}", real_name=f"Person {i}")

        async def sign_up(i: int, user: str) -> bool:
            before = fake.open_views(user)
            result = await fake.slash_command(user, text="join")
            if result.status != 200:
                return False
            try:
                await fake.wait_for(lambda: fake.open_views(user) != before, timeout=10)
            except TimeoutError:
                return False  # told to run the command again (the modal never opened)
            view = fake.open_views(user)[-1]
            answers = {**ANSWERS, ids.A_GOAL["description"]: f"Goal number {i}"}
            submitted = await fake.submit_view(user, view["id"], answers)
            return submitted.status == 200 and not submitted.errors

        started = time.monotonic()
        joined = await bounded(
            [sign_up(i, u) for i, u in enumerate(users)], args.in_flight, args.signup_window
        )
        signup_seconds = time.monotonic() - started
        signup_acks = list(fake.acks)
        await asyncio.sleep(2)  # confirmations and home tabs finish after the acks

        # Pairs and two weeks of check-ins, set up from here on the same database and fake.
        ctx = build_context(
            load_settings(
                None,
                slack_bot_token=fake.bot_token,
                slack_signing_secret=fake.signing_secret,
                slack_api_url=fake.base_url,
                database_url=database_url,
            ),
            db=db,
            clock=FixedClock(WEEK2_DUE),
        )
        limiter, fake.limiter = fake.limiter, None
        async with db.session() as session:
            people = {
                p.slack_user_id: p for p in (await session.scalars(select(Participant))).all()
            }
        pairs = []
        joined_users = [u for u in users if u in people]
        for sharer, learner in zip(joined_users[::2], joined_users[1::2], strict=False):
            channel = (await ctx.client.conversations_open(users=f"{sharer},{learner}"))["channel"][
                "id"
            ]
            pairs.append((sharer, learner, channel))
        async with db.session() as session:
            for sharer, learner, channel in pairs:
                session.add(
                    Pair(
                        program_id=people[sharer].program_id,
                        sharer_id=people[sharer].id,
                        learner_id=people[learner].id,
                        dm_channel_id=channel,
                        kickoff_ts="1767600000.000001",
                        reasons=[],
                    )
                )
        for week in range(2):
            ctx.clock.set(WEEK2_DUE + dt.timedelta(weeks=week))  # type: ignore[attr-defined]
            await run_checkins(ctx)
        fake.limiter = limiter
        clicks = []
        for sharer, learner, channel in pairs:
            for message in [m for m in fake.messages(channel) if "check-in" in m["text"]]:
                for user in (sharer, learner):
                    for action in (ids.CHECKIN_MET, ids.CHECKIN_THUMBS_UP):
                        clicks.append((user, action, channel, message["ts"]))
        clicks = clicks[: args.clicks]
        acks_before = len(fake.acks)

        async def answer(user: str, action: str, channel: str, ts: str) -> None:
            await fake.click(user, action, channel=channel, ts=ts)

        started = time.monotonic()
        await bounded([answer(*c) for c in clicks], args.in_flight, args.click_window)
        click_seconds = time.monotonic() - started
        click_acks = fake.acks[acks_before:]
        await asyncio.sleep(2)

        async with db.session() as session:
            participants = await session.scalar(select(func.count()).select_from(Participant))
            goals = await session.scalar(select(func.count()).select_from(Goal))
            responses = (
                await session.execute(select(Response.checkin_id, Response.participant_id))
            ).all()
            answered = await session.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.attendance.is_not(None), Response.prompt_rating.is_not(None))
            )
        expected_answers = len({(u, ts) for u, _, _, ts in clicks})
        print(f"mentorbot serve on {args.db}, {args.in_flight} in flight")
        completed = f"sign-ups ({sum(joined)}/{len(users)} completed)"
        print(summary(completed, signup_acks, signup_seconds))
        print(summary("check-in answers", click_acks, click_seconds))
        print(
            f"rows stored: participants {participants}/{len(users)}, goals {goals}/{len(users)}, "
            f"responses {len(responses)} ({len(set(responses))} distinct; {answered} with "
            f"attendance and rating, {expected_answers} expected)"
        )
        print(
            f"Web API calls {fake.stats['total_calls']}, rate-limited "
            f"{fake.stats['total_ratelimited']}; CPU seconds: mentorbot serve "
            f"{process_cpu(proc.pid):.1f}, this process (fake and driver) "
            f"{time.process_time():.1f}"
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(proc.wait(), timeout=20)
                print(f"mentorbot serve exited {code} after SIGTERM")
            except TimeoutError:
                proc.kill()
                await proc.wait()
                print("mentorbot serve did not exit within 20 s of SIGTERM: killed")
        if ctx is not None:
            await ctx.client.aclose()  # type: ignore[attr-defined]
        await db.dispose()
        await fake.stop()
        if pg_name:
            await drop_database(pg_name)
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
        "--rate-limit-scale", type=float, default=50.0, help="the fake's Slack limits x N; 0 = off"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
