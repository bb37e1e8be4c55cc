"""Database faults: /healthz says so, people are told to try again in a minute (a modal stays open
with a field error), multi-row changes are all-or-nothing, and migrations keep every row.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import ids
from bot.clock import FixedClock
from bot.db import Database, async_url, downgrade, upgrade
from bot.models import Base, Goal, Pair, Participant, Response
from bot.scheduler.checkins import run_checkins
from mentorbot_sandbox.local import LocalBot
from tests.conftest import START
from tests.flows import DEFAULT_ANSWERS, add_person, open_modal, texts_of

from .helpers import WEEK2_DUE, checkin_posts, make_pairs, row_counts

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

DOWN = "can't reach my database"
IN_A_MINUTE = "try again in a minute"


def dead_url(db_url: str, tmp_path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/missing-dir/down.sqlite3"
    return "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


@asynccontextmanager
async def database_down(bot, tmp_path):
    """The database goes away (the pool points at a dead address) and comes back afterwards."""
    alive = bot.ctx.db
    bot.ctx.db = Database(dead_url(alive.url, tmp_path))
    try:
        yield
    finally:
        await bot.ctx.db.dispose()
        bot.ctx.db = alive


async def health(bot) -> int:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{bot.url}/healthz", timeout=5)).status_code


async def test_health_and_people_hear_about_an_outage_and_nothing_half_done(bot, tmp_path):
    ((_, sharer, learner, channel),) = await make_pairs(bot, 1)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    add_person(bot, "U0PRIYA01", "Priya Patel")
    signup = await open_modal(bot, "U0PRIYA01", "join")
    goals = await open_modal(bot, sharer, "goals")
    message = checkin_posts(bot.fake, channel)[0]
    await bot.fake.click(learner, ids.CHECKIN_FEEDBACK, channel=channel, ts=message["ts"])
    feedback = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    assert await health(bot) == 200
    before = await row_counts(bot.ctx.db)

    async with database_down(bot, tmp_path):
        assert await health(bot) == 503
        # Modal submissions: the modal stays open with the reason on a field.
        submissions = [
            ("U0PRIYA01", signup, DEFAULT_ANSWERS, ids.B_ROLE),
            (
                sharer,
                goals,
                {(ids.goal_block("description", 0), ids.A_GOAL["description"]): "Ship it"},
                ids.goal_block("description", 0),
            ),
            (learner, feedback, {ids.A_FB_MET: "met"}, ids.B_FB_MET),
        ]
        for user, view, values, block in submissions:
            result = await bot.fake.submit_view(user, view["id"], values)
            assert result.status == 200
            assert IN_A_MINUTE in result.errors[block] and DOWN in result.errors[block]
            assert bot.fake.open_views(user)[-1]["id"] == view["id"]  # still open to retry
        # Slash commands and buttons: an ephemeral (or DM) in plain words.
        for user, words in ((sharer, "status"), (sharer, "pause"), ("U0PRIYA01", "goals")):
            seen = len(bot.fake.ephemerals(user))
            result = await bot.fake.slash_command(user, text=words)
            assert result.status == 200
            note = await bot.fake.wait_for(
                lambda user=user, seen=seen: bot.fake.ephemerals(user)[seen:]
            )
            assert IN_A_MINUTE in texts_of(note), texts_of(note)
        seen = len(bot.fake.ephemerals(sharer))
        result = await bot.fake.click(sharer, ids.CHECKIN_MET, channel=channel, ts=message["ts"])
        assert result.status == 200
        note = await bot.fake.wait_for(
            lambda: (
                bot.fake.ephemerals(sharer)[seen:]
                + [m for m in bot.fake.dm_messages(sharer) if IN_A_MINUTE in m["text"]]
            )
        )
        assert IN_A_MINUTE in texts_of(note)

    assert await health(bot) == 200
    assert await row_counts(bot.ctx.db) == before  # nothing was half-written
    # Back up: the same modals go through.
    result = await bot.fake.submit_view("U0PRIYA01", signup["id"], DEFAULT_ANSWERS)
    assert not result.errors
    result = await bot.fake.submit_view(learner, feedback["id"], {ids.A_FB_MET: "met"})
    assert not result.errors


FAIL_ON = {
    # statements that make an UPDATE of `table` abort when `condition` holds for the new row
    "sqlite": [
        "CREATE TRIGGER fail_midway BEFORE UPDATE ON {table} WHEN {condition} "
        "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION fail_midway() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$",
        "CREATE TRIGGER fail_midway BEFORE UPDATE ON {table} FOR EACH ROW "
        "WHEN ({condition}) EXECUTE FUNCTION fail_midway()",
    ],
}


async def fail_midway(db: Database, table: str, condition: str) -> None:
    """A failure inside the database part-way through a change (earlier rows already sent)."""
    async with db.engine.begin() as conn:
        for statement in FAIL_ON[db.dialect]:
            await conn.exec_driver_sql(statement.format(table=table, condition=condition))


async def heal(db: Database, table: str) -> None:
    drop = "DROP TRIGGER fail_midway"
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(f"{drop} ON {table}" if db.dialect == "postgresql" else drop)


async def state_of(db) -> tuple:
    async with db.session() as session:
        pairs = [(p.status, p.end_reason) for p in (await session.scalars(select(Pair)))]
        people = sorted(
            (p.slack_user_id, p.status, p.display_name)
            for p in (await session.scalars(select(Participant)))
        )
        goals = sorted((g.description, g.status) for g in (await session.scalars(select(Goal))))
        responses = [(r.learned_text,) for r in (await session.scalars(select(Response)))]
    return pairs, people, goals, responses


async def test_leave_and_delete_are_all_or_nothing(bot):
    ((_, sharer, learner, _),) = await make_pairs(bot, 1)
    async with bot.ctx.db.session() as session:
        person = await session.scalar(
            select(Participant).where(Participant.slack_user_id == sharer)
        )
        person.display_name = "Sharer Zero"
        session.add(Goal(participant_id=person.id, category="inclusion", description="Mine"))
    untouched = await state_of(bot.ctx.db)
    # Each change fails on its last row: the earlier rows of the same change must not stay.
    for command, table, condition in (
        ("leave", "pairs", "NEW.status = 'ended'"),
        ("leave", "participants", "NEW.status = 'left'"),
        ("delete-my-data", "goals", "NEW.status = 'closed'"),
        ("delete-my-data", "participants", "NEW.status = 'deleted'"),
    ):
        await fail_midway(bot.ctx.db, table, condition)
        view = await open_modal(bot, sharer, command)
        seen = len(bot.fake.dm_messages(sharer))
        await bot.fake.submit_view(sharer, view["id"], {})
        told = await bot.fake.wait_for(lambda seen=seen: bot.fake.dm_messages(sharer)[seen:])
        assert "nothing was changed" in texts_of(told) and "try again" in texts_of(told)
        assert await state_of(bot.ctx.db) == untouched, (command, table)
        await heal(bot.ctx.db, table)

    view = await open_modal(bot, sharer, "leave")
    await bot.fake.submit_view(sharer, view["id"], {})
    await bot.fake.wait_for(
        lambda: any("stepped out" in m["text"] for m in bot.fake.dm_messages(learner))
    )
    pairs, people, _, _ = await state_of(bot.ctx.db)
    assert pairs == [("ended", "left")]
    assert (sharer, "left", "Sharer Zero") in people


async def tables_and_rows(url: str) -> dict[str, int]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:

            def names(sync_conn):
                from sqlalchemy import inspect

                return inspect(sync_conn).get_table_names()

            found = {}
            for name in await conn.run_sync(names):
                found[name] = await conn.scalar(select(func.count()).select_from(text(f'"{name}"')))
            return found
    finally:
        await engine.dispose()


async def test_migrations_on_a_populated_database_keep_every_row(empty_db_url):
    await asyncio.to_thread(upgrade, empty_db_url)
    async with LocalBot(empty_db_url, clock=FixedClock(START)) as bot:
        await make_pairs(bot, 3)
        bot.clock.set(WEEK2_DUE)
        await run_checkins(bot.ctx)
        add_person(bot, "U0PRIYA01", "Priya Patel")
        view = await open_modal(bot, "U0PRIYA01", "join")
        await bot.fake.submit_view("U0PRIYA01", view["id"], DEFAULT_ANSWERS)
    populated = await tables_and_rows(empty_db_url)
    assert populated["participants"] == 7 and populated["checkins"] == 3
    async with create_async_engine(async_url(empty_db_url)).connect() as conn:
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))

    await asyncio.to_thread(upgrade, empty_db_url)  # already at head: a no-op
    assert await tables_and_rows(empty_db_url) == populated
    async with create_async_engine(async_url(empty_db_url)).connect() as conn:
        assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == version

    # Going all the way down on a database with data is done fully (it is what was asked),
    # never left half way: every table of the models is gone, and upgrading rebuilds them.
    await asyncio.to_thread(downgrade, empty_db_url, "base")
    remaining = await tables_and_rows(empty_db_url)
    assert set(remaining) <= {"alembic_version"} and remaining.get("alembic_version", 0) == 0
    await asyncio.to_thread(upgrade, empty_db_url)
    rebuilt = await tables_and_rows(empty_db_url)
    assert set(Base.metadata.tables) <= set(rebuilt)
    assert sum(n for name, n in rebuilt.items() if name != "alembic_version") == 0
