"""The load scenario of issue #8, shared by tests/reliability/test_load.py and bench/bench_load.py.

People sign up (`/mentoring join`, then the modal submitted) and answer check-ins (attendance and a
prompt rating), over HTTP exactly as Slack sends them: at most `in_flight` requests at a time,
arriving evenly over a window of seconds, like people clicking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot import ids
from bot.app import build_context
from bot.clock import FixedClock
from bot.config import load_settings
from bot.context import AppContext
from bot.db import Database
from bot.models import (
    Checkin,
    CheckinStatus,
    Enrolment,
    Goal,
    Outcome,
    Pair,
    Participant,
    Program,
    Response,
)
from bot.scheduler.checkins import run_checkins

from .fake import FakeSlack

WEEK2_DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)  # Tue of week 2, 10:00 London
#: When `add_pass_load`'s passes run: Wednesday of week 3, 10:05 London.
PASSES_AT = dt.datetime(2026, 1, 28, 10, 5, tzinfo=dt.UTC)
#: The check-ins `add_pass_load` inserts as posted (and unanswered), per program check-in day.
PASS_LOAD_POSTED = {
    "wed": {2: dt.datetime(2026, 1, 21, 10, 0, tzinfo=dt.UTC)},
    "mon": {
        2: dt.datetime(2026, 1, 19, 10, 0, tzinfo=dt.UTC),
        3: dt.datetime(2026, 1, 26, 10, 0, tzinfo=dt.UTC),
    },
}
LOAD_PROGRAM = "Load cohort"
SIGNUP_ANSWERS: dict[str, Any] = {
    ids.A_ROLE: "share",
    ids.A_EXPERIENCE: "0-2",
    ids.A_DEPARTMENT: "Marketing",
    ids.A_SHARE_TOPICS: ["generative AI tools"],
    ids.A_LEARN_TOPICS: ["strategic planning"],
    ids.A_TIMEZONE: "Europe/London",
    ids.A_DAYS: ["tue", "wed"],
    ids.A_GOAL["category"]: "tech_upskilling",
}


@dataclass(frozen=True)
class Click:
    user: str
    action_id: str
    channel: str
    ts: str


async def bounded(coros: Iterable[Awaitable[Any]], limit: int, window: float = 0.0) -> list:
    """Run awaitables concurrently, at most `limit` at a time, keeping their order; with `window`
    (seconds) they start evenly over that time instead of all in the same millisecond."""
    coros = list(coros)
    gate = asyncio.Semaphore(limit)
    loop = asyncio.get_running_loop()
    start, gap = loop.time(), (window / len(coros) if coros else 0.0)

    async def one(i: int, coro: Awaitable[Any]) -> Any:
        await asyncio.sleep(max(0.0, start + i * gap - loop.time()))
        async with gate:
            return await coro

    return await asyncio.gather(*(one(i, c) for i, c in enumerate(coros)))


def add_people(fake: FakeSlack, count: int, prefix: str = "U0LOAD") -> list[str]:
    users = [f"{prefix}{i:05d}" for i in range(count)]
    for i, user in enumerate(users):
        fake.add_user(user, f"person.{i}", real_name=f"Person {i}")
    return users


async def sign_up(fake: FakeSlack, user: str, goal: str) -> bool:
    """`/mentoring join`, wait for the modal, submit it; True when both were acked with a 200 and
    the submission was accepted. A late ack does not stop the person: if the modal opens, they
    submit it (the bot's work carries on after Bolt's 3 s window)."""
    before = len(fake.open_views(user))
    result = await fake.slash_command(user, text="join")
    if result.status >= 500 or result.timed_out:
        return False
    try:
        await fake.wait_for(lambda: len(fake.open_views(user)) > before, timeout=30)
    except TimeoutError:
        return False  # the person was told to run the command again: the modal never opened
    view = fake.open_views(user)[-1]
    answers = {**SIGNUP_ANSWERS, ids.A_GOAL["description"]: goal, **_load_program_chosen(view)}
    submitted = await fake.submit_view(user, view["id"], answers)
    return result.status == submitted.status == 200 and not submitted.errors


def _load_program_chosen(view: dict[str, Any]) -> dict[str, str]:
    """With other programs open (`add_pass_load`) the modal asks which: the load's own."""
    for block in view["blocks"]:
        if block.get("block_id") == ids.B_JOIN_PROGRAM:
            options = block["element"]["options"]
            own = next(o for o in options if o["text"]["text"].startswith(LOAD_PROGRAM))
            return {ids.A_JOIN_PROGRAM: own["value"]}
    return {}


def scene_context(fake: FakeSlack, database_url: str) -> AppContext:
    """The bot's context in this process, on the served bot's database and the same fake: sets
    the scene (program, pairs, check-ins) and reads what was stored. Close with `close_scene`."""
    settings = load_settings(
        None,
        slack_bot_token=fake.bot_token,
        slack_signing_secret=fake.signing_secret,
        slack_api_url=fake.base_url,
        database_url=database_url,
    )
    return build_context(settings, db=Database(database_url), clock=FixedClock(WEEK2_DUE))


async def close_scene(ctx: AppContext) -> None:
    await ctx.client.aclose()  # type: ignore[attr-defined]
    await ctx.db.dispose()


async def open_program(ctx: AppContext) -> None:
    async with ctx.db.session() as session:
        session.add(Program(name=LOAD_PROGRAM, start_date=dt.date(2026, 1, 12)))


async def post_two_weeks_of_checkins(ctx: AppContext, fake: FakeSlack) -> list[Click]:
    """Pair everyone who joined and has no pair yet (rows inserted), post weeks 2 and 3's
    check-ins, and return the
    answers the pairs can give: attendance and a prompt rating from both people of each."""
    limiter, fake.limiter = fake.limiter, None  # setting the scene is not the load
    try:
        async with ctx.db.session() as session:
            paired = select(Pair.sharer_id).union(select(Pair.learner_id))
            people = (
                await session.scalars(
                    select(Participant)
                    .where(Participant.id.not_in(paired))
                    .order_by(Participant.id)
                )
            ).all()
        made = []
        for sharer, learner in zip(people[::2], people[1::2], strict=False):
            users = f"{sharer.slack_user_id},{learner.slack_user_id}"
            opened = await ctx.client.conversations_open(users=users)
            made.append((sharer, learner, opened["channel"]["id"]))
        async with ctx.db.session() as session:
            for sharer, learner, channel in made:
                session.add(
                    Pair(
                        program_id=sharer.program_id,
                        sharer_id=sharer.id,
                        learner_id=learner.id,
                        dm_channel_id=channel,
                        kickoff_ts="1767600000.000001",
                        reasons=[],
                    )
                )
        for week in range(2):
            ctx.clock.set(WEEK2_DUE + dt.timedelta(weeks=week))  # type: ignore[attr-defined]
            await run_checkins(ctx)
    finally:
        fake.limiter = limiter
    return [
        Click(person.slack_user_id, action, channel, message["ts"])
        for sharer, learner, channel in made
        for message in fake.messages(channel)
        if "check-in" in message["text"]
        for person in (sharer, learner)
        for action in (ids.CHECKIN_MET, ids.CHECKIN_THUMBS_UP)
    ]


async def add_pass_load(ctx: AppContext, fake: FakeSlack, pairs: int) -> None:
    """Work for one check-in pass and one nudge pass at PASSES_AT over `pairs` pairs.

    Two programs of `pairs // 2` pairs, opened before the load's own (which stays the one people
    join). Wednesday check-ins: week 3's is due, so the check-in pass posts one per pair.
    Monday check-ins: weeks 2 and 3 were posted and nobody answered, so the nudge pass reminds
    both people of each pair and flags the pair (two missed weeks). Rows are inserted directly
    (the weeks before are posted already, so the load's own scene passes leave these programs
    alone) and each pair gets a channel in the fake.
    """
    async with ctx.db.session() as session:
        programs = [
            Program(name=f"Pass cohort {day}", start_date=dt.date(2026, 1, 12), checkin_weekday=day)
            for day in PASS_LOAD_POSTED
        ]
        session.add_all(programs)
        await session.flush()
        for program in programs:
            day = program.checkin_weekday
            people = []
            for i in range(2 * (pairs // 2)):
                user = f"U0P{day.upper()}{i:05d}"
                fake.add_user(user, f"pass.{user.lower()}", real_name=f"Pass {i}")
                sharing = i % 2 == 0
                people.append(
                    Participant(
                        slack_user_id=user,
                        program_id=program.id,
                        role="share" if sharing else "learn",
                        experience_band="0-2" if sharing else "21+",
                        department="Marketing" if sharing else "Finance",
                        timezone="Europe/London",
                        share_topics=["generative AI tools"],
                        learn_topics=["strategic planning"],
                        available_days=["mon", "wed"],
                    )
                )
            session.add_all(people)
            await session.flush()
            session.add_all(
                Enrolment(
                    program_id=program.id,
                    participant_id=p.id,
                    role=p.role,
                    enrolled_at=ctx.clock.now(),
                )
                for p in people
            )
            made = []
            for i in range(pairs // 2):
                sharer, learner = people[2 * i], people[2 * i + 1]
                channel = f"GPASS{day.upper()}{i:05d}"
                members = [sharer.slack_user_id, learner.slack_user_id]
                fake.add_channel(channel, f"pass-{channel.lower()}", members, is_private=True)
                made.append(
                    Pair(
                        program_id=program.id,
                        sharer_id=sharer.id,
                        learner_id=learner.id,
                        dm_channel_id=channel,
                        kickoff_ts="1767600000.000001",
                        reasons=[],
                    )
                )
            session.add_all(made)
            await session.flush()
            session.add_all(
                Checkin(
                    pair_id=pair.id,
                    program_id=program.id,
                    period_key=f"w{week:02d}",
                    week=week,
                    kind="checkin",
                    channel_id=pair.dm_channel_id,
                    message_ts=f"{posted.timestamp():.0f}.{i:06d}",
                    status=CheckinStatus.POSTED,
                    due_at=posted,
                    claimed_at=posted,
                    sent_at=posted,
                    attempts=1,
                )
                for week, posted in PASS_LOAD_POSTED[day].items()
                for i, pair in enumerate(made)
            )


async def answer(fake: FakeSlack, click: Click) -> bool:
    result = await fake.click(click.user, click.action_id, channel=click.channel, ts=click.ts)
    return result.status == 200 and not result.timed_out


@dataclass(frozen=True)
class StoredRows:
    participants: int
    distinct_participants: int
    goals: int
    distinct_goals: int
    responses: int
    distinct_responses: int
    answered: int  # responses with both attendance and a prompt rating
    # check-ins whose summary says both met and both gave a thumbs up (both answered)
    summarized_both: int


async def stored_rows(ctx: AppContext) -> StoredRows:
    async with ctx.db.session() as session:
        counts = []
        for column in (Participant.slack_user_id, Goal.description):
            counts += [
                await session.scalar(select(func.count(column))),
                await session.scalar(select(func.count(column.distinct()))),
            ]
        keys = (await session.execute(select(Response.checkin_id, Response.participant_id))).all()
        answered = await session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.attendance.is_not(None), Response.prompt_rating.is_not(None))
        )
        summarized = await session.scalar(
            select(func.count()).where(Checkin.outcome == Outcome.MET, Checkin.thumbs_up == 2)
        )
    return StoredRows(*counts, len(keys), len(set(keys)), answered or 0, summarized or 0)


def latency_summary(label: str, acks: list[dict[str, Any]], seconds: float) -> str:
    """One line: requests, rate, ack p50/p99/max and how many Slack would have given up on."""
    latencies = sorted(a["elapsed"] for a in acks if not a["timed_out"])
    missing = sum(1 for a in acks if a["timed_out"] or a["status"] != 200)
    if not latencies:
        return f"{label}: no answers at all"

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    return (
        f"{label}: {len(acks)} requests in {seconds:.1f} s ({len(acks) / seconds:.0f}/s); ack p50 "
        f"{at(0.5):.0f} ms, p99 {at(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"over 3 s or unanswered: {missing + sum(1 for x in latencies if x >= 3)}"
    )
