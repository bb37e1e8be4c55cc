"""Database engine, sessions and migrations.

The session is opened per request or per job and passed in (`async with db.session() as s`), so
nothing holds a connection between Slack interactions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Executable, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

    from bot.clock import Clock

#: Alembic's script folder, resolved from the installed package: the repository's top-level
#: `migrations/` in a checkout (editable install), `site-packages/bot/migrations` from a wheel.
MIGRATIONS_DIR = Path(str(files("bot.migrations")))
_holding_turn: ContextVar[bool] = ContextVar("holding_sqlite_turn", default=False)


def async_url(url: str) -> str:
    """Accept the URLs operators have (sqlite://, postgres://) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so web and jobs can share the file."""
    full = async_url(url)
    if full.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 10})
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("hide_parameters", True)  # SQL errors never carry personal data into logs
    engine = create_async_engine(full, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite takes one writer at a time and makes the others poll with growing sleeps (the
        # busy timeout): under load some requests waited seconds, past Slack's 3 s. Queue this
        # process's transactions in order instead; other processes still meet the busy timeout.
        self._turn = asyncio.Lock() if self.dialect == "sqlite" else None
        # The request log written before each ack gets its own few connections on PostgreSQL:
        # under load the main pool is busy with work done after acks (answers to one check-in
        # wait their turn on its row), and an ack must never queue behind that.
        self._ack_engine = (
            None
            if self._turn
            else create_engine(url, **{**engine_kwargs, "pool_size": 3, "max_overflow": 7})
        )

    def stamp_with(self, clock: Clock) -> None:
        """New rows get their `created_at` from `clock` (see `models.Timestamped`)."""
        self.sessionmaker.configure(info={"clock": clock})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on any error."""
        if self._turn is None or _holding_turn.get():
            async with self.sessionmaker() as session, session.begin():
                yield session
            return
        async with self._turn:
            token = _holding_turn.set(True)  # a nested session must not wait for itself
            try:
                async with self.sessionmaker() as session, session.begin():
                    yield session
            finally:
                _holding_turn.reset(token)

    @asynccontextmanager
    async def ack_session(self) -> AsyncIterator[AsyncSession]:
        """A short transaction on the path to an ack (see `__init__`); commits on success."""
        if self._ack_engine is None:
            async with self.session() as session:
                yield session
            return
        async with AsyncSession(self._ack_engine) as session, session.begin():
            yield session

    async def ping(self) -> bool:
        """True when the database answers a trivial query (used by /healthz)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._ack_engine is not None:
            await self._ack_engine.dispose()


def alembic_config(url: str) -> Config:
    """Alembic configured in code, so `mentorbot db upgrade` works from any directory.

    Alembic is imported only here: `mentorbot serve --no-migrate` never loads it.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def dialect_of(session: AsyncSession) -> str:
    """The session's database: "postgresql" or "sqlite"."""
    return session.bind.dialect.name if session.bind else "sqlite"


#: Each database's own INSERT, the one with ON CONFLICT.
UPSERT_INSERTS: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def upsert_insert(session: AsyncSession) -> Any:
    """The session's database's INSERT with ON CONFLICT."""
    return UPSERT_INSERTS[dialect_of(session)]


def session_now(session: AsyncSession) -> dt.datetime:
    """The bot's time for what this session writes outside the ORM (its clock, see
    `Database.stamp_with`, as `models.Timestamped` uses for ORM rows); the machine's without."""
    clock = session.info.get("clock")
    return clock.now() if clock is not None else dt.datetime.now(dt.UTC)


async def changed_rows(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE (or INSERT/DELETE) and say how many rows it changed: the claim protocols
    rely on it (1 row: this transaction won; 0: someone else did)."""
    result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount or 0
