"""Migrations produce exactly the models, and go down and up cleanly, on both databases."""

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import alembic_config, async_url, downgrade, upgrade
from bot.models import Base
from tests.conftest import _require_pg, drop_pg_database, recreate_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path, unique_name):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    _require_pg()
    yield asyncio.run(recreate_pg_database(unique_name))
    asyncio.run(drop_pg_database(unique_name))


def _diff_and_tables(url: str) -> tuple[list, set[str]]:
    async def run():
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:

            def inspect_sync(sync_conn):
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, Base.metadata), set(
                    inspect(sync_conn).get_table_names()
                )

            result = await conn.run_sync(inspect_sync)
        await engine.dispose()
        return result

    return asyncio.run(run())


def test_upgrade_matches_models_exactly(empty_db_url):
    upgrade(empty_db_url)
    diff, tables = _diff_and_tables(empty_db_url)
    assert diff == []
    assert set(Base.metadata.tables) <= tables
    command.check(alembic_config(empty_db_url))  # the same question, asked the way operators would


def test_downgrade_to_base_and_up_again(empty_db_url):
    upgrade(empty_db_url)
    downgrade(empty_db_url, "base")
    _, tables = _diff_and_tables(empty_db_url)
    assert tables <= {"alembic_version"}
    upgrade(empty_db_url)
    diff, _ = _diff_and_tables(empty_db_url)
    assert diff == []
