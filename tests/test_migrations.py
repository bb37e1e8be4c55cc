"""Migrations produce exactly the models, and go down and up cleanly, on both databases."""

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from bot.db import alembic_config, async_url, downgrade, upgrade
from bot.models import Attendance, Base, Checkin, Pair, Response
from bot.scheduler.checkins import run_checkins
from bot.services.summaries import SUMMARY_COLUMNS, summarize_checkins
from mentorbot_sandbox.local import LocalBot
from tests.conftest import START
from tests.reliability.helpers import WEEK2_DUE, make_pairs

pytestmark = pytest.mark.slow  # real migrations (and a running bot) on both databases


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


# (sharer's answer, learner's answer): attendance, usefulness, candour, thumbs, feedback given
ANSWERS = [
    (("met", 5, 4, 1, True), ("met", 4, None, -1, True)),
    (("partner_cancelled", None, None, None, False), ("cancelled", 2, 3, None, True)),
    (("skipped", None, None, 1, False), None),
    (None, ("scheduled", None, None, None, False)),
    (None, None),
]


async def _summaries(url: str) -> list[tuple]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            columns = ", ".join(SUMMARY_COLUMNS)
            rows = await conn.execute(
                text(f"SELECT pair_id, {columns} FROM checkins ORDER BY pair_id")
            )
            return [tuple(int(v) for v in row) for row in rows]
    finally:
        await engine.dispose()


async def test_upgrading_fills_in_the_summaries_of_existing_checkins(empty_db_url):
    """0002 adds the per-check-in answer summary: on a database with answers it computes
    what saving each answer would have kept."""
    await asyncio.to_thread(upgrade, empty_db_url)
    async with LocalBot(empty_db_url, clock=FixedClock(START)) as bot:
        pairs = await make_pairs(bot, len(ANSWERS))
        bot.clock.set(WEEK2_DUE)
        await run_checkins(bot.ctx)
        async with bot.ctx.db.session() as session:
            for (pair_id, *_), answers in zip(pairs, ANSWERS, strict=True):
                pair = await session.get(Pair, pair_id)
                checkin = await session.scalar(
                    select(Checkin).where(Checkin.pair_id == pair_id, Checkin.kind == "checkin")
                )
                for who, answer in zip((pair.sharer_id, pair.learner_id), answers, strict=True):
                    if answer is None:
                        continue
                    said, useful, candour, thumbs, feedback = answer
                    session.add(
                        Response(
                            checkin_id=checkin.id,
                            participant_id=who,
                            attendance=Attendance(said),
                            usefulness=useful,
                            candour=candour,
                            prompt_rating=thumbs,
                            feedback_submitted_at=WEEK2_DUE if feedback else None,
                        )
                    )
            await summarize_checkins(session, None)
    kept = await _summaries(empty_db_url)
    assert [row[1:] for row in kept] == [
        (4, 2, 9, 2, 4, 1, 1, 1, 1, 1, 0, 0),
        (2, 1, 2, 1, 3, 1, 0, 0, 0, 1, 0, 1),
        (1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0),
        (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]

    await asyncio.to_thread(downgrade, empty_db_url, "0001")  # as before the summaries existed
    await asyncio.to_thread(upgrade, empty_db_url)
    assert await _summaries(empty_db_url) == kept
