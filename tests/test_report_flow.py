"""HR asks for a report in the HR channel and gets the right numbers, a chart and a CSV."""

import csv
import datetime as dt
import io

from bot import ids
from bot.scheduler.checkins import run_checkins
from bot.scheduler.digest import run_digest
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import SHARERS, paired_program, texts_of
from tests.test_checkins import checkin_messages, feedback_view, pairs_with_channels

WEEK2 = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
SECRET = "my private worry about the reorg"
QUOTABLE = "learned how budgets really get approved"


async def give_feedback(bot, user, channel, ts, **answers) -> None:
    await bot.fake.click(user, ids.CHECKIN_FEEDBACK, channel=channel, ts=ts)
    view = await feedback_view(bot, user)
    result = await bot.fake.submit_view(user, view["id"], answers)
    assert not result.errors


async def seeded_program(bot):
    """Two pairs, two check-in weeks, answers chosen so every number can be counted by hand."""
    await paired_program(bot)
    (pair_a, sharer_a, learner_a), (pair_b, _, learner_b) = await pairs_with_channels(bot)
    bot.clock.set(WEEK2)
    await run_checkins(bot.ctx)
    week2_a = checkin_messages(bot, pair_a.dm_channel_id)[0]
    await bot.fake.click(sharer_a, ids.CHECKIN_MET, channel=pair_a.dm_channel_id, ts=week2_a["ts"])
    await give_feedback(
        bot,
        learner_a,
        pair_a.dm_channel_id,
        week2_a["ts"],
        **{
            ids.A_FB_MET: "met",
            ids.A_FB_USEFUL: "4",
            ids.A_FB_CANDOUR: "5",
            ids.A_FB_LEARNED: SECRET,
        },
    )
    bot.clock.set(WEEK2 + dt.timedelta(weeks=1))
    await run_checkins(bot.ctx)
    week3_b = checkin_messages(bot, pair_b.dm_channel_id)[-1]
    await give_feedback(
        bot,
        learner_b,
        pair_b.dm_channel_id,
        week3_b["ts"],
        **{
            ids.A_FB_MET: "met",
            ids.A_FB_USEFUL: "2",
            ids.A_FB_CANDOUR: "3",
            ids.A_FB_LEARNED: QUOTABLE,
            ids.A_FB_QUOTE: ["quote"],
        },
    )
    bot.clock.set(WEEK2 + dt.timedelta(weeks=1, hours=2))


def shared_files(bot, suffix: str) -> list:
    """Uploaded files with that suffix, once shared (the fake lists a file from its upload URL
    on, before files.completeUploadExternal gives it content and channels)."""
    return [
        f
        for f in bot.fake.files.values()
        if f["name"].endswith(suffix) and f.get("content") is not None and f.get("channels")
    ]


def reports_in_channel(bot) -> list:
    return [m for m in bot.fake.messages(HR_CHANNEL_ID) if "Mentoring report" in texts_of([m])]


async def test_hr_report_has_hand_counted_numbers_and_a_chart(bot):
    await seeded_program(bot)
    result = await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    assert result.status == 200
    report = (await bot.fake.wait_for(lambda: reports_in_channel(bot)))[-1]
    shown = texts_of([report])
    assert "4 enrolled" in shown and "2 active · 0 ended" in shown
    assert "100% of active pairs" in shown  # both pairs met once (A in week 2, B in week 3)
    assert "1.0 meetings per pair" in shown
    assert "(2 of 8)" in shown  # two feedback answers of 2 check-ins x 2 pairs x 2 people
    # Two people rated: too few to show an average (min_group is 5), so it says hidden.
    assert "Usefulness hidden" in shown and "Safe to be candid hidden" in shown
    assert "3.0" not in shown and "4.0" not in shown
    assert QUOTABLE in shown  # its author allowed quoting
    assert SECRET not in shown
    png = await bot.fake.wait_for(lambda: shared_files(bot, ".png"))
    assert png[0]["content"].startswith(b"\x89PNG\r\n\x1a\n") and len(png[0]["content"]) > 5000
    assert HR_CHANNEL_ID in png[0]["channels"]
    methods = [c["method"] for c in bot.fake.calls]
    assert "files.getUploadURLExternal" in methods and "files.completeUploadExternal" in methods
    assert bot.fake.validation_errors == []


async def test_csv_has_one_row_per_pair_per_week_and_no_private_text(bot):
    await seeded_program(bot)
    await bot.fake.slash_command(HR_ADMIN_ID, text="report csv", channel_id=HR_CHANNEL_ID)
    files = await bot.fake.wait_for(lambda: shared_files(bot, ".csv"))
    content = files[0]["content"].decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 4  # 2 pairs x weeks 2 and 3
    assert SECRET not in content and QUOTABLE not in content
    assert not any(user in content for user in SHARERS)


async def test_refused_for_non_admins_and_outside_the_hr_channel(bot):
    await seeded_program(bot)
    outsider = next(iter(SHARERS))
    bot.fake.channels[HR_CHANNEL_ID]["members"].append(outsider)
    await bot.fake.slash_command(outsider, text="report", channel_id=HR_CHANNEL_ID)
    # The outsider has ephemerals from answering check-ins in the seeded program: wait for this one.
    await bot.fake.wait_for(lambda: "Only HR admins" in texts_of(bot.fake.ephemerals(outsider)))

    bot.fake.add_channel("CRANDOM01", "random", members=[HR_ADMIN_ID])
    await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id="CRANDOM01")
    # The admin already has ephemerals from setting up the program: wait for this one.
    await bot.fake.wait_for(
        lambda: "only in the HR channel" in texts_of(bot.fake.ephemerals(HR_ADMIN_ID))
    )
    assert reports_in_channel(bot) == [] and bot.fake.messages("CRANDOM01") == []


async def test_weekly_digest_posts_the_summary(bot):
    await seeded_program(bot)
    counts = await run_digest(bot.ctx)
    assert counts.sent == 1
    digest = reports_in_channel(bot)[-1]
    assert "Weekly mentoring digest" in digest["text"]
