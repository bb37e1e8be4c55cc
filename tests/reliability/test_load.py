"""Load over HTTP against one bot: 200 people sign up within 10 s, then 500 check-in answers.

Requests go through the fake exactly as Slack sends them (signed, with trigger ids and response
URLs): arriving evenly over the window, like people clicking, at most 50 in flight; the fake's rate
limits are on, scaled so a run takes seconds. Every ack must come within Slack's 3 s and every row
must be stored exactly once. The fake and the test share the bot's process (and its CPU) here;
`bench/bench_load.py` runs the same load against a real `mentorbot serve`.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.clock import FixedClock
from bot.local import LocalBot
from bot.models import Checkin, Goal, GoalProgress, Pair, Participant, Response
from bot.scheduler.checkins import run_checkins
from tests.conftest import START
from tests.flows import join

from .helpers import WEEK2_DUE, checkin_posts, gather_bounded, make_program

pytestmark = pytest.mark.load

PEOPLE = 200
SIGNUP_WINDOW = 6.0  # seconds over which the 200 arrive ("within 10 s")
CLICKS = 500
CLICK_WINDOW = 6.0  # the 500 arrive within 6 s ("within a minute")
IN_FLIGHT = 50
WEEK = dt.timedelta(weeks=1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def pair_everyone(bot, users: list[str]) -> list[tuple[str, str, str]]:
    """Pairs of the people who signed up (rows inserted), each with its group DM."""
    async with bot.ctx.db.session() as session:
        people = {p.slack_user_id: p for p in (await session.scalars(select(Participant))).all()}
    made = []
    for sharer, learner in zip(users[::2], users[1::2], strict=True):
        opened = await bot.ctx.client.conversations_open(users=f"{sharer},{learner}")
        made.append((sharer, learner, opened["channel"]["id"]))
    async with bot.ctx.db.session() as session:
        for sharer, learner, channel in made:
            session.add(
                Pair(
                    program_id=people[sharer].program_id,
                    sharer_id=people[sharer].id,
                    learner_id=people[learner].id,
                    dm_channel_id=channel,
                    kickoff_ts="1767600000.000001",
                    reasons=[],
                )
            )
    return made


async def test_signups_then_checkin_answers_under_load(db_url):
    async with LocalBot(
        db_url, clock=FixedClock(START), rate_limits=True, rate_limit_scale=50
    ) as bot:
        await make_program(bot)
        users = [f"U0LOAD{i:04d}" for i in range(PEOPLE)]
        for i, user in enumerate(users):
            bot.fake.add_user(user, f"person.{i}", real_name=f"Person {i}")

        async def sign_up(i: int, user: str) -> None:
            answers = {
                ids.A_GOAL["category"]: "tech_upskilling",
                ids.A_GOAL["description"]: f"Goal number {i}",
            }
            result = await join(bot, user, **answers)
            assert result.status == 200 and not result.errors, (user, result)

        started = time.monotonic()
        await gather_bounded(
            (sign_up(i, u) for i, u in enumerate(users)), IN_FLIGHT, spread=SIGNUP_WINDOW
        )
        signup_seconds = time.monotonic() - started
        assert signup_seconds < 10, f"{PEOPLE} sign-ups took {signup_seconds:.1f} s"
        signup_acks = [a["elapsed"] for a in bot.fake.acks]
        assert not [a for a in bot.fake.acks if a["timed_out"] or a["status"] != 200]
        assert max(signup_acks) < 3, max(signup_acks)
        async with bot.ctx.db.session() as session:
            for column in (Participant.slack_user_id, Goal.description):
                total = await session.scalar(select(func.count(column)))
                assert (
                    total == PEOPLE == await session.scalar(select(func.count(column.distinct())))
                )
            assert await session.scalar(select(func.count()).select_from(GoalProgress)) == PEOPLE

        # 500 answers: attendance and a prompt rating from both people of 125 check-ins.
        limiter, bot.fake.limiter = bot.fake.limiter, None  # setting the scene is not the load
        pairs = await pair_everyone(bot, users)
        for week in range(2):
            bot.clock.set(WEEK2_DUE + week * WEEK)
            assert (await run_checkins(bot.ctx)).sent == len(pairs)
        bot.fake.limiter = limiter
        clicks = []
        for sharer, learner, channel in pairs:
            for message in checkin_posts(bot.fake, channel):
                for user in (sharer, learner):
                    for action in (ids.CHECKIN_MET, ids.CHECKIN_THUMBS_UP):
                        clicks.append((user, action, channel, message["ts"]))
        clicks = clicks[:CLICKS]
        assert len(clicks) == CLICKS
        acks_before = len(bot.fake.acks)

        async def answer(user: str, action: str, channel: str, ts: str) -> None:
            result = await bot.fake.click(user, action, channel=channel, ts=ts)
            assert result.status == 200 and not result.timed_out, result

        started = time.monotonic()
        await gather_bounded((answer(*c) for c in clicks), IN_FLIGHT, spread=CLICK_WINDOW)
        click_seconds = time.monotonic() - started
        assert click_seconds < 60
        click_acks = [a["elapsed"] for a in bot.fake.acks[acks_before:]]
        assert len(click_acks) == CLICKS and max(click_acks) < 3, max(click_acks)

        expected = {(u, ts) for u, _, _, ts in clicks}

        async def stored() -> bool:
            async with bot.ctx.db.session() as session:
                done = await session.scalar(
                    select(func.count())
                    .select_from(Response)
                    .where(Response.attendance.is_not(None), Response.prompt_rating.is_not(None))
                )
            return done == len(expected)

        await bot.fake.wait_for(stored, timeout=30)
        async with bot.ctx.db.session() as session:
            keys = (
                await session.execute(select(Response.checkin_id, Response.participant_id))
            ).all()
            assert len(keys) == len(set(keys)) == len(expected)  # one row per person per check-in
            assert await session.scalar(select(func.count()).select_from(Checkin)) == 2 * len(pairs)
        assert bot.fake.validation_errors == []
        print(
            f"\n[{bot.ctx.db.dialect}] {PEOPLE} sign-ups in {signup_seconds:.1f} s "
            f"(ack p50 {percentile(signup_acks, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(signup_acks, 0.99) * 1000:.0f} ms); "
            f"{CLICKS} answers in {click_seconds:.1f} s "
            f"(ack p50 {percentile(click_acks, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(click_acks, 0.99) * 1000:.0f} ms); "
            f"{bot.fake.stats['total_ratelimited']} calls rate-limited and retried"
        )
