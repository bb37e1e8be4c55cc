"""Benchmark of `mentorbot org import` on a 50,000-person export (not a test).

    python bench/bench_org_import.py [--rows 50000] [--scale 1.0] [--db sqlite|postgresql]

Starts the local Slack fake with Slack's rate limits (``--scale 10`` runs them ten times faster,
to keep a run short) and a workspace of ``rows`` members with work emails, writes a people CSV
of the same people identified by email (a hierarchy up to eight levels deep, 1% unknown emails,
a manager cycle), and imports it twice (the second run updates in place). Prints wall time,
Slack calls and 429s, the lower bound Slack's limits allow for those calls, peak resident memory
and the report's figures. Then times the reporting-line check inside matching for 10,000 people:
the same matching with and without their imported chains.

PostgreSQL: a database of its own on the server of ``TEST_DATABASE_URL`` (default the local
one), created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import Database, async_url
from bot.matching import match
from bot.models import Base
from bot.org_import import DIRECTORY_PAGE, import_org
from bot.slack_client import build_client
from mentorbot_sandbox.fake import FakeSlack
from mentorbot_sandbox.ratelimit import METHOD_TIERS, TIER_LIMITS

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = f"mentorbot_bench_org_{os.getpid()}"


def people_csv(rows: int, seed: int) -> bytes:
    """Email, department, manager email: each person reports to someone earlier in the file
    within a span of ten, so chains run several levels deep; the last two manage each other."""
    rng = random.Random(seed)
    departments = ["Engineering", "Sales", "Marketing", "Finance", "Operations", "People"]
    lines = ["email,department,manager_email,title,hire_date"]
    for k in range(rows):
        boss = (
            "" if k < 5 else f"person{rng.randrange(max(0, k // 10 - 1), k // 10 + 1)}@example.com"
        )
        if k == rows - 1:
            boss = f"person{rows - 2}@example.com"
        if k == rows - 2:
            boss = f"person{rows - 1}@example.com"
        hired = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000))
        lines.append(f"person{k}@example.com,{rng.choice(departments)},{boss},Staff,{hired}")
    return ("\n".join(lines) + "\n").encode()


async def create_schema(url: str) -> None:
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


async def pg_database(create: bool) -> str:
    """Create (or drop) the run's own PostgreSQL database; returns its URL."""
    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)'))
        if create:
            await conn.execute(text(f'CREATE DATABASE "{PG_BENCH_DB}"'))
    await engine.dispose()
    return f"{PG_URL.rpartition('/')[0]}/{PG_BENCH_DB}"


async def run(rows: int, scale: float, database: str) -> None:
    fake = FakeSlack(
        signing_secret="s", bot_token="xoxb-bench", rate_limits=True, rate_limit_scale=scale
    )
    base_url = await fake.start()
    rng = random.Random(2)
    for k in range(rows):
        if rng.random() < 0.99:  # 1% of the file are people who left Slack already
            fake.add_user(f"U{k:07d}", f"person{k}", email=f"person{k}@example.com")
    if database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/org.sqlite3"
    else:
        url = await pg_database(create=True)
    await create_schema(url)
    db = Database(url)
    client = build_client("xoxb-bench", base_url)
    data = people_csv(rows, 1)
    print(f"{rows} rows ({len(data) / 1024 / 1024:.1f} MB), {database}, rate limits x{scale:g}")
    try:
        for attempt in ("first import", "re-import"):
            fake.calls.clear()
            started = time.perf_counter()
            report = await import_org(
                db,
                client,
                data,
                file="people.csv",
                now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
                concurrency=8,
            )
            wall = time.perf_counter() - started
            calls = Counter(c["method"] for c in fake.calls if c["status"] != 429)
            limited = sum(c["status"] == 429 for c in fake.calls)
            bound = _lower_bound(calls, scale)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{attempt}: {wall:.1f} s (Slack's limits allow {bound:.1f} s at best), "
                f"calls {dict(calls)}, 429s {limited}, peak RSS {peak:.0f} MB; "
                f"matched {report.matched}, unmatched {len(report.unmatched_lines)}, "
                f"cycles {len(report.cycles)}"
            )
    finally:
        await client.aclose()  # type: ignore[attr-defined]
        await db.dispose()
        await fake.stop()
        if database == "postgresql":
            await pg_database(create=False)


def _lower_bound(calls: Counter, scale: float) -> float:
    """Seconds the calls need at least under the tier limits (burst first, then the rate)."""
    total = 0.0
    for method, count in calls.items():
        limit = TIER_LIMITS.get(METHOD_TIERS[method])
        if limit is not None:
            total += max(0, count - limit.burst) * 60 / (limit.per_minute * scale)
    return total


def chain_check(size: int) -> None:
    """Matching 10,000 people with and without their imported chains (bench_matching's people)."""
    from bench_matching import synthetic_candidates

    people = synthetic_candidates(size, 1)
    depth = max(len(c.reporting_line) for c in people)
    plain = [dataclasses.replace(c, reporting_line=frozenset()) for c in people]
    for label, pool in (("with chains", people), ("without", plain)):
        started = time.perf_counter()
        result = match(pool)
        print(
            f"matching {size} {label} (up to {depth} levels): "
            f"{time.perf_counter() - started:.2f} s, {len(result.pairs)} pairs, "
            f"rule applied to {result.reporting_line_applied} people"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--db", "--database", dest="database", choices=["sqlite", "postgresql"], default="sqlite"
    )
    parser.add_argument("--match-size", type=int, default=10_000)
    args = parser.parse_args()
    print(f"users.list pages of {DIRECTORY_PAGE}")
    asyncio.run(run(args.rows, args.scale, args.database))
    chain_check(args.match_size)


if __name__ == "__main__":
    main()
