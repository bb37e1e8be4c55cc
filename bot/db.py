"""Database engine, sessions and migrations.

The session is opened per request or per job and passed in (`async with db.session() as s`), so
nothing holds a connection between Slack interactions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    JSON,
    BindParameter,
    Column,
    CursorResult,
    Executable,
    Table,
    bindparam,
    event,
    insert,
    inspect,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import make_transient_to_detached

from bot.models import Base, Timestamped

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


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements: an INSERT or UPDATE of the table skips the ORM's
    bulk handling that one of the mapped class goes through (~0.2 ms of CPU each), where
    nothing in the session needs to follow the change."""
    return cast(Table, model.__table__)


#: A new row to insert and, per foreign key, the new row (inserted before it) it points at.
NewRow = tuple[Base, Mapping[str, Base]]


async def insert_new(session: AsyncSession, *rows: NewRow) -> None:
    """Insert new rows that point at each other, then keep them in the session as if loaded.

    The ORM's unit of work sends one INSERT per row and a flush for each row whose id the next
    needs; a sign-up writes four such rows on every newcomer. Here PostgreSQL gets one statement
    (each INSERT a CTE that hands its id to the next) and SQLite, which has no INSERT in a CTE,
    one INSERT per row, each built once per shape of rows and reused.

    Every column but the id is written as the row holds it: set what the model's defaults
    would (a column with a default left unset is refused), `created_at` and `updated_at` aside
    (the session's clock, as the ORM stamps them)."""
    now = session_now(session)
    shape = tuple(
        (type(row), tuple(sorted((key, _index_of(rows, parent)) for key, parent in links.items())))
        for row, links in rows
    )
    params: dict[str, Any] = {}
    for index, (row, links) in enumerate(rows):
        if isinstance(row, Timestamped) and row.created_at is None:
            row.created_at = row.updated_at = now
        params.update(
            (f"r{index}_{key}", value) for key, value in _column_values(row, links).items()
        )
    ids: list[int] = []
    if dialect_of(session) == "postgresql":
        ids.extend((await session.execute(_inserts_as_one(shape), params)).one())
    else:
        for index, statement in enumerate(_inserts_one_by_one(shape)):
            for key, parent_index in shape[index][1]:
                params[f"r{index}_{key}"] = ids[parent_index]
            ids.append((await session.execute(statement, params)).scalar_one())
    for (row, links), new_id in zip(rows, ids, strict=True):
        row.id = new_id  # type: ignore[attr-defined]
        for key, parent in links.items():
            setattr(row, key, parent.id)  # type: ignore[attr-defined]
        make_transient_to_detached(row)  # what it holds is what was stored
        session.add(row)


def _index_of(rows: tuple[NewRow, ...], parent: Base) -> int:
    return next(index for index, (row, _) in enumerate(rows) if row is parent)


def _column_values(row: Base, links: Mapping[str, Base]) -> dict[str, Any]:
    values = {}
    for attribute in inspect(type(row)).column_attrs:
        column = attribute.columns[0]
        if column.primary_key or attribute.key in links:
            continue
        value = getattr(row, attribute.key)
        if value is None and column.default is not None:
            raise ValueError(f"{column} has a default the ORM would apply: set it")
        setattr(row, attribute.key, value)  # held, not expired, once the row counts as loaded
        values[attribute.key] = value
    return values


Shape = tuple[tuple[type[Base], tuple[tuple[str, int], ...]], ...]


def _set(table: Table) -> list[Column[Any]]:
    """The columns an insert sets: all but the id."""
    return [column for column in table.columns if not column.primary_key]


def _parameter(index: int, column: Column[Any]) -> BindParameter[Any]:
    """Row `index`'s value for `column`. A JSON column's None is stored as SQL NULL, as the ORM
    stores an attribute it was not given (given None, JSON would store its own `null`)."""
    kind = JSON(none_as_null=True) if isinstance(column.type, JSON) else column.type
    return bindparam(f"r{index}_{column.key}", type_=kind)


@functools.cache
def _inserts_one_by_one(shape: Shape) -> list[Any]:
    """One INSERT per row, each with a parameter per column (its foreign keys among them)."""
    statements = []
    for index, (model, _) in enumerate(shape):
        table = table_of(model)
        values = {column.key: _parameter(index, column) for column in _set(table)}
        statements.append(insert(table).values(values).returning(table.c.id))
    return statements


@functools.cache
def _inserts_as_one(shape: Shape) -> Any:
    """One SELECT of the new ids, each INSERT a CTE reading its parents' ids from theirs."""
    ctes: list[Any] = []
    for index, (model, links) in enumerate(shape):
        table = table_of(model)
        parents = {key: ctes[parent] for key, parent in links}
        values = [
            parents[column.key].c.id if column.key in parents else _parameter(index, column)
            for column in _set(table)
        ]
        names = [column.key for column in _set(table)]
        source = select(*values)
        if parents:
            source = source.select_from(_side_by_side(list(dict.fromkeys(parents.values()))))
        ctes.append(insert(table).from_select(names, source).returning(table.c.id).cte(f"r{index}"))
    return select(*(cte.c.id for cte in ctes)).select_from(_side_by_side(ctes))


def _side_by_side(ctes: list[Any]) -> Any:
    """The one-row CTEs as one row (a join on TRUE: SQLAlchemy warns of a bare cross join)."""
    joined = ctes[0]
    for cte in ctes[1:]:
        joined = joined.join(cte, true())
    return joined
