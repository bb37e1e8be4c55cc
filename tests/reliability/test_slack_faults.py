"""Slack faults: retried with Retry-After and backoff; nothing lost or sent twice; people told.

The fake fails Web API calls per method: 429 with Retry-After, HTTP 500/503, `internal_error`,
calls held past the client's timeout, and dropped connections. The bot's client has a 1 s timeout
here (`slack_timeout_seconds=1`), so a held call costs a second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Checkin, CheckinStatus, Pair, Participant, Response
from bot.scheduler.checkins import run_checkins
from bot.scheduler.kickoffs import run_kickoffs
from mentorbot_sandbox import FaultRule
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import DEFAULT_ANSWERS, add_person, request_match, texts_of

from .helpers import (
    AGAIN,
    WEEK2_DUE,
    add_fault_mix,
    checkin_posts,
    count,
    make_pairs,
    make_people,
    make_program,
)

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


def faults_fired(fake) -> set[str]:
    return {c["fault"] for c in fake.calls if c.get("fault")}


def in_channel(channel: str):
    return lambda args: args.get("channel") == channel


async def test_with_one_call_in_five_failing_checkins_and_kickoffs_land_once(quick_bot):
    """A check-in pass (then at most one rerun) and an approval's kickoffs (then one more pass),
    both at once as the scheduler and HR would, with a fifth of all Web API calls failing."""
    bot = quick_bot
    pairs = await make_pairs(bot, 24)  # a running program: week 2 check-ins are due
    # A newer program HR is matching now (it starts later: nothing of it is due yet).
    program_id = await make_program(
        bot, hr_channel=HR_CHANNEL_ID, start=dt.date(2026, 2, 2), name="February cohort"
    )
    await make_people(bot, 12, program_id, prefixes=("U0KSH", "U0KLN"))
    proposal = await request_match(bot, "February cohort")
    bot.clock.set(WEEK2_DUE)
    add_fault_mix(bot.fake)
    # Posts that land while their answer is lost: retrying them blindly would post twice.
    bot.fake.faults.add(FaultRule(method="chat.postMessage", kind="answer_lost", rate=0.1, delay=2))

    async def checkins() -> int:
        first = await run_checkins(bot.ctx)
        rerun = await run_checkins(bot.ctx) if first.sent < len(pairs) else None  # at most one
        return first.sent + (rerun.sent if rerun else 0)

    async def kickoffs() -> None:
        await bot.fake.click(
            HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"]
        )

        async def approval_finished() -> bool:
            async with bot.ctx.db.session() as session:
                claims = (
                    await session.scalars(select(Checkin).where(Checkin.kind == "kickoff"))
                ).all()
            settled = len(claims) == 12 and all(k.status != CheckinStatus.CLAIMED for k in claims)
            note = any("Kickoffs sent" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
            return settled and note

        await bot.fake.wait_for(approval_finished, timeout=30)
        await run_kickoffs(bot.ctx)  # one more pass, faults still on

    sent, _ = await asyncio.gather(checkins(), kickoffs())

    assert sent == len(pairs)
    for _, _, _, channel in pairs:
        assert len(checkin_posts(bot.fake, channel)) == 1, channel  # none lost, none twice
    async with bot.ctx.db.session() as session:
        checkins_rows = (
            await session.scalars(select(Checkin).where(Checkin.kind == "checkin"))
        ).all()
        assert len(checkins_rows) == len(pairs)
        assert all(r.status == CheckinStatus.POSTED and r.message_ts for r in checkins_rows)
        matched = (await session.scalars(select(Pair).where(Pair.program_id == program_id))).all()
        assert len(matched) == 12 and all(p.kickoff_ts and p.dm_channel_id for p in matched)
        for pair in matched:
            sharer = await session.get(Participant, pair.sharer_id)
            learner = await session.get(Participant, pair.learner_id)
            channel = bot.fake.mpim_for(sharer.slack_user_id, learner.slack_user_id)
            assert channel == pair.dm_channel_id
            assert len(bot.fake.messages(channel)) == 1  # exactly one kickoff
    assert await count(bot.ctx.db, Checkin, Checkin.kind == "kickoff") == 12
    assert {"answer_lost", "timeout"} <= faults_fired(bot.fake), "the test proved nothing"


async def test_people_either_succeed_or_are_told_to_try_again(quick_bot):
    """Slash command, modal submission and button click, with faults on every Web API call."""
    bot = quick_bot
    pairs = await make_pairs(bot, 6)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    add_fault_mix(bot.fake, rate_each=0.05)

    def told_again(user: str) -> bool:
        return bool(AGAIN.search(texts_of(bot.fake.ephemerals(user) + bot.fake.dm_messages(user))))

    async def newcomer(user: str) -> str:
        add_person(bot, user, f"New Person {user[-2:]}")
        result = await bot.fake.slash_command(user, text="join")
        assert result.status == 200
        await bot.fake.wait_for(lambda: bot.fake.open_views(user) or told_again(user), timeout=20)
        if not bot.fake.open_views(user):
            return "told"
        view = bot.fake.open_views(user)[-1]
        submitted = await bot.fake.submit_view(user, view["id"], DEFAULT_ANSWERS)
        assert submitted.status == 200 and not submitted.errors
        async with bot.ctx.db.session() as session:
            stored = await session.scalar(
                select(Participant).where(Participant.slack_user_id == user)
            )
        assert stored is not None  # what Slack waited for (the ack) means it is stored
        return "joined"

    async def answer(sharer: str, channel: str) -> None:
        message = checkin_posts(bot.fake, channel)[0]
        result = await bot.fake.click(sharer, ids.CHECKIN_MET, channel=channel, ts=message["ts"])
        assert result.status == 200

    outcomes = await asyncio.gather(
        *(newcomer(f"U0NEW{i:04d}") for i in range(6)),
        *(answer(sharer, channel) for _, sharer, _, channel in pairs),
    )
    assert "joined" in outcomes

    async def all_answered() -> bool:
        return await count(bot.ctx.db, Response) == len(pairs)

    await bot.fake.wait_for(all_answered, timeout=20)
    assert faults_fired(bot.fake)
    assert bot.fake.validation_errors == []


async def test_exhausted_retries_are_released_people_told_and_retry_after_honoured(quick_bot):
    """Four scenarios at once, each with its own faults:

    * one pair's post fails five times running (500, internal_error, 503, 500, 503: the first
      try and every retry): the claim is released and the next pass posts it;
    * a third pair's post times out, then loses its connection, then lands with its answer lost:
      never retried blindly (the channel's history is read before each new try), and the next
      pass finds the post that landed instead of posting it again;
    * another pair's post gets a 429 with Retry-After: 2; the retry waits at least that long;
    * Slack drops every views.open: the person is told plainly to run the command again;
    * views.publish answers 503 three times: the retries back off exponentially.
    """
    bot = quick_bot
    (_, _, _, failing), (_, _, _, limited), (_, _, _, unsure) = await make_pairs(bot, 3)
    bot.clock.set(WEEK2_DUE)
    for kind in ("http_500", "internal_error", "http_503", "http_500", "http_503"):
        bot.fake.faults.add(
            FaultRule(method="chat.postMessage", kind=kind, count=1, when=in_channel(failing))
        )
    for kind in ("timeout", "disconnect", "answer_lost"):
        bot.fake.faults.add(
            FaultRule(
                method="chat.postMessage", kind=kind, count=1, delay=2, when=in_channel(unsure)
            )
        )
    bot.fake.faults.add(
        FaultRule(
            method="chat.postMessage",
            kind="ratelimited",
            count=1,
            retry_after=2,
            when=in_channel(limited),
        )
    )
    bot.fake.faults.add(FaultRule(method="views.open", kind="disconnect", count=5))
    bot.fake.faults.add(
        FaultRule(
            method="views.publish",
            kind="http_503",
            count=3,
            when=lambda args: args.get("user_id") == HR_ADMIN_ID,
        )
    )
    user = "U0PRIYA01"
    add_person(bot, user, "Priya Patel")

    async def modal_refused() -> str:
        result = await bot.fake.slash_command(user, text="join")
        assert result.status == 200
        note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(user), timeout=20)
        return texts_of(note)

    async def home_published() -> None:
        await bot.fake.open_home(HR_ADMIN_ID)
        await bot.fake.wait_for(lambda: bot.fake.home(HR_ADMIN_ID), timeout=20)

    first, shown, _ = await asyncio.gather(run_checkins(bot.ctx), modal_refused(), home_published())

    assert (first.sent, first.failed) == (1, 2)
    assert checkin_posts(bot.fake, failing) == []
    assert len(checkin_posts(bot.fake, unsure)) == 1  # landed, though the bot could not know
    rerun = await run_checkins(bot.ctx)  # the same instant: no lease to wait out
    assert rerun.sent == 2
    for channel in (failing, limited, unsure):
        assert len(checkin_posts(bot.fake, channel)) == 1, channel

    def calls(method: str, where) -> list:
        return [c for c in bot.fake.calls if c["method"] == method and where(c["args"])]

    tries = calls("chat.postMessage", in_channel(failing))
    assert [c["fault"] for c in tries] == [
        "http_500",
        "internal_error",
        "http_503",
        "http_500",
        "http_503",
        None,
    ]
    unsure_calls = [
        (c["method"], c["fault"])
        for c in bot.fake.calls
        if c["method"] in ("chat.postMessage", "conversations.history")
        and c["args"].get("channel") == unsure
    ]
    assert unsure_calls == [
        ("chat.postMessage", "timeout"),
        ("conversations.history", None),
        ("chat.postMessage", "disconnect"),
        ("conversations.history", None),
        ("chat.postMessage", "answer_lost"),
        ("conversations.history", None),  # the next pass: found, recorded, not posted again
    ]
    limited_tries = calls("chat.postMessage", in_channel(limited))
    assert [c["status"] for c in limited_tries] == [429, 200]
    assert limited_tries[1]["time"] - limited_tries[0]["time"] >= 2.0  # Retry-After: 2

    assert AGAIN.search(shown), shown
    assert "database" not in shown  # the database was fine: never blame it for Slack trouble
    assert bot.fake.open_views(user) == []

    publishes = [c["time"] for c in calls("views.publish", lambda a: a["user_id"] == HR_ADMIN_ID)]
    assert len(publishes) == 4
    gaps = [b - a for a, b in itertools.pairwise(publishes)]
    for n, gap in enumerate(gaps):  # 0.25 s, 0.5 s, 1 s, each plus up to 1 s of jitter
        assert gap >= 0.25 * 2**n, gaps
