"""A closed program's report reads as it did at its close, end to end through the fake, on both
databases: its people go on to the next round, edit their topics and department in the sign-up
modal, HR re-imports the org data, and a goal carried over moves on in the new program; the
closed program's goals, topics and departments (report and CSV) stay as they were at the close,
while the new program reads the latest values."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import ids
from bot.clock import FixedClock
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from tests.conftest import START
from tests.flows import add_person, approve_latest, join, open_modal, request_match, texts_of
from tests.test_next_round import closed_program_figures
from tests.test_programs import PROGRAM_VALUES, final_reports
from tests.test_report_flow import reports_in_channel

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

K = 3  # PRIVACY_MIN_GROUP_SIZE: three people of each kind make every section show figures
SHARERS = {"U0SNAPS01": "Sam Share", "U0SNAPS02": "Sol Share", "U0SNAPS03": "Sky Share"}
LEARNERS = {"U0SNAPL01": "Lee Learn", "U0SNAPL02": "Lou Learn", "U0SNAPL03": "Liv Learn"}
IN_SPRING = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
CLOSING = dt.datetime(2026, 1, 27, 10, 0, tzinfo=dt.UTC)
NEXT_ROUND = dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC)
GOAL = "Use an AI assistant every week"
PROGRESS = (ids.goal_block("progress", 0), ids.A_GOAL["progress"])
STATE = (ids.goal_block("state", 0), ids.A_GOAL["state"])

# What Spring's report says at its close, section by section.
SPRING_GOALS = (
    "• Tech upskilling: 3 goals of 3 people · recorded progress 50% on average · 1 achieved"
)
SPRING_SHARED = ("1. generative AI tools (3)", "social media and short video (3)")
SPRING_WANTED = ("1. generative AI tools (3)", "strategic planning (3)")
SPRING_DEPARTMENTS = ("• Marketing (3 people)", "• Treasury (3 people)")


@pytest.fixture
async def private_bot(db_url: str):
    async with LocalBot(db_url, clock=FixedClock(START), privacy_min_group_size=K) as local:
        local.fake.ack_timeout = local.fake.trigger_ttl = 30.0
        yield local


def assert_spring_as_closed(report: str) -> None:
    """Each section that follows people's own values, as Spring's report had it at the close."""
    assert "Goals by category (progress as each person had recorded it by the close)" in report
    assert SPRING_GOALS in report
    shared, wanted = report.split("Most shared topics")[1].split("Most wanted topics")
    wanted = wanted.split("Surveys")[0]
    assert all(line in shared for line in SPRING_SHARED), shared
    assert all(line in wanted for line in SPRING_WANTED), wanted
    departments = report.split("By department")[1]
    assert all(line in departments for line in SPRING_DEPARTMENTS), departments


async def import_org_data(bot, name: str, department: str) -> None:
    """HR shares a people file in the bot's DM that puts every learner in `department`."""
    rows = "".join(f"{user},{department}\n" for user in LEARNERS)
    people = bot.fake.add_file(HR_ADMIN_ID, name, f"slack_id,department\n{rows}".encode())
    await bot.fake.share_file(HR_ADMIN_ID, people)
    done = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(HR_ADMIN_ID) if f"from {name}" in texts_of([m])]
    )
    assert "Matched 3 of them" in texts_of(done)


async def update_goal(bot, user: str, answers: dict) -> None:
    view = await open_modal(bot, user, "goals")
    assert GOAL in texts_of([view])
    assert not (await bot.fake.submit_view(user, view["id"], answers)).errors


async def edit_profile(bot, user: str, answers: dict) -> None:
    """The sign-up modal again (the only open program is the next round): the person's saved
    profile with these answers changed."""
    view = await open_modal(bot, user, "join")
    assert "Summer cohort" in texts_of([view])
    assert not (await bot.fake.submit_view(user, view["id"], answers)).errors


async def report_of(bot, program: str) -> str:
    before = len(reports_in_channel(bot))
    await bot.fake.slash_command(HR_ADMIN_ID, text=f"report {program}", channel_id=HR_CHANNEL_ID)
    report = await bot.fake.wait_for(
        lambda: len(reports_in_channel(bot)) > before and reports_in_channel(bot)[-1]
    )
    assert f"Mentoring report: {program}" in texts_of([report])
    return texts_of([report])


async def test_a_closed_programs_goals_topics_and_departments_stay_as_at_its_close(private_bot):
    bot = private_bot
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    await bot.fake.submit_view(
        HR_ADMIN_ID, view["id"], {**PROGRAM_VALUES, ids.A_PROGRAM_NAME: "Spring cohort"}
    )
    for user, name in SHARERS.items():  # Marketing, sharing AI and social media
        add_person(bot, user, name)
        assert not (await join(bot, user)).errors
    for user, name in LEARNERS.items():
        add_person(bot, user, name)
        learner = {
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_DEPARTMENT: "Finance",
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
            ids.A_GOAL["category"]: "tech_upskilling",
            ids.A_GOAL["description"]: GOAL,
        }
        assert not (await join(bot, user, **learner)).errors
    await import_org_data(bot, "people.csv", "Treasury")  # HR's data comes before theirs
    await request_match(bot)
    await approve_latest(bot)

    # During Spring two learners move their goal on: 0%, 50% and achieved.
    bot.clock.set(IN_SPRING)
    lee, lou, liv = LEARNERS
    await update_goal(bot, lee, {PROGRESS: "50"})
    await update_goal(bot, lou, {STATE: "achieved"})

    bot.clock.set(CLOSING)
    view = await open_modal(bot, HR_ADMIN_ID, "admin close Spring cohort")
    await bot.fake.submit_view(HR_ADMIN_ID, view["id"])
    await bot.fake.wait_for(lambda: final_reports(bot))
    closed = await closed_program_figures(bot)
    assert_spring_as_closed(closed[1])

    # The next round: everyone joins Summer with other topics (the sharers in a new department,
    # with a goal of their own now), HR's data moves the learners, and the carried-over goals
    # move on.
    bot.clock.set(NEXT_ROUND)
    view = await open_modal(bot, HR_ADMIN_ID, "admin program new")
    summer = {
        **PROGRAM_VALUES,
        ids.A_PROGRAM_NAME: "Summer cohort",
        ids.A_PROGRAM_START: "2026-02-02",
    }
    assert not (await bot.fake.submit_view(HR_ADMIN_ID, view["id"], summer)).errors
    for user in SHARERS:
        await edit_profile(
            bot,
            user,
            {
                ids.A_DEPARTMENT: "Legal",
                ids.A_SHARE_TOPICS: ["negotiation"],
                ids.A_LEARN_TOPICS: ["public speaking and presence"],
                ids.A_GOAL["category"]: "tech_upskilling",
                ids.A_GOAL["description"]: "Automate one report",
            },
        )
    for user in LEARNERS:
        await edit_profile(
            bot,
            user,
            {ids.A_SHARE_TOPICS: ["negotiation"], ids.A_LEARN_TOPICS: ["data visualisation"]},
        )
    await import_org_data(bot, "june.csv", "Engineering")
    await update_goal(bot, lee, {PROGRESS: "75"})
    await update_goal(bot, liv, {STATE: "achieved"})

    # Summer reads everyone as they are now...
    now = await report_of(bot, "Summer cohort")
    assert "• Tech upskilling: 6 goals of 6 people · recorded progress 46% on average" in now
    assert "· 2 achieved" in now  # (0 + 0 + 0 + 75 + 100 + 100) / 6
    assert "1. negotiation (6)" in now and "data visualisation (3)" in now
    assert "• Engineering (3 people)" in now and "• Legal (3 people)" in now
    # ...and Spring's report and CSV read exactly as they did right after its close.
    later = await closed_program_figures(bot)
    assert_spring_as_closed(later[1])
    assert later == closed
    assert bot.fake.validation_errors == []
