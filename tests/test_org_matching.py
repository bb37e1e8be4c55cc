"""Whole reporting lines in matching, end to end: HR's org import decides who may be paired."""

from __future__ import annotations

import datetime as dt

from bot import ids
from bot.org_import import import_org
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from tests.flows import add_person, join, open_modal, open_program, request_match, texts_of

# The CEO; a VP under her; a lead under the VP; a junior under the lead (the VP is the junior's
# skip-level manager); and a sales lead under the CEO, in another branch.
PEOPLE = {
    "U0CEO": ("ceo@example.com", ""),
    "U0VP": ("vp@example.com", "ceo@example.com"),
    "U0LEAD": ("lead@example.com", "vp@example.com"),
    "U0JUN": ("junior@example.com", "lead@example.com"),
    "U0SALES": ("sales@example.com", "ceo@example.com"),
}


def org_csv(**moved: str) -> bytes:
    lines = ["email,department,manager_email"]
    for user, (email, manager) in PEOPLE.items():
        lines.append(f"{email},Engineering,{moved.get(user, manager)}")
    return ("\n".join(lines) + "\n").encode()


async def run_import(bot: LocalBot, data: bytes) -> None:
    await import_org(bot.ctx.db, bot.ctx.client, data, file="people.csv", today=dt.date(2026, 1, 5))


async def test_skip_level_pair_is_never_proposed_until_a_reimport_moves_one(bot: LocalBot) -> None:
    for user, (email, _) in PEOPLE.items():
        bot.fake.add_user(user, email.split("@")[0], email=email)
    await run_import(bot, org_csv())
    await open_program(bot)
    await join(bot, "U0JUN")  # shares generative AI tools (the defaults), wants strategy
    await join(
        bot,
        "U0VP",
        **{
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
        },
    )

    shown = texts_of([await request_match(bot)])
    assert "0 pairs" in shown and "2 unmatched" in shown
    assert "Reporting-line rule applied: 2 people" in shown
    assert shown.count("no compatible partner outside your reporting line") == 2
    assert "vp@" not in shown and "junior@" not in shown  # the rule is named, not the line

    # HR's next export moves the junior to the sales lead: the VP is no longer above them.
    await run_import(bot, org_csv(U0JUN="sales@example.com"))
    shown = texts_of([await request_match(bot)])
    assert "1 pair" in shown
    assert "*<@U0JUN>* shares tools and trends with *<@U0VP>*" in shown
    assert "Reporting-line rule" not in shown


async def test_a_program_may_require_different_departments(bot: LocalBot) -> None:
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        view["id"],
        {
            ids.A_PROGRAM_NAME: "Across the company",
            ids.A_PROGRAM_START: "2026-01-12",
            ids.A_PROGRAM_LENGTH: "12",
            ids.A_PROGRAM_CADENCE: "1",
            ids.A_PROGRAM_WEEKDAY: "tue",
            ids.A_PROGRAM_TIME: "10:00",
            ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
            ids.A_PROGRAM_RULES: [ids.RULE_DIFFERENT_DEPARTMENTS],
        },
    )
    assert not result.errors, result.errors
    for user in ("U0SHARE1", "U0LEARN1"):
        add_person(bot, user, user)
    await join(bot, "U0SHARE1")  # Marketing, like the learner below
    learner = {
        ids.A_ROLE: "learn",
        ids.A_EXPERIENCE: "21+",
        ids.A_SHARE_TOPICS: ["strategic planning"],
        ids.A_LEARN_TOPICS: ["generative AI tools"],
    }
    await join(bot, "U0LEARN1", **learner)
    shown = texts_of([await request_match(bot)])
    assert "0 pairs" in shown
    assert shown.count("this program pairs people from different departments") == 2

    # The learner moves to Finance (updating their profile): the next proposal pairs them.
    await join(bot, "U0LEARN1", **{**learner, ids.A_DEPARTMENT: "Finance"})
    shown = texts_of([await request_match(bot)])
    assert "*<@U0SHARE1>* shares tools and trends with *<@U0LEARN1>*" in shown
    edit = await open_modal(bot, HR_ADMIN_ID, "admin program")
    rules = next(b for b in edit["blocks"] if b.get("block_id") == ids.B_PROGRAM_RULES)
    assert rules["element"]["initial_options"][0]["value"] == ids.RULE_DIFFERENT_DEPARTMENTS
