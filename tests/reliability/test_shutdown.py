"""Shutdown and restarts: SIGTERM finishes in-flight work and exits 0; an interrupted pass resumes
without duplicates; two processes running the same slot run it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import time
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.app import build_context
from bot.clock import FixedClock
from bot.db import Database, upgrade
from bot.models import Checkin, CheckinStatus, JobRun, Pair, Participant
from bot.scheduler.checkins import run_checkins
from bot.scheduler.delivery import post_metadata
from bot.scheduler.jobs import run_job
from bot.scheduler.kickoffs import KICKOFF_PERIOD, run_kickoffs
from mentorbot_sandbox import FakeSlack, FaultRule
from mentorbot_sandbox.load import PASSES_AT, add_pass_load, close_scene, scene_context
from mentorbot_sandbox.local import LocalBot
from mentorbot_sandbox.served import ServeProcess
from tests.conftest import START
from tests.flows import DEFAULT_ANSWERS, open_modal

from .helpers import WEEK2_DUE, checkin_posts, count, make_pairs

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


class _Driver:
    """Just enough of LocalBot for tests.flows.open_modal against a bare FakeSlack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake


async def test_sigterm_finishes_in_flight_work_and_exits_zero(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    async with FakeSlack(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-serve-" + secrets.token_hex(6)
    ) as fake:
        served = ServeProcess(fake, database_url)
        try:
            await served.start()
            fake.add_user("U0PRIYA01", "priya", real_name="Priya Patel")
            view = await open_modal(_Driver(fake), "U0PRIYA01", "join")
            # The confirmation DM will be held up: Slack answers 429, retry after 1 s.
            fake.faults.add(
                FaultRule(method="chat.postMessage", kind="ratelimited", count=1, retry_after=1)
            )
            result = await fake.submit_view("U0PRIYA01", view["id"], DEFAULT_ANSWERS)
            assert result.status == 200 and not result.errors
            stopping = time.monotonic()
            code = await served.terminate(grace=15)  # while the DM is still waiting to be sent
            took = time.monotonic() - stopping
        finally:
            await served.kill()
        assert code == 0 and took < 15
        assert any("Thanks for joining" in m["text"] for m in fake.dm_messages("U0PRIYA01"))
        db = Database(database_url)
        try:
            assert await count(db, Participant) == 1
        finally:
            await db.dispose()


async def test_a_pass_cancelled_mid_way_resumes_without_duplicates(db_url):
    async with LocalBot(db_url, clock=FixedClock(START), slack_max_concurrency=1) as bot:
        pairs = await make_pairs(bot, 6)
        bot.clock.set(WEEK2_DUE)
        running = asyncio.create_task(run_checkins(bot.ctx))
        await bot.fake.wait_for(
            lambda: sum(len(checkin_posts(bot.fake, c)) for *_, c in pairs) >= 2, timeout=10
        )
        running.cancel()  # the process stops part-way through the pass
        with contextlib.suppress(asyncio.CancelledError):
            await running
        posted_before = sum(len(checkin_posts(bot.fake, c)) for *_, c in pairs)
        assert 2 <= posted_before < len(pairs)

        bot.clock.set(WEEK2_DUE + dt.timedelta(minutes=10))  # the next scheduled pass
        await run_checkins(bot.ctx)
        for *_, channel in pairs:
            assert len(checkin_posts(bot.fake, channel)) == 1, channel
        async with bot.ctx.db.session() as session:
            rows = (await session.scalars(select(Checkin))).all()
        assert len(rows) == len(pairs)
        assert all(r.status == CheckinStatus.POSTED and r.message_ts for r in rows)


async def test_a_kickoff_posted_but_not_noted_is_adopted_not_resent(db_url):
    """The pass died between Slack accepting the kickoff and the pair recording it."""
    async with LocalBot(db_url, clock=FixedClock(START)) as bot:
        ((pair_id, _, _, channel),) = await make_pairs(bot, 1, kicked_off=False)
        async with bot.ctx.db.session() as session:
            row = Checkin(
                pair_id=pair_id,
                program_id=(await session.get(Pair, pair_id)).program_id,
                period_key=KICKOFF_PERIOD,
                week=1,
                kind="kickoff",
                due_at=START,
                claimed_at=START,
                attempts=1,
                status=CheckinStatus.CLAIMED,
            )
            session.add(row)
            await session.flush()
            row_id = row.id
        posted = await bot.ctx.client.chat_postMessage(
            channel=channel, text="Kickoff", metadata=post_metadata(row_id)
        )
        async with bot.ctx.db.session() as session:
            await session.execute(
                update(Checkin)
                .where(Checkin.id == row_id)
                .values(status=CheckinStatus.POSTED, message_ts=posted["ts"], channel_id=channel)
            )
        await run_kickoffs(bot.ctx)
        assert len(bot.fake.messages(channel)) == 1  # not sent again
        async with bot.ctx.db.session() as session:
            assert (await session.get(Pair, pair_id)).kickoff_ts == posted["ts"]
        bot.clock.set(WEEK2_DUE)
        assert (await run_checkins(bot.ctx)).sent == 1  # and the pair's check-ins now go out


async def test_two_processes_run_one_slot_once(db_url):
    async with LocalBot(db_url, clock=FixedClock(START)) as bot:
        pairs = await make_pairs(bot, 4)
        bot.clock.set(WEEK2_DUE)
        # A second process: its own engine, pool and Slack client on the same database.
        other = build_context(bot.settings, db=Database(db_url), clock=bot.clock)
        try:
            runs = await asyncio.gather(
                run_job(bot.ctx, "checkins", run_checkins, "2026-01-20T10:00Z"),
                run_job(other, "checkins", run_checkins, "2026-01-20T10:00Z"),
            )
        finally:
            await other.client.aclose()
            await other.db.dispose()
        done = [r for r in runs if r is not None]
        assert len(done) == 1 and done[0].sent == len(pairs) and done[0].status == "done"
        assert await count(bot.ctx.db, JobRun) == 1
        for *_, channel in pairs:
            assert len(checkin_posts(bot.fake, channel)) == 1


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()]


async def test_serve_runs_its_passes_in_a_child_process_that_sigterm_stops(empty_db_url):
    """The jobs run beside the request loop, not on it, and still exactly once; SIGTERM stops
    the serving process and its jobs process, exit status 0."""
    async with FakeSlack(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-jobs-" + secrets.token_hex(6)
    ) as fake:
        await asyncio.to_thread(upgrade, empty_db_url)
        scene = scene_context(fake, empty_db_url)
        served = ServeProcess(
            fake,
            empty_db_url,
            program=("-m", "mentorbot_sandbox.serve_passes"),
            MENTORBOT_BENCH_CLOCK=PASSES_AT.isoformat(),
            MENTORBOT_BENCH_PASSES_IN="0",
        )
        try:
            await add_pass_load(scene, fake, 4)  # 2 pairs due a check-in, 2 pairs' people reminders
            await served.start()
            assert served.proc is not None
            children = _children(served.proc.pid)

            async def both_passes_done() -> bool:
                done = await count(scene.db, JobRun, JobRun.status == "done")
                return done == 2

            await fake.wait_for(both_passes_done, timeout=60)
            # The requests are still served meanwhile (and by the parent: the jobs are a child).
            assert (await fake.slash_command("U0PWED00000", "help")).status == 200
            code = await served.terminate(grace=30)  # platforms SIGKILL 30 s after SIGTERM
        finally:
            await served.kill()
            await close_scene(scene)
    assert children, "the jobs run in a child process of `mentorbot serve`"
    assert code == 0
    # gone with their parent (reaped by init once it exited)
    await fake.wait_for(lambda: not any(_alive(pid) for pid in children), timeout=10)
    for i in range(2):  # each due pair got its week-3 check-in once
        assert len(checkin_posts(fake, f"GPASSWED{i:05d}")) == 1
    reminded = [u for u in (f"U0PMON{i:05d}" for i in range(4)) if fake.dm_messages(u)]
    assert len(reminded) == 4


async def test_serve_starts_on_another_port_when_its_port_was_taken_meanwhile(tmp_path):
    """The test harness's own robustness: a parallel test's server can bind the port chosen for
    `serve` before `serve` does; `serve` then fails to start, and the harness starts it again."""
    database_url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    async with FakeSlack(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-serve-" + secrets.token_hex(6)
    ) as fake:
        served = ServeProcess(fake, database_url, jobs=False)
        taken = served.port
        squatter = web.AppRunner(web.Application())  # answers 404 to everything, as in CI
        await squatter.setup()
        await web.TCPSite(squatter, "127.0.0.1", taken).start()
        try:
            await served.start()
            assert served.port != taken
            assert await served.health() == (200, {"status": "ok", "database": "reachable"})
        finally:
            await served.terminate(grace=30)
            await squatter.cleanup()
