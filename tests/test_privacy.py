"""Nothing an HR admin can see identifies a person's answers.

A seeded program (four pairs, departments of 4, 3 and 1 people, distinctive ratings and text)
runs through the fake; then everything an HR admin can see (every HR channel message and its
blocks, their DMs, every uploaded file, their App Home, the digest) is scanned for a rating or
survey value that comes from fewer than PRIVACY_MIN_GROUP_SIZE people, for free text whose
author did not allow quoting, and for the private re-pair reason (allowed only in the admin's
own App Home, never in a channel or a file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from bot import ids
from bot.clock import FixedClock
from bot.scheduler.checkins import run_checkins
from bot.scheduler.digest import run_digest
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from tests.conftest import START
from tests.flows import add_person, approve_latest, join, open_program, request_match, texts_of

K = 3  # PRIVACY_MIN_GROUP_SIZE for this program: its smallest allowed value
WEEK2 = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
SECRET = "SECRET-never-quote"
BLOCKER = "SECRET-blocker"
REASON = "SECRET-reason-for-repair"
QUOTABLE = "Quotable: the board reads a business case backwards"
# Week 2: only pair 1 rates (2 people): usefulness 1 and 2, candour 2 and 1 -> 1.5 each.
# Week 3: everyone rates 4, except pair 2, who both rate 5 -> a per-pair 5.00.
# The mid-program survey: two answers, recommend 2 and 1, goals 1 and 2 -> 1.5 each.
SMALL_GROUP_VALUES = {1.5, 5.0}
MEETING_FACTS = {"pair_id", "week", "period", "sent_on", "outcome", "met", "answered"}
MEETING_FACTS |= {"health_so_far", "pair_status"}

SHARERS = [("U0SHR0001", "Marketing"), ("U0SHR0002", "Marketing"), ("U0SHR0003", "Marketing")]
SHARERS += [("U0SHR0004", "Legal")]
LEARNERS = [("U0LRN0001", "Finance"), ("U0LRN0002", "Finance"), ("U0LRN0003", "Finance")]
LEARNERS += [("U0LRN0004", "Marketing")]


@pytest.fixture
async def private_bot(db_url: str):
    async with LocalBot(db_url, clock=FixedClock(START), privacy_min_group_size=K) as local:
        yield local


async def give_feedback(bot, user: str, channel: str, ts: str, answers: dict) -> None:
    await bot.fake.click(user, ids.CHECKIN_FEEDBACK, channel=channel, ts=ts)
    view = (
        await bot.fake.wait_for(
            lambda: [
                v for v in bot.fake.open_views(user) if v["callback_id"] == ids.FEEDBACK_CALLBACK
            ]
        )
    )[-1]
    result = await bot.fake.submit_view(user, view["id"], answers)
    assert not result.errors, result.errors


def latest_checkin(bot, channel: str) -> dict:
    return [m for m in bot.fake.messages(channel) if "check-in" in m["text"]][-1]


def rate(usefulness: int, candour: int, **more) -> dict:
    return {
        ids.A_FB_MET: "met",
        ids.A_FB_USEFUL: str(usefulness),
        ids.A_FB_CANDOUR: str(candour),
        **more,
    }


async def seeded_program(bot) -> list[tuple[str, str, str]]:
    await open_program(bot)
    for n, (user, department) in enumerate(SHARERS):
        add_person(bot, user, f"Sharer {n}")
        goal = "inclusion" if n == 0 else "tech_upskilling"  # one person's category
        await join(
            bot,
            user,
            **{
                ids.A_DEPARTMENT: department,
                ids.A_GOAL["category"]: goal,
                ids.A_GOAL["description"]: f"Goal of sharer {n}",
            },
        )
    for n, (user, department) in enumerate(LEARNERS):
        add_person(bot, user, f"Learner {n}")
        await join(
            bot,
            user,
            **{
                ids.A_ROLE: "learn",
                ids.A_EXPERIENCE: "21+",
                ids.A_DEPARTMENT: department,
                ids.A_SHARE_TOPICS: ["strategic planning"],
                ids.A_LEARN_TOPICS: ["generative AI tools"],
                ids.A_GOAL["category"]: "tech_upskilling",
                ids.A_GOAL["description"]: f"Goal of learner {n}",
            },
        )
    await request_match(bot)
    await approve_latest(bot)
    pairs = []
    for sharer, _ in SHARERS:
        channel = next(c for c, _ in bot.fake.group_dms_of(sharer))
        learner = next(u for u, _ in LEARNERS if bot.fake.mpim_for(sharer, u) == channel)
        pairs.append((sharer, learner, channel))

    bot.clock.set(WEEK2)
    await run_checkins(bot.ctx)
    sharer, learner, channel = pairs[0]
    ts = latest_checkin(bot, channel)["ts"]
    await give_feedback(bot, sharer, channel, ts, rate(1, 2, **{ids.A_FB_LEARNED: SECRET}))
    await give_feedback(bot, learner, channel, ts, rate(2, 1, **{ids.A_FB_BLOCKERS: BLOCKER}))

    bot.clock.set(WEEK2 + dt.timedelta(weeks=1))
    await run_checkins(bot.ctx)
    for n, (sharer, learner, channel) in enumerate(pairs):
        ts = latest_checkin(bot, channel)["ts"]
        score = 5 if n == 1 else 4
        await give_feedback(
            bot,
            sharer,
            channel,
            ts,
            rate(score, score, **{ids.A_FB_LEARNED: QUOTABLE, ids.A_FB_QUOTE: ["quote"]}),
        )
        await give_feedback(bot, learner, channel, ts, rate(score, score))

    # The last pair asks for a re-pair, with a private reason.
    sharer, learner, channel = pairs[3]
    question = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(learner) if "pairing work" in m["text"]]
    )
    await bot.fake.click(
        learner, ids.FIT_REPAIR, channel=question[0]["channel"], ts=question[0]["ts"]
    )
    repair = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    assert not (
        await bot.fake.submit_view(learner, repair["id"], {ids.A_REPAIR_REASON: REASON})
    ).errors

    for week in (5, 6):  # week 6 carries the mid-program survey: two people answer it
        bot.clock.set(WEEK2 + dt.timedelta(weeks=week - 2))
        await run_checkins(bot.ctx)
    sharer, learner, channel = pairs[0]
    ts = latest_checkin(bot, channel)["ts"]
    for user, recommend, attainment in ((sharer, "2", "1"), (learner, "1", "2")):
        await bot.fake.click(user, ids.CHECKIN_SURVEY, channel=channel, ts=ts)
        survey = (
            await bot.fake.wait_for(
                lambda u=user: [
                    v for v in bot.fake.open_views(u) if v["callback_id"] == ids.SURVEY_CALLBACK
                ]
            )
        )[-1]
        result = await bot.fake.submit_view(
            user,
            survey["id"],
            {
                ids.A_SV_RECOMMEND: recommend,
                ids.A_SV_ATTAINMENT: attainment,
                ids.A_SV_CHANGED: SECRET,
            },
        )
        assert not result.errors
    return pairs


async def everything_hr_sees(bot) -> tuple[str, str, str]:
    """(channel and DM text with blocks, file contents, the admin's App Home)."""
    await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    await bot.fake.slash_command(HR_ADMIN_ID, text="report csv", channel_id=HR_CHANNEL_ID)
    assert (await run_digest(bot.ctx)).sent == 1
    await bot.fake.wait_for(
        lambda: len([f for f in bot.fake.files.values() if f["content"]]) >= 3  # 2 charts, CSV
    )
    await bot.fake.open_home(HR_ADMIN_ID)
    home = await bot.fake.wait_for(
        lambda: (
            REASON in texts_of([bot.fake.home(HR_ADMIN_ID) or {}])
            and texts_of([bot.fake.home(HR_ADMIN_ID)])
        )
    )
    channel = texts_of(bot.fake.messages(HR_CHANNEL_ID) + bot.fake.dm_messages(HR_ADMIN_ID))
    files = "\n".join(
        f["content"].decode() for f in bot.fake.files.values() if f["name"].endswith(".csv")
    )
    return channel, files, home


def numbers(shown: str) -> set[float]:
    return {float(token) for token in re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", shown)}


async def test_nothing_hr_sees_comes_from_fewer_than_k_people(private_bot):
    bot = private_bot
    await seeded_program(bot)
    channel, files, home = await everything_hr_sees(bot)

    # Per-pair CSV rows carry meeting facts only.
    rows = list(csv.DictReader(io.StringIO(files)))
    assert rows and set(rows[0]) <= MEETING_FACTS, set(rows[0]) - MEETING_FACTS
    # No rating or survey average of fewer than K people, anywhere.
    for where, shown in (("channel", channel), ("files", files), ("home", home)):
        assert not numbers(shown) & SMALL_GROUP_VALUES, (where, numbers(shown))
    # The report does show what K or more people said (the scan is not looking at nothing).
    assert "Usefulness 3.7" in channel  # 10 ratings over weeks 2 and 3
    assert QUOTABLE.split(":")[1].strip() in channel
    # Free text its author did not allow quoting, and the re-pair reason, never reach HR's
    # channel or files; the reason is only in the admins' own App Home.
    for text in (SECRET, BLOCKER, REASON):
        assert text not in channel and text not in files
    assert SECRET not in home and BLOCKER not in home and REASON in home
    # A goal category of one person, a department of one: shown as hidden, with no numbers.
    inclusion = next(line for line in channel.splitlines() if line.startswith("• Inclusion"))
    assert "hidden" in inclusion and not re.search(r"\d+%", inclusion)
    legal = next(line for line in channel.splitlines() if line.startswith("• Legal"))
    assert "hidden" in legal and "%" not in legal
    assert bot.fake.validation_errors == []
