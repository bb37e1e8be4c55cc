"""Matching and kickoff end to end: HR proposes, reviews, approves; each pair gets one kickoff."""

import json
import urllib.parse

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.models import Checkin, MatchProposal, Pair, Participant
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import (
    ODD_ONE,
    SHARERS,
    add_person,
    enrol_everyone,
    open_modal,
    proposals,
    request_match,
    texts_of,
)

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


async def count(bot, model, *where) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_hr_reviews_and_approves_and_each_pair_gets_one_kickoff(bot):
    await enrol_everyone(bot, odd_one=True)
    proposal = await request_match(bot)
    shown = texts_of([proposal])
    assert "2 pairs" in shown and "1 unmatched" in shown
    assert "can share generative AI tools" in shown  # the reasons are in the proposal
    assert ODD_ONE[0] in shown

    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(
        lambda: any("Kickoffs sent: 2" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    assert await count(bot, Pair) == 2
    async with bot.ctx.db.session() as session:
        pairs = (await session.scalars(select(Pair))).all()
        for pair in pairs:
            sharer = await session.get(Participant, pair.sharer_id)
            learner = await session.get(Participant, pair.learner_id)
            channel = bot.fake.mpim_for(sharer.slack_user_id, learner.slack_user_id)
            assert channel == pair.dm_channel_id
            messages = bot.fake.messages(channel)
            assert len(messages) == 1  # exactly one kickoff
            kickoff = texts_of(messages)
            assert "Why you two" in kickoff and "Ground rules" in kickoff
            assert "Your first conversation" in kickoff
            assert sharer.slack_user_id in kickoff and learner.slack_user_id in kickoff
            assert {sharer.role, learner.role} == {"share", "learn"}
    unmatched_dm = await bot.fake.wait_for(
        lambda: [
            m
            for m in bot.fake.dm_messages(ODD_ONE[0])
            if "couldn't find you a partner" in m["text"]
        ]
    )
    assert "What happens next" in unmatched_dm[0]["text"]
    # The proposal message no longer offers buttons.
    updated = next(m for m in bot.fake.messages(HR_CHANNEL_ID) if m["ts"] == proposal["ts"])
    assert not any(b["type"] == "actions" for b in updated["blocks"])
    # A second approval click on the same proposal (replayed) changes nothing.
    assert await count(bot, Checkin, Checkin.kind == "kickoff") == 2
    assert bot.fake.validation_errors == []


async def test_non_admin_is_refused_everywhere_and_nothing_changes(bot):
    await enrol_everyone(bot)
    outsider = next(iter(SHARERS))
    result = await bot.fake.slash_command(outsider, text="admin match")
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(outsider))
    assert result.status == 200 and "Only HR admins" in texts_of(note)

    proposal = await request_match(bot)
    bot.fake.channels[HR_CHANNEL_ID]["members"].append(outsider)
    await bot.fake.click(outsider, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(outsider)) >= 2)
    assert await count(bot, Pair) == 0
    assert await count(bot, MatchProposal, MatchProposal.status == "open") == 1


async def test_replayed_admin_modal_from_a_non_admin_is_refused(bot):
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    captured = {}

    def as_outsider(payload):
        payload["user"]["id"] = "U0OUTSIDE"
        captured.update(payload)
        return payload

    add_person(bot, "U0OUTSIDE", "Out Sider")
    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        view["id"],
        {
            ids.A_PROGRAM_NAME: "Hijack",
            ids.A_PROGRAM_START: "2026-01-12",
            ids.A_PROGRAM_LENGTH: "12",
            ids.A_PROGRAM_CADENCE: "1",
            ids.A_PROGRAM_WEEKDAY: "tue",
            ids.A_PROGRAM_TIME: "10:00",
        },
        raw_payload_edit=as_outsider,
    )
    assert "Only HR admins" in str(result.errors)
    body = urllib.parse.urlencode({"payload": json.dumps(captured)}).encode()
    replay = await bot.fake.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert replay.status == 200
    from bot.models import Program

    assert await count(bot, Program) == 0


async def test_exclude_a_pair_then_rematch_only_the_unmatched_after_someone_leaves(bot):
    await enrol_everyone(bot)
    proposal = await request_match(bot)
    first_pairs = proposal["blocks"]
    option = next(b for b in first_pairs if b["type"] == "actions")["elements"][-1]["options"][0]
    excluded = json.loads(option["value"])["k"]
    await bot.fake.click(
        HR_ADMIN_ID,
        ids.MATCH_EXCLUDE,
        channel=HR_CHANNEL_ID,
        ts=proposal["ts"],
        selected_option_value=option["value"],
    )
    second = await bot.fake.wait_for(lambda: len(proposals(bot)) >= 2 and proposals(bot)[-1])
    a, b = excluded.split(":")
    assert not any(  # one line per pair
        a in line and b in line for line in texts_of([second]).splitlines()
    )
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=second["ts"])
    await bot.fake.wait_for(
        lambda: any("Kickoffs sent" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    pairs_before = await count(bot, Pair)

    leaver = next(iter(SHARERS))
    view = await open_modal(bot, leaver, "leave")
    await bot.fake.submit_view(leaver, view["id"], {})
    await bot.fake.wait_for(
        lambda: any("no-fault" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    rematch = await request_match(bot)
    assert "from 1 person waiting" in texts_of([rematch])  # only the left-behind partner
    assert await count(bot, Pair, Pair.status == "active") == pairs_before - 1


async def test_double_click_on_approve_creates_each_pair_once(bot):
    import asyncio

    await enrol_everyone(bot)
    proposal = await request_match(bot)
    await asyncio.gather(
        *(
            bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
            for _ in range(2)
        )
    )
    await bot.fake.wait_for(
        lambda: any("Kickoffs sent" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    await bot.fake.wait_for(
        lambda: any("no longer open" in m["text"] for m in bot.fake.dm_messages(HR_ADMIN_ID))
    )
    assert await count(bot, Pair) == 2
    assert await count(bot, Checkin, Checkin.kind == "kickoff") == 2
