"""Benchmark of bot.reports.program_report on a large synthetic program (not a test).

    python bench/bench_report.py [--participants 10000] [--responses 1000000]
                                 [--backend sqlite|postgresql|both]

Seeds the database with Core bulk inserts in chunks. By default one program holds every person
and every answer: the worst case for one report, a program that ran long enough (about two and a
half years of weekly check-ins) to collect a million answers. `--programs 10` spreads the answers
over ten back-to-back cohorts of about 12 weeks, everyone in the last one, as after re-joining:
the report then covers one realistic cohort inside a large database. The report is timed in a
fresh process: wall time of the first call and the median of the next ones, the peak of Python
allocations during one call (tracemalloc) and the growth of the process's peak RSS, plus the CPU
seconds of a call (this process and, on a local server, its PostgreSQL backend). The answers
are inserted directly, so their check-ins are summarized afterwards in one statement, as saving
each answer would have done (bot/services/summaries.py).

PostgreSQL comes from --pg-url (default: the local test server); the benchmark database
`mentorbot_bench` on it is dropped and recreated. The PostgreSQL tables are ANALYZEd after seeding,
as autovacuum would do after a bulk load, and checkpointed; SQLite gets no statistics, as in
production.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.db import Database, async_url
from bot.models import (
    Attendance,
    Base,
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    Response,
    SurveyResponse,
)
from bot.prompts.library import load_prompts
from bot.reports import program_report
from bot.services.summaries import summarize_checkins

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
CHUNK = 20_000
BENCH_DB = "mentorbot_bench"
DEPARTMENTS = {
    "Engineering": 30,
    "Sales": 15,
    "Marketing": 10,
    "Customer Success": 10,
    "Operations": 10,
    "Finance": 7,
    "Product": 7,
    "Design": 4,
    "People": 4,
    "Legal": 2,
    "Board office": 1,
}
TOPICS = [f"topic {k:02d}" for k in range(30)]
GOAL_CATEGORIES = [
    "tech_upskilling",
    "leadership_development",
    "cross_generational_awareness",
    "inclusion",
    "other",
]
# A check-in's fate, with weights: cancelled slots by the senior are the most common failure.
FATES = {
    "met": 60,
    "scheduled": 8,
    "learner_cancelled": 10,
    "sharer_cancelled": 4,
    "skipped": 6,
    "silent": 12,
}


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _insert(conn: AsyncConnection, model: Any, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for chunk in _chunks(rows):
        await conn.execute(insert(model), chunk)
        count += len(chunk)
    return count


def _people(rng: random.Random, size: int, program_id: int) -> Iterator[dict[str, Any]]:
    statuses = {"active": 88, "paused": 5, "left": 5, "deleted": 2}
    for pid in range(1, size + 1):
        status = rng.choices(list(statuses), weights=list(statuses.values()))[0]
        erased = status == "deleted"
        yield {
            "id": pid,
            "slack_user_id": f"erased:{pid}" if erased else f"U{pid:08d}",
            "program_id": program_id,
            "display_name": None if erased else f"Person {pid}",
            "role": "share" if pid % 2 else "learn",
            "experience_band": "0-2" if pid % 2 else "15+",
            "department": None
            if erased
            else rng.choices(list(DEPARTMENTS), weights=list(DEPARTMENTS.values()))[0],
            "share_topics": [] if erased else rng.sample(TOPICS, 3),
            "learn_topics": [] if erased else rng.sample(TOPICS, 2),
            "status": ParticipantStatus(status),
            "consent_quote": rng.random() < 0.3,
        }


def _answers(
    rng: random.Random, fate: str, sharer: int, learner: int
) -> list[tuple[int, Attendance]]:
    """Who answered what, for one check-in of the given fate."""
    both = [sharer, learner] if rng.random() < 0.8 else [rng.choice([sharer, learner])]
    if fate == "silent":
        return []
    if fate == "learner_cancelled":
        said = {learner: Attendance.CANCELLED, sharer: Attendance.PARTNER_CANCELLED}
        return [(who, said[who]) for who in both]
    if fate == "sharer_cancelled":
        said = {sharer: Attendance.CANCELLED, learner: Attendance.PARTNER_CANCELLED}
        return [(who, said[who]) for who in both]
    return [(who, Attendance(fate)) for who in both]


async def seed(
    db: Database, participants: int, responses: int, programs: int, rng_seed: int
) -> int:
    """`programs` cohorts back to back, the answers split evenly between them; everyone is in
    the last one, as re-joining moves people. Returns the last program's id."""
    rng = random.Random(rng_seed)
    prompts = [p.id for p in load_prompts()]
    pair_count = int(participants * 0.46)
    per_program = responses // programs
    weeks = round(per_program / (pair_count * 1.7)) + 1  # ~1.7 answers per check-in
    checkins = answers = 0
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(Program),
            [
                {
                    "id": k,
                    "name": f"Cohort {k}",
                    "start_date": NOW.date() - dt.timedelta(weeks=weeks * (programs - k + 1)),
                    "length_weeks": weeks,
                }
                for k in range(1, programs + 1)
            ],
        )
        await _insert(conn, Participant, _people(rng, participants, programs))
        for k in range(1, programs + 1):
            start = NOW.date() - dt.timedelta(weeks=weeks * (programs - k + 1))
            created = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
            first = (k - 1) * pair_count
            pairs = [(first + j, 2 * j - 1, 2 * j) for j in range(1, pair_count + 1)]
            current = k == programs
            await _insert(
                conn,
                Pair,
                (
                    {
                        "id": pair_id,
                        "program_id": k,
                        "sharer_id": sharer,
                        "learner_id": learner,
                        "status": PairStatus.ACTIVE
                        if current and pair_id % 25
                        else PairStatus.ENDED,
                        "created_at": created,
                    }
                    for pair_id, sharer, learner in pairs
                ),
            )
            made = await _seed_checkins(conn, rng, k, pairs, prompts, start, per_program, checkins)
            checkins, answers = checkins + made[0], answers + made[1]
        await _insert(conn, Goal, _goals(rng, participants))
        await _insert(conn, SurveyResponse, _surveys(rng, participants, programs))
    async with db.session() as session:  # as saving each answer would have done
        await summarize_checkins(session, None)
    print(
        f"  seeded {participants} people, {programs} program(s) of {pair_count} pairs and "
        f"about {weeks} weeks, {checkins} check-ins, {answers} responses"
    )
    return programs


async def _seed_checkins(
    conn: AsyncConnection,
    rng: random.Random,
    program_id: int,
    pairs: list[tuple[int, int, int]],
    prompts: list[str],
    start: dt.date,
    target: int,
    last_id: int,
) -> tuple[int, int]:
    """Week by week, every pair gets a check-in and its answers, until `target` answers exist.

    Check-in ids follow `last_id`; returns how many check-ins and answers were made.
    """
    checkins: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    made_checkins = made_answers = 0
    reliability = {k: rng.betavariate(6, 2) for k, _, _ in pairs}
    week = 2
    while made_answers + len(answers) < target:
        sent = dt.datetime.combine(
            start + dt.timedelta(weeks=week - 1, days=1), dt.time(10), tzinfo=dt.UTC
        )
        for pair_id, sharer, learner in pairs:
            made_checkins += 1
            checkin_id = last_id + made_checkins
            checkins.append(
                {
                    "id": checkin_id,
                    "pair_id": pair_id,
                    "program_id": program_id,
                    "period_key": f"w{week:03d}",
                    "week": week,
                    "kind": "checkin",
                    "prompt_id": prompts[(week + pair_id) % len(prompts)],
                    "message_ts": f"{week}.{pair_id}",
                    "status": CheckinStatus.POSTED,
                    "due_at": sent,
                    "sent_at": sent,
                }
            )
            fate = (
                "met"
                if rng.random() < reliability[pair_id]
                else rng.choices(list(FATES), weights=list(FATES.values()))[0]
            )
            for who, said in _answers(rng, fate, sharer, learner):
                if made_answers + len(answers) >= target:
                    break
                feedback = rng.random() < 0.8
                rating = said == Attendance.MET and feedback
                answers.append(
                    {
                        "checkin_id": checkin_id,
                        "participant_id": who,
                        "attendance": said,
                        "usefulness": rng.randint(2, 5) if rating else None,
                        "candour": rng.randint(2, 5) if rating else None,
                        "learned_text": "Learned something useful" if feedback else None,
                        "quote_ok": feedback and rng.random() < 0.2,
                        "prompt_rating": rng.choice([1, 1, 1, -1]) if feedback else None,
                        "feedback_submitted_at": sent + dt.timedelta(days=2) if feedback else None,
                    }
                )
            if len(answers) >= CHUNK:
                made_answers += await _flush(conn, checkins, answers)
        week += 1
    made_answers += await _flush(conn, checkins, answers)
    return made_checkins, made_answers


async def _flush(
    conn: AsyncConnection, checkins: list[dict[str, Any]], answers: list[dict[str, Any]]
) -> int:
    """Insert what is buffered (check-ins first, for the foreign key) and empty the buffers."""
    if checkins:
        await conn.execute(insert(Checkin), checkins)
    if answers:
        await conn.execute(insert(Response), answers)
    count = len(answers)
    checkins.clear()
    answers.clear()
    return count


def _goals(rng: random.Random, participants: int) -> Iterator[dict[str, Any]]:
    for pid in range(1, participants + 1):
        for _ in range(rng.choice([0, 1, 1, 2])):
            progress = rng.choice([0, 25, 50, 75, 100])
            yield {
                "participant_id": pid,
                "category": rng.choice(GOAL_CATEGORIES),
                "description": "A goal",
                "progress": progress,
                "status": GoalStatus.ACHIEVED if progress == 100 else GoalStatus.OPEN,
            }


def _surveys(rng: random.Random, participants: int, program_id: int) -> Iterator[dict[str, Any]]:
    for pid in range(1, participants + 1):
        for kind, share in (("mid", 0.6), ("end", 0.4)):
            if rng.random() < share:
                yield {
                    "program_id": program_id,
                    "participant_id": pid,
                    "kind": kind,
                    "recommend": rng.randint(3, 10),
                    "goal_attainment": rng.randint(1, 5),
                    "what_changed": "More confident with new tools",
                    "quote_ok": rng.random() < 0.3,
                }


def _cpu_seconds(backend_pid: int | None) -> float:
    """CPU used so far by this process plus, for PostgreSQL on this machine, its backend.

    The benchmark machine may be shared: CPU seconds say what the report cost even when the wall
    clock also counts other people's work.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    if backend_pid is not None:
        try:
            stat = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return used
        used += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return used


async def _timed_report(db: Database, program_id: int) -> tuple[float, float]:
    async with db.session() as session:
        backend_pid = (
            await session.scalar(text("SELECT pg_backend_pid()"))
            if db.dialect == "postgresql"
            else None
        )
        cpu, started = _cpu_seconds(backend_pid), time.perf_counter()
        report = await program_report(session, program_id, now=NOW, prompts=load_prompts())
        wall = time.perf_counter() - started
        cpu = _cpu_seconds(backend_pid) - cpu
    assert report.pairs_active > 0
    return wall, cpu


async def measure(url: str, program_id: int, repeat: int) -> dict[str, float]:
    """Run in a fresh process: wall and CPU seconds (first call, median of the repeats), the
    peak of Python allocations during one call (tracemalloc, its own call: tracing slows Python
    down) and how far the whole run raised the process's peak RSS above where it started."""
    db = Database(url)
    try:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = [await _timed_report(db, program_id) for _ in range(repeat + 1)]
        tracemalloc.start()
        await _timed_report(db, program_id)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    finally:
        await db.dispose()
    return {
        "first_s": runs[0][0],
        "median_s": statistics.median(wall for wall, _ in runs[1:]),
        "median_cpu_s": statistics.median(cpu for _, cpu in runs[1:]),
        "peak_traced_mb": peak / 2**20,
        "rss_growth_mb": rss_growth / 1024,
    }


def measure_in_child(url: str, program_id: int, repeat: int) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--program-id", str(program_id),
         "--repeat", str(repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(child.stdout)


async def fresh_database(backend: str, pg_url: str, workdir: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        admin = create_async_engine(async_url(pg_url), isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        await admin.dispose()
        url = f"{pg_url.rpartition('/')[0]}/{BENCH_DB}"
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    return url


async def run(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"{backend}:")
    url = await fresh_database(backend, args.pg_url, workdir)
    db = Database(url)
    try:
        started = time.perf_counter()
        program_id = await seed(db, args.participants, args.responses, args.programs, args.seed)
        if backend == "postgresql":
            async with db.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
                # Write the bulk load out now: a checkpoint during the timed runs costs seconds.
                await autocommit.execute(text("CHECKPOINT"))
        print(f"  seeding took {time.perf_counter() - started:.0f} s")
        m = measure_in_child(url, program_id, args.repeat)
        print(
            f"  report: first {m['first_s']:.2f} s · median {m['median_s']:.2f} s "
            f"(CPU {m['median_cpu_s']:.2f} s) · peak {m['peak_traced_mb']:.1f} MB traced, "
            f"+{m['rss_growth_mb']:.1f} MB RSS"
        )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument(
        "--programs",
        type=int,
        default=1,
        help="cohorts to spread the answers over; the report is on the last (default 1: all)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--program-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.program_id, args.repeat))))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            asyncio.run(run(backend, args, Path(workdir)))


if __name__ == "__main__":
    main()
