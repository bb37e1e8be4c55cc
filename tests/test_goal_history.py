"""Reaching a goal keeps it in view: App Home, status and the goals modal show it as achieved,
with the progress it went through."""

from __future__ import annotations

from bot import ids
from tests.flows import add_person, join, open_modal, texts_of

USER = "U0GOALS01"


async def test_an_achieved_goal_stays_with_its_history(bot):
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
