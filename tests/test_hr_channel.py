"""The bot must be invited to the HR channel; until it is, HR is told privately what to do.

Slack refuses a post from a bot that is not a member: `not_in_channel` in a public channel,
`channel_not_found` in a private one it cannot see. HR used to be told "the proposal is in #…"
although nothing was posted.
"""

import datetime as dt
import logging

from sqlalchemy import select, update

from bot import ids
from bot.models import Program
from bot.scheduler.checkins import run_checkins
from bot.scheduler.digest import run_digest
from bot.scheduler.nudges import run_nudges
from mentorbot_sandbox import FaultRule
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import open_modal, open_program, texts_of
from tests.reliability.helpers import WEEK2_DUE, make_pairs, make_people

INVITE = "Type `/invite @Mentorbot` in <#{channel}>"


async def program_with_people(bot) -> int:
    await open_program(bot)  # its HR channel is HR_CHANNEL_ID
    async with bot.ctx.db.session() as session:
        program_id = await session.scalar(select(Program.id))
    await make_people(bot, 2, program_id)
    return program_id


def leave_hr_channel(bot) -> None:
    bot.fake.channels[HR_CHANNEL_ID]["members"].remove(bot.fake.bot_user_id)


async def admin_note(bot, command: str, containing: str) -> str:
    """Run `/mentoring <command>` in the HR channel; the admin's newest matching ephemeral."""
    await bot.fake.slash_command(HR_ADMIN_ID, text=command, channel_id=HR_CHANNEL_ID)
    notes = await bot.fake.wait_for(
        lambda: [n for n in bot.fake.ephemerals(HR_ADMIN_ID) if containing in texts_of([n])]
    )
    return texts_of(notes[-1:])


async def test_a_proposal_the_bot_cannot_post_is_not_reported_as_posted(bot):
    await program_with_people(bot)
    leave_hr_channel(bot)

    note = await admin_note(bot, "admin match", "/invite")
    assert note == (
        "I couldn't post the matching proposal: I'm not a member of <#CHRTEAM01>. "
        "Type `/invite @Mentorbot` in <#CHRTEAM01>, then run `/mentoring admin match` again."
    )
    assert bot.fake.messages(HR_CHANNEL_ID) == []
    assert "The matching proposal is in" not in texts_of(bot.fake.ephemerals(HR_ADMIN_ID))

    bot.fake.channels[HR_CHANNEL_ID]["members"].append(bot.fake.bot_user_id)  # /invite
    note = await admin_note(bot, "admin match", "The matching proposal is in")
    assert note.startswith("The matching proposal is in <#CHRTEAM01>: 2 pairs")
    assert len(bot.fake.messages(HR_CHANNEL_ID)) == 1


async def test_a_report_the_bot_cannot_post_says_how_to_invite_it(bot):
    await program_with_people(bot)
    leave_hr_channel(bot)
    expected = (
        "I couldn't post the report: I'm not a member of <#CHRTEAM01>. "
        f"{INVITE.format(channel=HR_CHANNEL_ID)}, then ask for it again."
    )
    assert await admin_note(bot, "report", "/invite") == expected
    before = len(bot.fake.ephemerals(HR_ADMIN_ID))
    await bot.fake.slash_command(HR_ADMIN_ID, text="report csv", channel_id=HR_CHANNEL_ID)
    notes = await bot.fake.wait_for(lambda: bot.fake.ephemerals(HR_ADMIN_ID)[before:] or None)
    assert texts_of(notes) == expected
    assert bot.fake.messages(HR_CHANNEL_ID) == []
    assert not any(HR_CHANNEL_ID in f["channels"] for f in bot.fake.files.values())


async def test_the_home_tab_report_button_says_the_same_in_a_dm(bot):
    await program_with_people(bot)
    leave_hr_channel(bot)
    await bot.fake.open_home(HR_ADMIN_ID)
    home = await bot.fake.wait_for(lambda: bot.fake.home(HR_ADMIN_ID))
    await bot.fake.click(HR_ADMIN_ID, ids.HOME_ADMIN_REPORT, view_id=home["id"])
    dms = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(HR_ADMIN_ID) if "/invite" in m["text"]]
    )
    assert texts_of(dms) == (
        "I couldn't post the report: I'm not a member of <#CHRTEAM01>. "
        f"{INVITE.format(channel=HR_CHANNEL_ID)}, then ask for it again."
    )
    assert bot.fake.messages(HR_CHANNEL_ID) == []


async def test_a_digest_for_a_private_channel_the_bot_cannot_see_goes_to_admins_privately(bot):
    program_id = await program_with_people(bot)
    bot.fake.add_channel("CHRPRIV01", "hr-private", [HR_ADMIN_ID], True, bot_is_member=False)
    async with bot.ctx.db.session() as session:
        await session.execute(
            update(Program).where(Program.id == program_id).values(hr_channel_id="CHRPRIV01")
        )

    counts = await run_digest(bot.ctx)
    assert (counts.sent, counts.failed) == (0, 1)
    dms = texts_of(bot.fake.dm_messages(HR_ADMIN_ID))
    assert (
        "This week's mentoring digest for *Spring cohort* couldn't be posted: I'm not a member of "
        "<#CHRPRIV01>. Type `/invite @Mentorbot` in <#CHRPRIV01> so that the next digest arrives "
        "there (`/mentoring report` in that channel posts one now)."
    ) in dms
    assert bot.fake.messages("CHRPRIV01") == []


COHORT_CHANNEL = "C0COHORT1"


async def test_notes_about_a_pair_go_to_its_programs_own_hr_channel(bot, caplog):
    """A program with its own HR channel hears there about its pairs (at risk, a leaver), not
    in the default one. A note Slack refuses is logged and the pass goes on; when the bot is not
    in the channel, the admins are told privately how to fix it."""
    bot.fake.add_channel(COHORT_CHANNEL, "cohort-hr", [HR_ADMIN_ID])
    (_, first, _, _), (_, second, partner, _) = await make_pairs(bot, 2, hr_channel=COHORT_CHANNEL)
    bot.fake.faults.add(
        FaultRule(
            method="chat.postMessage",
            kind="internal_error",
            when=lambda args: (
                args.get("channel") == COHORT_CHANNEL and f"<@{first}>" in str(args.get("text"))
            ),
        )
    )
    for week in (0, 1):  # weeks 2 and 3 posted, nobody answers: both pairs are at risk
        bot.clock.set(WEEK2_DUE + dt.timedelta(weeks=week))
        await run_checkins(bot.ctx)
    bot.clock.set(WEEK2_DUE + dt.timedelta(days=13, hours=1))
    with caplog.at_level(logging.WARNING, logger="bot.scheduler.nudges"):
        await run_nudges(bot.ctx)
    assert "at-risk note for HR not delivered" in caplog.messages
    assert first not in " ".join(caplog.messages)
    notes = texts_of(bot.fake.messages(COHORT_CHANNEL))
    assert f"<@{second}> (reverse mentor)" in notes and "flagged at risk" in notes
    assert f"<@{first}>" not in notes

    bot.fake.channels[COHORT_CHANNEL]["members"].remove(bot.fake.bot_user_id)
    view = await open_modal(bot, second, "leave")
    await bot.fake.submit_view(second, view["id"], {})
    told = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(HR_ADMIN_ID) if "a note for HR" in m["text"]]
    )
    assert texts_of(told) == (
        "I couldn't post a note for HR: I'm not a member of <#C0COHORT1>. "
        "Type `/invite @Mentorbot` in <#C0COHORT1> so that the next ones arrive."
    )
    assert "stepped out of the program" in texts_of(bot.fake.dm_messages(partner))
    assert bot.fake.messages(HR_CHANNEL_ID) == []  # the default channel heard nothing of it
