"""HR's at-risk note: names both people, one per run of missed check-ins, and offers actions."""

from __future__ import annotations

import datetime as dt

from bot import ids
from bot.scheduler.checkins import run_checkins
from bot.scheduler.nudges import run_nudges
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import texts_of
from tests.test_checkins import WEEK2_DUE, checkin_messages, first_week_checkin


def notes(bot, pair) -> list[dict]:
    """HR's at-risk notes about this pair (the other pair of the program goes quiet too)."""
    return [
        m
        for m in bot.fake.messages(HR_CHANNEL_ID)
        if "flagged at risk" in texts_of([m]) and f"<@{pair[1]}>" in texts_of([m])
    ]


async def skip_weeks(bot, pair, sharer, weeks: range, outcome: str = ids.CHECKIN_SKIP) -> None:
    """Check-ins for these weeks; the reverse mentor clicks `outcome`, nudges run each day."""
    for week in weeks:
        due = WEEK2_DUE + dt.timedelta(weeks=week - 2)
        bot.clock.set(due)
        await run_checkins(bot.ctx)
        message = checkin_messages(bot, pair.dm_channel_id)[-1]
        await bot.fake.click(sharer, outcome, channel=pair.dm_channel_id, ts=message["ts"])
        await bot.fake.wait_for(
            lambda m=message: any(
                f"✅ <@{sharer}>" in texts_of([c]) and c["ts"] == m["ts"]
                for c in checkin_messages(bot, pair.dm_channel_id)
            )
        )
        for day in (6, 7):  # passes after the week is over, twice: still one note
            bot.clock.set(due + dt.timedelta(days=day, hours=1))
            await run_nudges(bot.ctx)
            await run_nudges(bot.ctx)


async def test_one_note_per_run_of_missed_weeks_naming_both_people(bot):
    pair, sharer, learner, _ = await first_week_checkin(bot)
    await skip_weeks(bot, pair, sharer, range(2, 6))  # weeks 2-5 skipped: one run
    assert len(notes(bot, (pair, sharer))) == 1
    note = notes(bot, (pair, sharer))[0]
    shown = texts_of([note])
    assert f"<@{sharer}> (reverse mentor) and <@{learner}> (senior partner)" in shown
    assert "[Message the pair] [Suggest a re-pair] [Dismiss]" in shown
    assert "<#" not in shown  # no link to a group DM HR cannot open

    await skip_weeks(bot, pair, sharer, range(6, 7), outcome=ids.CHECKIN_MET)  # they meet
    await skip_weeks(bot, pair, sharer, range(7, 9))  # and go quiet again: a new run
    assert len(notes(bot, (pair, sharer))) == 2


async def test_hr_can_message_the_pair_offer_a_repair_or_dismiss(bot):
    pair, sharer, learner, _ = await first_week_checkin(bot)
    await skip_weeks(bot, pair, sharer, range(2, 4))
    note = notes(bot, (pair, sharer))[0]
    where = {"channel": HR_CHANNEL_ID, "ts": note["ts"]}

    # Only HR admins can act on it.
    bot.fake.channels[HR_CHANNEL_ID]["members"].append(sharer)
    await bot.fake.click(sharer, ids.AT_RISK_DISMISS, **where)
    await bot.fake.wait_for(lambda: "Only HR admins" in texts_of(bot.fake.ephemerals(sharer)))

    await bot.fake.click(HR_ADMIN_ID, ids.AT_RISK_MESSAGE, **where)
    hello = await bot.fake.wait_for(
        lambda: [
            m for _, ms in bot.fake.group_dms_of(HR_ADMIN_ID) for m in ms if "from HR" in m["text"]
        ]
    )
    assert f"<@{sharer}> and <@{learner}>" in hello[0]["text"]
    assert bot.fake.mpim_for(HR_ADMIN_ID, sharer, learner) == hello[0]["channel"]
    closed = await bot.fake.wait_for(
        lambda: (
            "started a conversation" in texts_of(notes(bot, (pair, sharer)))
            and notes(bot, (pair, sharer))[0]
        )
    )
    assert "[Dismiss]" not in texts_of([closed])

    # A second note (a new run) offers a re-pair privately to each person.
    await skip_weeks(bot, pair, sharer, range(4, 5), outcome=ids.CHECKIN_MET)
    await skip_weeks(bot, pair, sharer, range(5, 7))
    second = notes(bot, (pair, sharer))[-1]
    await bot.fake.click(HR_ADMIN_ID, ids.AT_RISK_REPAIR, channel=HR_CHANNEL_ID, ts=second["ts"])
    for person in (sharer, learner):
        offer = await bot.fake.wait_for(
            lambda p=person: [
                m for m in bot.fake.dm_messages(p) if "does this pairing still work" in m["text"]
            ]
        )
        assert "[I'd like a different partner]" in texts_of(offer)
    await bot.fake.wait_for(
        lambda: "offered both a no-fault re-pair" in texts_of(notes(bot, (pair, sharer)))
    )
    assert bot.fake.validation_errors == []
