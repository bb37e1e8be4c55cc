"""The bot must be invited to the HR channel; until it is, HR is told privately what to do.

Slack refuses a post from a bot that is not a member: `not_in_channel` in a public channel,
`channel_not_found` in a private one it cannot see. HR used to be told "the proposal is in #…"
although nothing was posted.
"""

from sqlalchemy import select, update

from bot import ids
from bot.models import Program
from bot.scheduler.digest import run_digest
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import open_program, texts_of
from tests.reliability.helpers import make_people

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
