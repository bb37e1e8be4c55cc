"""Benchmark: one check-in pass for N pairs against the local Slack fake with rate limits on.

    python bench/bench_checkins.py [--pairs 5000] [--scale 1.0] [--database sqlite|postgresql]

Seeds a program with N kicked-off pairs (rows inserted directly; the pass under test is the
real one), starts the fake with Slack's rate limits (scaled by --scale: 10 means ten times
Slack's rates, to keep a run short; the bound scales the same way), runs one check-in pass
through the real bot context, and reports wall time against the lower bound the limits allow,
429s seen, duplicates and lost posts (both must be 0), and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from bot.db import Database, async_url
from bot.models import Base, Pair, Participant, Program
from bot.scheduler.checkins import run_checkins
from mentorbot_sandbox.local import LocalBot
from mentorbot_sandbox.ratelimit import POST_MESSAGE_PER_CHANNEL, SPECIAL_LIMITS

DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)  # week 2's Tuesday, 10:00 London


async def seed(database: Database, pairs: int) -> list[tuple[str, str, str]]:
    """N pairs in one program, already kicked off; returns (channel, sharer, learner) per pair."""
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    now = dt.datetime(2026, 1, 12, tzinfo=dt.UTC)
    async with database.session() as session:
        program = Program(name="Bench", start_date=dt.date(2026, 1, 12), length_weeks=12)
        session.add(program)
        await session.flush()
        program_id = program.id
    people = [
        {
            "slack_user_id": f"U{i:08d}",
            "program_id": program_id,
            "display_name": None,
            "role": "share" if i % 2 == 0 else "learn",
            "experience_band": "0-2" if i % 2 == 0 else "21+",
            "timezone": "Europe/London",
            "share_topics": [],
            "learn_topics": [],
            "available_days": ["tue"],
            "time_of_day": "any",
            "meeting_minutes": 30,
            "status": "active",
            "consent_quote": False,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(2 * pairs)
    ]
    async with database.session() as session:
        for start in range(0, len(people), 2000):
            await session.execute(insert(Participant), people[start : start + 2000])
    rows = [
        {
            "program_id": program_id,
            "sharer_id": 2 * i + 1,
            "learner_id": 2 * i + 2,
            "status": "active",
            "dm_channel_id": f"G{i:08d}",
            "kickoff_ts": "1.0",
            "score": 1.0,
            "reasons": [],
            "at_risk": False,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(pairs)
    ]
    async with database.session() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Pair), rows[start : start + 2000])
    return [(f"G{i:08d}", f"U{2 * i:08d}", f"U{2 * i + 1:08d}") for i in range(pairs)]


def lower_bound(pairs: int, scale: float) -> float:
    """Seconds the workspace-wide chat.postMessage limit allows for `pairs` posts at best."""
    limit = SPECIAL_LIMITS["chat.postMessage"]
    per_second = limit.per_minute * scale / 60
    per_channel = POST_MESSAGE_PER_CHANNEL.per_minute * scale / 60  # one post per channel here
    return max(0.0, (pairs - limit.burst) / per_second) if per_channel > 0 else 0.0


async def bench(pairs: int, scale: float, database_url: str) -> None:
    database = Database(database_url)
    channels = await seed(database, pairs)
    await database.dispose()
    async with LocalBot(
        database_url, clock=FixedClock(DUE), rate_limits=True, rate_limit_scale=scale
    ) as bot:
        for channel, sharer, learner in channels:
            bot.fake.add_user(sharer, sharer.lower())
            bot.fake.add_user(learner, learner.lower())
            bot.fake.add_channel(
                channel, channel.lower(), members=[sharer, learner], is_private=True
            )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        counts = await run_checkins(bot.ctx)
        wall = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        posts = Counter(
            channel
            for channel, _, _ in channels
            for message in bot.fake.messages(channel)
            if "check-in" in message["text"]
        )
        limited = bot.fake.stats["ratelimited"].get("chat.postMessage", 0)
    bound = lower_bound(pairs, scale)
    print(f"database            {database_url.split(':')[0]}")
    print(f"pairs               {pairs}")
    print(f"rate-limit scale    {scale:g}x Slack's")
    print(f"sent/skipped/failed {counts.sent}/{counts.skipped}/{counts.failed}")
    print(f"wall time           {wall:.1f} s")
    print(f"lower bound         {bound:.1f} s  (ratio {wall / bound:.2f}x)" if bound else "")
    print(f"429s seen           {limited}")
    print(f"duplicates          {sum(1 for n in posts.values() if n > 1)}")
    print(f"lost posts          {pairs - len(posts)}")
    print(f"peak RSS            {max(rss_before, rss_after) / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            url = asyncio.run(fresh_postgres_database(args.postgres_url, "mentorbot_bench"))
        asyncio.run(bench(args.pairs, args.scale, url))


async def fresh_postgres_database(admin_url: str, name: str) -> str:
    """A dedicated, empty database next to `admin_url`'s, so the bench never touches others."""
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    main()
