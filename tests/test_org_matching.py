"""Whole reporting lines in matching, end to end: HR's org import decides who may be paired."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import ids
from bot.models import Participant
from bot.org_import import import_org
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from tests.flows import (
    DEFAULT_ANSWERS,
    add_person,
    join,
    open_modal,
    open_program,
    request_match,
    texts_of,
)

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


async def join_known(bot: LocalBot, user_id: str, **answers: object) -> None:
    """Sign up someone HR's org data knows: the modal asks no department or manager."""
    view = await open_modal(bot, user_id, "join")
    values = {k: v for k, v in DEFAULT_ANSWERS.items() if k != ids.A_DEPARTMENT}
    result = await bot.fake.submit_view(user_id, view["id"], {**values, **answers})
    assert not result.errors, result.errors


async def run_import(bot: LocalBot, data: bytes) -> None:
    now = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    await import_org(bot.ctx.db, bot.ctx.client, data, file="people.csv", now=now)


async def test_skip_level_pair_is_never_proposed_until_a_reimport_moves_one(bot: LocalBot) -> None:
    for user, (email, _) in PEOPLE.items():
        bot.fake.add_user(user, email.split("@")[0], email=email)
    await run_import(bot, org_csv())
    await open_program(bot)
    await join_known(bot, "U0JUN")  # shares generative AI tools (the defaults), wants strategy
    await join_known(
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
    assert "*<@U0JUN>* (reverse mentor) and *<@U0VP>* (senior partner)" in shown
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
    assert "*<@U0SHARE1>* (reverse mentor) and *<@U0LEARN1>* (senior partner)" in shown
    edit = await open_modal(bot, HR_ADMIN_ID, "admin program")
    rules = next(b for b in edit["blocks"] if b.get("block_id") == ids.B_PROGRAM_RULES)
    assert rules["element"]["initial_options"][0]["value"] == ids.RULE_DIFFERENT_DEPARTMENTS


async def test_signup_modal_is_prefilled_from_the_org_import(bot: LocalBot) -> None:
    for user, (email, _) in PEOPLE.items():
        bot.fake.add_user(user, email.split("@")[0], email=email)
    await run_import(
        bot,
        b"email,department,manager_email,years_experience\n"
        b"lead@example.com,Platform <Core>,,12\n"
        b"junior@example.com,Platform <Core>,lead@example.com,1\n",
    )
    await open_program(bot)
    view = await open_modal(bot, "U0JUN", "join")
    block_ids = {block.get("block_id") for block in view["blocks"]}
    assert ids.B_DEPARTMENT not in block_ids and ids.B_MANAGER not in block_ids  # not asked
    shown = texts_of([{"blocks": view["blocks"]}])
    assert "department *Platform &lt;Core&gt;*" in shown and "manager <@U0LEAD>" in shown
    band = next(b for b in view["blocks"] if b.get("block_id") == ids.B_EXPERIENCE)
    assert band["element"]["initial_option"]["value"] == "0-2"
    # The person corrects their band; department and manager are HR's.
    result = await bot.fake.submit_view(
        "U0JUN",
        view["id"],
        {
            **{k: v for k, v in DEFAULT_ANSWERS.items() if k != ids.A_DEPARTMENT},
            ids.A_EXPERIENCE: "3-5",
        },
    )
    assert not result.errors, result.errors
    async with bot.ctx.db.session() as session:
        person = await session.scalar(
            select(Participant).where(Participant.slack_user_id == "U0JUN")
        )
        assert (person.department, person.manager_slack_id) == ("Platform <Core>", "U0LEAD")
        assert person.experience_band == "3-5"


async def test_invite_a_segment_once_and_see_who_joined(bot: LocalBot) -> None:
    staff = {
        "U0ENG1": ("eng1@example.com", "Engineering"),
        "U0ENG2": ("eng2@example.com", "Engineering"),
        "U0ENG3": ("eng3@example.com", "engineering"),
        "U0SAL1": ("sal1@example.com", "Sales"),
    }
    for user, (email, _) in staff.items():
        bot.fake.add_user(user, email.split("@")[0], email=email)
    rows = "".join(f"{email},{dept}\n" for email, dept in staff.values())
    await run_import(bot, ("email,department\n" + rows).encode())
    await open_program(bot)
    await join_known(bot, "U0ENG1")  # already in: not invited

    async def invite(command: str) -> str:
        before = len(bot.fake.ephemerals(HR_ADMIN_ID))
        await bot.fake.slash_command(HR_ADMIN_ID, text=command, channel_id=HR_CHANNEL_ID)
        notes = await bot.fake.wait_for(
            lambda: (
                len(bot.fake.ephemerals(HR_ADMIN_ID)) > before and bot.fake.ephemerals(HR_ADMIN_ID)
            )
        )
        return texts_of(notes[-1:])

    note = await invite("admin invite spring cohort department=Engineering")
    assert "Invited 2 people to *Spring cohort*" in note
    assert "So far 0 of the 2 people invited have joined" in note
    for user in ("U0ENG2", "U0ENG3"):
        invitations = [m for m in bot.fake.dm_messages(user) if "HR invites you" in m["text"]]
        assert len(invitations) == 1 and invitations[0]["blocks"]
    assert not any("HR invites you" in m["text"] for m in bot.fake.dm_messages("U0SAL1"))

    again = await invite("admin invite Spring cohort department=engineering")
    assert "Invited 0 people" in again and "2 in that group were invited before" in again
    assert len([m for m in bot.fake.dm_messages("U0ENG2") if "HR invites you" in m["text"]]) == 1

    # ENG2 clicks Join in the invitation and signs up through the usual modal.
    await bot.fake.click("U0ENG2", ids.NEXT_ROUND_JOIN, channel=bot.fake.dm_channel("U0ENG2"))
    view = await bot.fake.wait_for(lambda: bot.fake.open_views("U0ENG2"))
    values = {k: v for k, v in DEFAULT_ANSWERS.items() if k != ids.A_DEPARTMENT}
    result = await bot.fake.submit_view("U0ENG2", view[-1]["id"], values)
    assert not result.errors, result.errors
    note = await invite("admin invite Spring cohort band=0-2")
    assert "So far 1 of the 2 people invited have joined" in note
    bad = await invite("admin invite Spring cohort team=Sales")
    assert "Invite people from HR's org data with" in bad
