"""Every `mentorbot` command the way a user runs it: the installed console script as a
subprocess, with DATABASE_URL set, on SQLite and on PostgreSQL (issue 12).

Jobs talk to the local Slack fake (SLACK_API_URL), over data seeded first, so each run's output
shows real work. One database per backend is migrated by `mentorbot db upgrade` for the module
and emptied before each test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from bot.db import alembic_config, async_url
from bot.models import Base
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from mentorbot_sandbox.served import free_port
from tests.conftest import START, _require_pg, drop_pg_database, recreate_pg_database
from tests.reliability.helpers import WEEK2_DUE, checkin_posts, make_pairs

MENTORBOT = str(Path(sys.executable).with_name("mentorbot"))
#: The newest migration, as the repository's scripts say (other branches add theirs).
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()

pytestmark = pytest.mark.slow  # every test starts `mentorbot` as a process


def cli_env(database_url: str, bot: LocalBot | None = None, **extra: str) -> dict[str, str]:
    """The environment an operator sets; nothing inherited that could change the outcome."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "HR_", "DATABASE_", "PROMPTS_", "PORT", "LOG_"))
    }
    env.update(
        SLACK_BOT_TOKEN=bot.bot_token if bot else "xoxb-cli-test",
        SLACK_SIGNING_SECRET=bot.signing_secret if bot else "cli-test-secret",
        DATABASE_URL=database_url,
        HR_ADMIN_IDS=HR_ADMIN_ID,
        HR_CHANNEL_ID=HR_CHANNEL_ID,
        LOG_LEVEL="WARNING",
    )
    if bot is not None:
        env["SLACK_API_URL"] = bot.fake.base_url
    env.update(extra)
    return env


async def mentorbot(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run `mentorbot ARGS` to the end; (exit status, stdout, stderr). The event loop keeps
    serving the fake meanwhile."""
    proc = await asyncio.create_subprocess_exec(
        MENTORBOT,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _query(url: str, sql: str) -> list[tuple]:
    """Run one statement in its own transaction; the rows it returns, if any."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated_url(request, tmp_path_factory):
    """One database per backend, migrated by the command operators run."""
    name = f"mb_cli_{os.getpid()}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite3'}"
    else:
        _require_pg()
        url = asyncio.run(recreate_pg_database(name))
    cwd = tmp_path_factory.mktemp("cwd")
    code, _, err = asyncio.run(mentorbot("db", "upgrade", env=cli_env(url), cwd=cwd))
    assert code == 0, err
    yield url
    if request.param == "postgresql":
        asyncio.run(drop_pg_database(name))


@pytest.fixture
def cli_db(migrated_url: str) -> str:
    """The migrated database with every table emptied."""

    async def empty() -> None:
        engine = create_async_engine(async_url(migrated_url))
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())
        await engine.dispose()

    asyncio.run(empty())
    return migrated_url


# -- db ------------------------------------------------------------------------------------


async def test_db_upgrade_downgrade_and_up_again(empty_db_url, tmp_path):
    env = cli_env(empty_db_url)
    code, out, err = await mentorbot("jobs", "run", "digest", env=env, cwd=tmp_path)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("mentorbot: database error: ")
    assert err.endswith("(check DATABASE_URL; `mentorbot db upgrade` creates the tables)\n")

    assert (await mentorbot("db", "upgrade", env=env, cwd=tmp_path))[0] == 0
    assert await _query(empty_db_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    # A manual pass's record (54 characters) does not fit 0002's column: the downgrade drops
    # those log rows instead of failing on PostgreSQL.
    manual = "manual:20261210T180000.000000Z:20261202T150000.123456Z"
    await _query(
        empty_db_url,
        "INSERT INTO job_runs (job_name, period_key, started_at, status, sent, skipped, failed) "
        f"VALUES ('checkins', '{manual}', '2026-12-02 15:00:00', 'done', 0, 0, 0)",
    )

    code, _, err = await mentorbot("db", "downgrade", "0002", env=env, cwd=tmp_path)
    assert code == 0, err
    assert await _query(empty_db_url, "SELECT version_num FROM alembic_version") == [("0002",)]
    assert await _query(empty_db_url, "SELECT count(*) FROM job_runs") == [(0,)]

    code, _, err = await mentorbot("db", "downgrade", "0042", env=env, cwd=tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [
        "mentorbot: migration error: Can't locate revision identified by '0042'"
    ]

    assert (await mentorbot("db", "upgrade", env=env, cwd=tmp_path))[0] == 0
    assert await _query(empty_db_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert (await mentorbot("db", "downgrade", "base", env=env, cwd=tmp_path))[0] == 0
    assert await _query(empty_db_url, "SELECT count(*) FROM alembic_version") == [(0,)]


# -- jobs run ------------------------------------------------------------------------------


async def test_jobs_run_checkins_at_an_instant_posts_each_pair_once(cli_db, tmp_path):
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        pairs = await make_pairs(bot, 3)
        env = cli_env(cli_db, bot)
        at = WEEK2_DUE.isoformat()
        code, out, err = await mentorbot(
            "jobs", "run", "checkins", "--at", at, env=env, cwd=tmp_path
        )
        assert (code, out, err) == (0, "checkins: done; sent 3, skipped 0, failed 0\n", "")
        assert all(len(checkin_posts(bot.fake, channel)) == 1 for *_, channel in pairs)

        code, out, _ = await mentorbot("jobs", "run", "checkins", "--at", at, env=env, cwd=tmp_path)
        assert (code, out) == (0, "checkins: done; sent 0, skipped 0, failed 0\n")
        assert all(len(checkin_posts(bot.fake, channel)) == 1 for *_, channel in pairs)
    runs = await _query(cli_db, "SELECT job_name, period_key, status, sent FROM job_runs")
    assert [(name, status, sent) for name, _, status, sent in runs] == [
        ("checkins", "done", 3),
        ("checkins", "done", 0),
    ]
    assert all(key.startswith("manual:20260120T100000.000000Z:") for _, key, *_ in runs)


async def test_jobs_run_nudges_reminds_people_who_did_not_answer(cli_db, tmp_path):
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        pairs = await make_pairs(bot, 2)
        env = cli_env(cli_db, bot)
        args = ("jobs", "run", "checkins", "--at", WEEK2_DUE.isoformat())
        assert (await mentorbot(*args, env=env, cwd=tmp_path))[0] == 0
        two_days_later = (WEEK2_DUE + dt.timedelta(days=2)).isoformat()
        code, out, err = await mentorbot(
            "jobs", "run", "nudges", "--at", two_days_later, env=env, cwd=tmp_path
        )
        assert (code, out, err) == (0, "nudges: done; sent 4, skipped 0, failed 0\n", "")
        for _, sharer, learner, _ in pairs:
            for person in (sharer, learner):
                assert any("week 2" in m["text"].lower() for m in bot.fake.dm_messages(person))


async def test_jobs_run_kickoffs_welcomes_new_pairs(cli_db, tmp_path):
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        pairs = await make_pairs(bot, 2, kicked_off=False)
        env = cli_env(cli_db, bot)
        code, out, err = await mentorbot(
            "jobs", "run", "kickoffs", "--at", "2026-01-12T09:00:00Z", env=env, cwd=tmp_path
        )
        assert (code, out, err) == (0, "kickoffs: done; sent 2, skipped 0, failed 0\n", "")
        for *_, channel in pairs:
            assert "Welcome to your reverse mentoring pair" in bot.fake.messages(channel)[0]["text"]


async def test_jobs_run_digest_posts_the_report_to_hr(cli_db, tmp_path):
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        await make_pairs(bot, 2)
        env = cli_env(cli_db, bot)
        code, out, err = await mentorbot(
            "jobs", "run", "digest", "--at", "2026-01-26T09:00:00Z", env=env, cwd=tmp_path
        )
        assert (code, out, err) == (0, "digest: done; sent 1, skipped 0, failed 0\n", "")
        assert "Reliability cohort" in bot.fake.messages(HR_CHANNEL_ID)[0]["text"]


async def test_jobs_run_each_job_now(cli_db, tmp_path):
    """Without --at every job runs as of now (nothing due in an empty database)."""
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        env = cli_env(cli_db, bot)
        jobs = ("checkins", "nudges", "kickoffs", "digest", "closing")
        for job in jobs:
            code, out, err = await mentorbot("jobs", "run", job, env=env, cwd=tmp_path)
            assert (code, out, err) == (0, f"{job}: done; sent 0, skipped 0, failed 0\n", "")
    runs = await _query(cli_db, "SELECT job_name, status FROM job_runs ORDER BY id")
    assert runs == [(job, "done") for job in jobs]


async def test_jobs_run_refuses_a_bad_instant_and_a_bad_prompt_file(cli_db, tmp_path):
    env = cli_env(cli_db)
    code, out, err = await mentorbot(
        "jobs", "run", "checkins", "--at", "next tuesday", env=env, cwd=tmp_path
    )
    assert code == 2 and out == ""
    assert "argument --at: not an ISO-8601 instant: 'next tuesday'" in err.splitlines()[-1]

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    long_id = "x" * 81
    (prompts / "ours.yaml").write_text(
        f"- {{id: {long_id}, text: Hi, theme: mutual_learning, phase: early, addresses: both,"
        " tags: []}\n"
    )
    env["PROMPTS_DIR"] = str(prompts)
    code, out, err = await mentorbot("jobs", "run", "checkins", env=env, cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"mentorbot: prompt file error: {prompts / 'ours.yaml'}: prompt {long_id!r} (#1): "
        "id is 81 characters; the limit is 80"
    ]
    assert await _query(cli_db, "SELECT count(*) FROM job_runs") == [(0,)]


async def test_jobs_list_shows_every_job_and_its_next_run(tmp_path):
    """Reads no database: the schedule is the code's."""
    env = cli_env("postgresql://nobody@127.0.0.1:9/none")
    code, out, err = await mentorbot("jobs", "list", env=env, cwd=tmp_path)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "checkins",
        "kickoffs",
        "nudges",
        "digest",
        "closing",
    ]
    assert all(" next: " in line and line.endswith(" UTC") for line in lines)


# -- long-running processes -----------------------------------------------------------------


async def _start(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        MENTORBOT,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _log_until(proc: asyncio.subprocess.Process, message: str) -> dict:
    """Read the JSON log lines on stderr until one with this message; returns it."""
    assert proc.stderr is not None
    while True:
        line = await asyncio.wait_for(proc.stderr.readline(), timeout=60)
        assert line, f"exited ({await proc.wait()}) before logging {message!r}"
        record = json.loads(line)
        if record.get("msg") == message:
            return record


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    except TimeoutError:
        proc.kill()
        raise
    assert b"Traceback" not in err
    assert proc.returncode is not None
    return proc.returncode


async def test_scheduler_starts_and_stops_on_sigterm(cli_db, tmp_path):
    env = cli_env(cli_db, LOG_LEVEL="INFO")
    proc = await _start("scheduler", env=env, cwd=tmp_path)
    started = await _log_until(proc, "scheduler started")
    assert started["jobs"] == ["checkins", "closing", "digest", "kickoffs", "nudges"]
    assert await _stop(proc) == 0


async def test_serve_without_jobs_answers_health_and_slack_then_stops_on_sigterm(cli_db, tmp_path):
    async with LocalBot(cli_db, clock=FixedClock(START)) as bot:
        port = free_port()
        env = cli_env(cli_db, bot, PORT=str(port), LOG_LEVEL="INFO")
        proc = await _start("serve", "--no-jobs", "--host", "127.0.0.1", env=env, cwd=tmp_path)
        try:
            await _log_until(proc, "http server listening")
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{url}/healthz")).status_code == 200
            bot.fake.app_url = f"{url}/slack/events"  # Slack now talks to the served process
            bot.fake.add_user("U0CLIUSER", "cli.user", real_name="Cli User")
            answer = await bot.fake.slash_command("U0CLIUSER", text="help")
            assert answer.status == 200
            assert "/mentoring join" in json.dumps(answer.body)
        finally:
            code = await _stop(proc)
        assert code == 0


def test_demo_runs_a_small_program_and_writes_its_files(tmp_path):
    """The demo keeps its own throwaway SQLite database whatever DATABASE_URL says (it must
    never add synthetic people to a real one), so it runs once; run_demo on PostgreSQL is in
    tests/test_demo.py."""
    out = tmp_path / "out"
    env = cli_env(f"sqlite:///{tmp_path / 'untouched.sqlite3'}")
    code, stdout, err = asyncio.run(
        mentorbot(
            "demo",
            "--people",
            "12",
            "--weeks",
            "4",
            "--quiet",
            "--out",
            str(out),
            env=env,
            cwd=tmp_path,
        )
    )
    assert code == 0, err
    assert "12 people joined" in stdout
    assert {"chart.png", "report.txt", "transcript.txt", "weekly.csv"} <= {
        p.name for p in out.iterdir()
    }
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "untouched.sqlite3").exists()
