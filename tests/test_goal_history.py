"""Reaching a goal keeps it in view: App Home, status and the goals modal show it as achieved,
with the progress it went through."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Goal, Participant
from tests.flows import add_person, join, open_modal, texts_of

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

USER = "U0GOALS01"


async def join_with_a_goal(bot) -> None:
    add_person(bot, USER, "Gia Goal")
    result = await join(
        bot,
        USER,
        **{
            ids.A_GOAL["category"]: "tech_upskilling",
            ids.A_GOAL["description"]: "Use an AI assistant every week",
        },
    )
    assert not result.errors


async def test_an_achieved_goal_stays_with_its_history(bot):
    await join_with_a_goal(bot)
    progress = (ids.goal_block("progress", 0), ids.A_GOAL["progress"])
    state = (ids.goal_block("state", 0), ids.A_GOAL["state"])
    for answers in ({progress: "50"}, {progress: "75", state: "achieved"}):
        view = await open_modal(bot, USER, "goals")
        assert not (await bot.fake.submit_view(USER, view["id"], answers)).errors

    expected = "*Tech upskilling*: Use an AI assistant every week · achieved (0% → 50% → 100%)"
    await bot.fake.wait_for(lambda: expected in str((bot.fake.home(USER) or {}).get("blocks")))
    home = texts_of([bot.fake.home(USER)])
    assert "Goals you achieved" in home and "You have no goals yet." in home  # none open now
    await bot.fake.slash_command(USER, text="status")
    await bot.fake.wait_for(lambda: expected in texts_of(bot.fake.ephemerals(USER)))
    modal = await open_modal(bot, USER, "goals")
    assert expected in str(modal["blocks"])


async def test_a_goal_is_dated_by_the_bots_clock_not_the_machines(bot):
    """A program's report counts the goals set before its people's time in it ended, dates that
    follow the bot's clock (the demo's simulated weeks, this test's fixed Monday in January):
    a goal stamped with the machine's time instead fell outside every closed program."""
    await join_with_a_goal(bot)
    async with bot.ctx.db.session() as session:
        goal = await session.scalar(select(Goal))
        person = await session.scalar(select(Participant))
    assert goal is not None and person is not None
    assert goal.created_at == person.created_at == bot.clock.now()
