"""Shared fixtures: a database on SQLite and on PostgreSQL, the local Slack fake, the running bot.

Every database test runs twice, once per backend (`db_url` is parametrised). PostgreSQL comes from
TEST_DATABASE_URL (default: the local server); without it the PostgreSQL half is skipped locally and
fails in CI, where it must run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import Database, async_url
from bot.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_TEST_DB = f"mentorbot_test_{os.getpid()}"  # per run: parallel runs never collide


def _pg_admin_available() -> bool:
    async def probe() -> bool:
        engine = create_async_engine(async_url(PG_URL))
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
        finally:
            await engine.dispose()

    return asyncio.run(probe())


PG_AVAILABLE = _pg_admin_available()


def pg_database_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


async def recreate_pg_database(name: str) -> str:
    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return pg_database_url(name)


async def drop_pg_database(name: str) -> None:
    engine = create_async_engine(async_url(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


def _require_pg() -> None:
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} in CI")
        pytest.skip("PostgreSQL not reachable; set TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def pg_schema_url():
    """One PostgreSQL database for the session, with the models' tables; dropped at the end."""
    _require_pg()

    async def setup() -> str:
        url = await recreate_pg_database(PG_TEST_DB)
        engine = create_async_engine(async_url(url))
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()
        return url

    yield asyncio.run(setup())
    asyncio.run(drop_pg_database(PG_TEST_DB))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database URL with an empty schema: a fresh SQLite file, or truncated PostgreSQL tables."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"

        async def create() -> None:
            engine = create_async_engine(async_url(url))
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            await engine.dispose()

        asyncio.run(create())
        return url
    url = request.getfixturevalue("pg_schema_url")

    async def truncate() -> None:
        engine = create_async_engine(async_url(url))
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def unique_name() -> str:
    return f"mb_{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path, unique_name):
    """A database with no tables at all, for migrations: a new SQLite file or PostgreSQL db."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    _require_pg()
    yield asyncio.run(recreate_pg_database(unique_name))
    asyncio.run(drop_pg_database(unique_name))


START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)  # a Monday


# How long the fake waits for an ack and keeps a trigger id alive in tests (Slack: 3 s). Bolt
# itself answers 404 when a listener has not acked within its 3 s, so a 200 still proves the
# deadline; the fake's own clock would also count a busy CI machine's load, which made tests flaky.
# Tests of expiry set their own (`bot.fake.trigger_ttl = 0.0`).
def _records_a_worker_can_send(make_record=logging.getLogRecordFactory()):  # noqa: B008
    """Log records whose text pytest-xdist can send back to the main process.

    The hostile-input tests put lone surrogates into ids that libraries then log (Bolt names an
    action id it cannot route); pytest captures the line in the test's report, and a worker
    cannot encode such a report as UTF-8, so the whole run stopped with an INTERNALERROR. The
    bot's own JSON logs escape them; this only makes pytest's captured copy printable.
    """

    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a handler reports a record it cannot format: leave that to it
            return record
        try:
            message.encode("utf-8")
        except UnicodeEncodeError:
            record.msg = message.encode("utf-8", "backslashreplace").decode("utf-8")
            record.args = ()
        return record

    return factory


logging.setLogRecordFactory(_records_a_worker_can_send())


PATIENCE = 30.0


def patient(local):
    local.fake.ack_timeout = local.fake.trigger_ttl = PATIENCE
    return local


@pytest.fixture
async def bot(db_url: str):
    """The real bot on loopback, talking to the local Slack fake; the clock is the test's."""
    from bot.clock import FixedClock
    from mentorbot_sandbox.local import LocalBot

    async with LocalBot(db_url, clock=FixedClock(START)) as local:
        yield patient(local)
