"""Socket Mode end to end: the real bot connected to the fake's Socket Mode endpoint.

The same flows as over HTTP (sign-up with a field error, a check-in click, the Home tab, an HR
report), then what only a connection has: Slack recycling it mid-flow, an ack lost on the way,
hostile frames; and, with real `mentorbot serve --socket` processes, the failure paths of the
process itself (SIGTERM with an ack pending, a refused token, no token, Slack unreachable).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
from contextlib import asynccontextmanager

import pytest
from slack_bolt.async_app import AsyncApp
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot import ids
from bot.clock import FixedClock
from bot.db import Database, async_url
from bot.models import Participant, ProcessedRequest, Response
from bot.scheduler.checkins import run_checkins
from bot.socket_mode import SocketModeConnection
from mentorbot_sandbox import FakeSlack
from mentorbot_sandbox.demo import run_demo
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from mentorbot_sandbox.served import ServeProcess, free_port
from tests.conftest import START
from tests.flows import DEFAULT_ANSWERS, add_person, join, open_modal, texts_of
from tests.test_checkins import WEEK2_DUE, checkin_messages, pairs_with_channels
from tests.test_report_flow import reports_in_channel, seeded_program

PRIYA = "U0PRIYA01"


@pytest.fixture
async def bot(db_url: str):
    """The real bot connected over Socket Mode; every request the fake sends goes over it."""
    async with LocalBot(db_url, clock=FixedClock(START), socket_mode=True) as local:
        yield local


async def count(bot, model, *where) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


def home_publishes(bot, user: str) -> int:
    return sum(
        1 for c in bot.fake.calls if c["method"] == "views.publish" and c["args"]["user_id"] == user
    )


async def test_join_with_a_field_error_in_the_ack_then_signed_up(bot):
    add_person(bot, PRIYA, "Priya Patel")
    view = await open_modal(bot, PRIYA, "join")
    same_topics = {ids.A_SHARE_TOPICS: ["negotiation"], ids.A_LEARN_TOPICS: ["negotiation"]}
    refused = await bot.fake.submit_view(PRIYA, view["id"], {**DEFAULT_ANSWERS, **same_topics})
    # The field error came back in the ack's payload and Slack shows it under the field.
    assert "exactly the topics you could share" in refused.errors[ids.B_LEARN_TOPICS]
    assert refused.view["id"] == view["id"]  # the modal stays open
    assert await count(bot, Participant) == 0

    result = await bot.fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS)
    assert result.status == 200 and not result.errors
    assert bot.fake.open_views(PRIYA) == []  # an empty ack closes the modal
    await bot.fake.wait_for(
        lambda: any("Thanks for joining" in m["text"] for m in bot.fake.dm_messages(PRIYA))
    )
    assert await count(bot, Participant) == 1
    envelopes = {(e["type"], e["acked"]) for e in bot.fake.envelopes}
    assert envelopes == {("slash_commands", True), ("interactive", True)}
    assert bot.fake.calls and all(a["transport"] == "socket" for a in bot.fake.acks)
    assert bot.fake.validation_errors == []


async def test_check_in_click_and_home_tab(bot):
    from tests.flows import paired_program

    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    pair, sharer, learner = (await pairs_with_channels(bot))[0]
    message = checkin_messages(bot, pair.dm_channel_id)[0]
    click = await bot.fake.click(
        sharer, ids.CHECKIN_MET, channel=pair.dm_channel_id, ts=message["ts"]
    )
    assert click.status == 200
    await bot.fake.wait_for(
        lambda: f"✅ <@{sharer}>" in texts_of(checkin_messages(bot, pair.dm_channel_id))
    )
    assert await count(bot, Response) == 1

    opened = await bot.fake.open_home(learner)
    assert opened.status == 200
    home = await bot.fake.wait_for(lambda: bot.fake.home(learner))
    assert "Spring cohort" in texts_of([home])
    assert bot.fake.validation_errors == []


async def test_hr_report_over_socket_mode(bot):
    await seeded_program(bot)
    result = await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    assert result.status == 200
    report = (await bot.fake.wait_for(lambda: reports_in_channel(bot)))[-1]
    assert "4 enrolled" in texts_of([report])
    await bot.fake.wait_for(lambda: [f for f in bot.fake.files.values() if f["content"]])
    assert bot.fake.validation_errors == []


async def test_refresh_requested_mid_flow_reconnects_and_the_flow_completes(bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.socket_mode")
    add_person(bot, PRIYA, "Priya Patel")
    view = await open_modal(bot, PRIYA, "join")
    await bot.fake.socket_disconnect("refresh_requested")
    # The bot opens a new connection and closes the old one itself (Slack would in 10 s).
    await bot.fake.wait_for(lambda: bot.fake.socket_connects == 2)
    await bot.fake.wait_for(lambda: bot.fake.socket_connections == 1)
    result = await bot.fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS)
    assert result.status == 200 and not result.errors
    assert await count(bot, Participant) == 1
    assert bot.socket.connected
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.socket_mode"]
    assert "socket mode: Slack asked to reconnect" in logged
    assert "socket mode: reconnected" in logged


async def test_link_disabled_is_retried_until_slack_takes_the_connection_again(bot):
    await bot.fake.socket_disconnect("link_disabled")
    await bot.fake.wait_for(lambda: bot.fake.socket_connects == 2, timeout=10)
    add_person(bot, PRIYA, "Priya Patel")
    assert not (await join(bot, PRIYA)).errors
    assert await count(bot, Participant) == 1


async def test_closing_while_slack_is_unreachable_returns_at_once():
    """SIGTERM must stop a process that is still trying to reach Slack."""
    connection = SocketModeConnection(
        AsyncApp(token="xoxb-unused", signing_secret="unused"),
        app_token="xapp-1-unreachable",
        api_url=f"http://127.0.0.1:{free_port()}/api/",
    )
    connection.start()
    await asyncio.sleep(1.5)  # a failed attempt, then the backoff pause
    assert not connection.connected
    await asyncio.wait_for(connection.close(grace=5), timeout=10)
    assert connection.task.done()
    connection.raise_if_failed()  # stopped, not failed


async def test_a_dropped_connection_is_reopened(bot):
    await bot.fake.drop_socket_connections()
    await bot.fake.wait_for(lambda: bot.fake.socket_connects == 2, timeout=10)
    add_person(bot, PRIYA, "Priya Patel")
    result = await join(bot, PRIYA)
    assert not result.errors
    assert await count(bot, Participant) == 1


async def test_an_event_redelivered_after_its_ack_was_lost_is_processed_once(bot):
    add_person(bot, PRIYA, "Priya Patel")
    bot.fake.ack_timeout = 1.0  # Slack's is 3 s; shorter keeps the test quick
    bot.fake.lose_next_acks(1)
    first = await bot.fake.open_home(PRIYA)
    assert first.timed_out  # as far as Slack knows, the app never answered
    await bot.fake.wait_for(lambda: len(bot.fake.envelopes) == 2)
    first_try, retry = bot.fake.envelopes
    assert (first_try["retry_attempt"], first_try["acked"]) == (0, False)
    assert (retry["retry_attempt"], retry["acked"]) == (1, True)
    assert await count(bot, ProcessedRequest) == 1  # one stored delivery
    assert home_publishes(bot, PRIYA) == 1  # and the Home tab was published once


async def test_hostile_frames_are_logged_and_acked_and_the_bot_keeps_serving(bot, caplog):
    await bot.fake.send_socket_frame("{not json")
    await bot.fake.send_socket_frame(json.dumps(["an", "array"]))
    unknown = await bot.fake.send_envelope("mystery_type", {"hello": "there"})
    no_payload = await bot.fake.send_envelope("interactive", "not an object")
    wrong_shape = await bot.fake.send_envelope(
        "interactive", {"type": "block_actions", "actions": "x"}, accepts_response_payload=True
    )
    oversized = await bot.fake.send_envelope(
        "events_api", {"type": "event_callback", "event": {"type": "x", "text": "a" * 1_100_000}}
    )
    for acked in (unknown, no_payload, wrong_shape, oversized):
        assert acked.status == 200 and not acked.timed_out, acked
    assert bot.socket.connected and bot.fake.socket_connects == 1  # the same connection
    add_person(bot, PRIYA, "Priya Patel")
    assert not (await join(bot, PRIYA)).errors
    assert await count(bot, Participant) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.socket_mode"]
    assert "socket mode: malformed message ignored" in logged
    assert "socket mode: unknown envelope type acked" in logged
    assert "socket mode: oversized envelope acked, not processed" in logged


# -- `mentorbot serve --socket` as a process ---------------------------------------------------


class _Driver:
    """Just enough of LocalBot for tests.flows.open_modal against a bare FakeSlack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake


async def migrated(database_url: str) -> bool:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return "alembic_version" in tables


@asynccontextmanager
async def held_write_lock(database_url: str):
    """Another connection holds the write lock the bot needs to record a request."""
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            if database_url.startswith("sqlite"):
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                await conn.begin()
                await conn.exec_driver_sql("LOCK TABLE processed_requests IN EXCLUSIVE MODE")
            yield
            await conn.rollback()
    finally:
        await engine.dispose()


async def test_sigterm_with_an_ack_pending_sends_it_before_closing(empty_db_url):
    async with FakeSlack(signing_secret=secrets.token_hex(16)) as fake:
        served = ServeProcess(fake, empty_db_url, socket=True, jobs=False)
        try:
            await served.start()
            add_person(_Driver(fake), PRIYA, "Priya Patel")
            view = await open_modal(_Driver(fake), PRIYA, "join")
            async with held_write_lock(empty_db_url):
                submitting = asyncio.create_task(
                    fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS)
                )
                await asyncio.sleep(0.5)  # the envelope is with the bot, waiting on the lock
                served.proc.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.5)
            result = await submitting
            code = await served.terminate(grace=15)
        finally:
            await served.kill()
    assert result.status == 200 and not result.timed_out and not result.errors
    assert fake.open_views(PRIYA) == []  # the person saw their modal close, no error
    assert code == 0
    database = Database(empty_db_url)
    try:
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Participant)) == 1
    finally:
        await database.dispose()


async def test_a_refused_app_token_exits_2_with_one_line(empty_db_url):
    async with FakeSlack() as fake:
        wrong = "xapp-1-A0SANDBOX-not-this-apps-token"
        served = ServeProcess(fake, empty_db_url, socket=True, app_token=wrong, capture=True)
        await served.launch()
        try:
            code, stderr = await served.wait(timeout=30)
        finally:
            await served.kill()
    assert code == 2
    assert "mentorbot: Slack refused SLACK_APP_TOKEN (invalid_auth)" in stderr
    assert "Traceback" not in stderr and wrong not in stderr
    opened = [c["error"] for c in fake.calls if c["method"] == "apps.connections.open"]
    assert opened == ["invalid_auth"]  # asked once, not retried


async def test_serve_socket_without_app_token_exits_2_before_migrating(empty_db_url):
    async with FakeSlack() as fake:
        served = ServeProcess(fake, empty_db_url, socket=True, app_token=None, capture=True)
        await served.launch()
        try:
            code, stderr = await served.wait(timeout=30)
        finally:
            await served.kill()
    assert code == 2
    assert stderr.strip().splitlines() == [
        "mentorbot: configuration error: SLACK_APP_TOKEN is not set: expected an app-level "
        "token (xapp-...) to connect over Socket Mode."
    ]
    assert not await migrated(empty_db_url)
    assert fake.calls == []


async def test_healthz_is_503_until_slack_is_reachable_then_connects(empty_db_url):
    port = free_port()
    fake = FakeSlack()
    fake.base_url = f"http://127.0.0.1:{port}/api/"  # where the fake will listen, later
    served = ServeProcess(fake, empty_db_url, socket=True, capture=True, LOG_LEVEL="INFO")
    try:
        await served.launch()
        status, body = 0, {}
        while status == 0:
            status, body = await served.health()
            await asyncio.sleep(0.1)
        assert (status, body["socket_mode"]) == (503, "connecting")
        await asyncio.sleep(1)  # a failed attempt or two
        assert (await served.health())[0] == 503

        await fake.start(port=port)
        await fake.wait_for(lambda: fake.socket_connections == 1, timeout=30)
        await fake.wait_for(served.health, timeout=5)
        status, body = await served.health()
        assert (status, body["socket_mode"]) == (200, "connected")
        add_person(_Driver(fake), PRIYA, "Priya Patel")
        assert (await fake.slash_command(PRIYA, "help")).status == 200
        code = await served.terminate(grace=15)
    finally:
        await served.kill()
        await fake.stop()
    assert code == 0
    logs = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    messages = [entry["msg"] for entry in logs]
    assert "socket mode: cannot connect to Slack; retrying" in messages
    assert "socket mode: connected" in messages
    assert fake.app_token not in served.stderr and "ticket=" not in served.stderr


async def test_demo_runs_over_socket_mode(db_url, tmp_path, capsys):
    status = await run_demo(
        people=12,
        weeks=4,
        seed=3,
        out=str(tmp_path / "out"),
        quiet=True,
        database_url=db_url,
        socket_mode=True,
    )
    assert status == 0
    summary = capsys.readouterr().out
    assert "12 people joined" in summary
    assert "Every step was an envelope over Socket Mode into the bot" in summary
    assert (tmp_path / "out" / "report.txt").read_text()
