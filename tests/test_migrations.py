"""Migrations produce exactly the models, and go down and up cleanly, on both databases."""

import asyncio
import datetime as dt
import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from bot.db import alembic_config, async_url, downgrade, upgrade
from bot.models import Attendance, Base, Checkin, Pair, Program, Response
from bot.scheduler.checkins import run_checkins
from bot.services.summaries import SUMMARY_COLUMNS, summarize_checkins
from mentorbot_sandbox.local import HR_ADMIN_ID, LocalBot
from tests.conftest import START
from tests.flows import texts_of
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


async def test_upgrading_keeps_the_single_program_as_a_named_program(empty_db_url):
    """0006 names programs uniquely: an existing database's program (and a same-named second
    one, which the old schema allowed) survive the upgrade in place and HR can list them."""
    await asyncio.to_thread(upgrade, empty_db_url, "0002")
    engine = create_async_engine(async_url(empty_db_url))
    async with engine.begin() as conn:
        for start in ("2026-01-12", "2026-03-02"):
            await conn.execute(
                text(
                    "INSERT INTO programs (name, start_date, length_weeks, cadence_weeks,"
                    " checkin_weekday, checkin_time, status, hr_channel_id, created_at,"
                    " updated_at) VALUES ('Pilot', :start, 12, 1, 'tue', '10:00:00', 'open',"
                    " 'C0HRCHAN01', :now, :now)"
                ),
                {"start": dt.date.fromisoformat(start), "now": START},
            )
    await engine.dispose()
    await asyncio.to_thread(upgrade, empty_db_url)
    async with LocalBot(empty_db_url, clock=FixedClock(START)) as bot:
        async with bot.ctx.db.session() as session:
            programs = (await session.scalars(select(Program).order_by(Program.id))).all()
            assert [(p.name, p.eligible_departments) for p in programs] == [
                ("Pilot", []),
                ("Pilot (2)", []),
            ]
        await bot.fake.slash_command(HR_ADMIN_ID, text="admin programs")
        listed = await bot.fake.wait_for(lambda: bot.fake.ephemerals(HR_ADMIN_ID))
        shown = texts_of(listed)
        assert "*Pilot* · enrolling" in shown and "*Pilot (2)* · enrolling" in shown


async def _enrolment_rows(url: str) -> list[tuple]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT programs.name, participants.slack_user_id, enrolments.role,"
                    " enrolments.final_status, enrolments.ended_at IS NOT NULL FROM enrolments"
                    " JOIN programs ON programs.id = enrolments.program_id"
                    " JOIN participants ON participants.id = enrolments.participant_id"
                    " ORDER BY participants.slack_user_id"
                )
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def add_spring_closed_and_summer_open(conn) -> None:
    """Spring (closed) and Summer (open), by SQL: these tests stop at an older revision, where
    the models of today do not fit the tables yet."""
    for name, status in (("Spring", "closed"), ("Summer", "open")):
        await conn.execute(
            text(
                "INSERT INTO programs (name, start_date, length_weeks, cadence_weeks,"
                " checkin_weekday, checkin_time, status, closed_at, eligible_departments,"
                " different_departments, created_at, updated_at) VALUES (:name, :start, 12,"
                " 1, 'tue', '10:00:00', :status, :closed, '[]', false, :now, :now)"
            ),
            {
                "name": name,
                "start": START.date(),
                "status": status,
                "closed": START if status == "closed" else None,
                "now": START,
            },
        )


async def test_upgrading_enrols_everyone_in_their_program_and_freezes_closed_ones(empty_db_url):
    """0007 adds enrolments: each participant with a program gets one, with their role; in a
    closed program their status of now is kept, so its figures stay put when they move on."""
    await asyncio.to_thread(upgrade, empty_db_url, "0006")
    engine = create_async_engine(async_url(empty_db_url))
    async with engine.begin() as conn:
        await add_spring_closed_and_summer_open(conn)
        for user, program, role, status in (
            ("U1", "Spring", "share", "paused"),
            ("U2", "Spring", "learn", "left"),
            ("U3", "Summer", "either", "active"),
            ("U4", None, "learn", "active"),
        ):
            await conn.execute(
                text(
                    "INSERT INTO participants (slack_user_id, program_id, role, experience_band,"
                    " timezone, share_topics, learn_topics, available_days, time_of_day,"
                    " meeting_minutes, status, consent_quote, next_round, created_at, updated_at)"
                    " VALUES (:user, (SELECT id FROM programs WHERE name = :program), :role,"
                    " '0-2', 'UTC', '[]', '[]', '[]', 'any', 30, :status, false, false, :now,"
                    " :now)"
                ),
                {"user": user, "program": program, "role": role, "status": status, "now": START},
            )
    await engine.dispose()
    await asyncio.to_thread(upgrade, empty_db_url)
    expected = [
        ("Spring", "U1", "share", "paused", True),
        ("Spring", "U2", "learn", "left", True),
        ("Summer", "U3", "either", None, False),
    ]
    assert await _enrolment_rows(empty_db_url) == expected
    async with LocalBot(empty_db_url, clock=FixedClock(START)) as bot:
        await bot.fake.slash_command(HR_ADMIN_ID, text="admin programs")
        listed = texts_of(await bot.fake.wait_for(lambda: bot.fake.ephemerals(HR_ADMIN_ID)))
        assert "*Spring* · closed · 1 enrolled" in listed  # U1, paused when it closed
        assert "*Summer* · running · 1 enrolled" in listed

    await asyncio.to_thread(downgrade, empty_db_url, "0006")
    _, tables = await asyncio.to_thread(_diff_and_tables, empty_db_url)
    assert "enrolments" not in tables
    await asyncio.to_thread(upgrade, empty_db_url)
    assert await _enrolment_rows(empty_db_url) == expected


LONG_DEPARTMENT = ("Treasury, Risk and Compliance " * 3)[:80]  # the column's full length


async def _kept_on_enrolments(url: str) -> list[tuple]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT participants.slack_user_id, enrolments.department,"
                    " enrolments.share_topics, enrolments.learn_topics FROM enrolments"
                    " JOIN participants ON participants.id = enrolments.participant_id"
                    " ORDER BY participants.slack_user_id"
                )
            )
            # SQLite gives JSON back as text, asyncpg decoded.
            return [
                (user, department, *(json.loads(t) if isinstance(t, str) else t for t in topics))
                for user, department, *topics in rows
            ]
    finally:
        await engine.dispose()


async def test_upgrading_keeps_the_department_and_topics_of_enrolments_already_ended(
    empty_db_url,
):
    """0009: an enrolment that ended keeps the person's department (HR's org data first, while
    it lists them) and topics; existing ended ones get today's, running ones nothing."""
    await asyncio.to_thread(upgrade, empty_db_url, "0008")
    engine = create_async_engine(async_url(empty_db_url))
    async with engine.begin() as conn:
        await add_spring_closed_and_summer_open(conn)
        for user, program, department, share, learn in (
            ("U1", "Spring", "Sales", '["AI"]', '["Strategy"]'),
            ("U2", "Spring", "Sales", '["Video"]', "[]"),
            ("U3", "Summer", "Legal", '["AI"]', '["Budgets"]'),
        ):
            await conn.execute(
                text(
                    "INSERT INTO participants (slack_user_id, program_id, role, experience_band,"
                    " department, timezone, share_topics, learn_topics, available_days,"
                    " time_of_day, meeting_minutes, status, consent_quote, next_round,"
                    " created_at, updated_at) VALUES (:user, (SELECT id FROM programs WHERE"
                    " name = :program), 'share', '0-2', :department, 'UTC', :share, :learn,"
                    " '[]', 'any', 30, 'active', false, false, :now, :now)"
                ),
                {
                    "user": user,
                    "program": program,
                    "department": department,
                    "share": share,
                    "learn": learn,
                    "now": START,
                },
            )
            closed = program == "Spring"
            await conn.execute(
                text(
                    "INSERT INTO enrolments (program_id, participant_id, role, enrolled_at,"
                    " ended_at, final_status) SELECT program_id, id, 'share', :now, :ended,"
                    " :status FROM participants WHERE slack_user_id = :user"
                ),
                {
                    "user": user,
                    "now": START,
                    "ended": START if closed else None,
                    "status": "active" if closed else None,
                },
            )
        for user, department, listed in (("U1", LONG_DEPARTMENT, True), ("U2", "Old", False)):
            await conn.execute(
                text(
                    "INSERT INTO org_people (slack_user_id, department, reporting_line,"
                    " in_org_data, created_at, updated_at) VALUES (:user, :department, '[]',"
                    " :listed, :now, :now)"
                ),
                {"user": user, "department": department, "listed": listed, "now": START},
            )
    await engine.dispose()
    await asyncio.to_thread(upgrade, empty_db_url)
    expected = [
        ("U1", LONG_DEPARTMENT, ["AI"], ["Strategy"]),
        ("U2", "Sales", ["Video"], []),  # no longer in HR's data: their own
        ("U3", None, None, None),  # still in a running program: read as they are
    ]
    assert await _kept_on_enrolments(empty_db_url) == expected

    await asyncio.to_thread(downgrade, empty_db_url, "0008")
    assert await _enrolment_rows(empty_db_url) == [
        ("Spring", "U1", "share", "active", True),
        ("Spring", "U2", "share", "active", True),
        ("Summer", "U3", "share", None, False),
    ]
    await asyncio.to_thread(upgrade, empty_db_url)
    assert await _kept_on_enrolments(empty_db_url) == expected
