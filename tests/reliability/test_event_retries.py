"""Slack redelivers events it thinks were lost, and people double-click: each is handled once."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Participant, Response
from bot.scheduler.checkins import run_checkins
from tests.flows import DEFAULT_ANSWERS, add_person, open_modal

from .helpers import WEEK2_DUE, checkin_posts, count, make_pairs, post_payload

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

PRIYA = "U0PRIYA01"


def publishes(bot, user: str) -> int:
    return sum(
        1 for c in bot.fake.calls if c["method"] == "views.publish" and c["args"]["user_id"] == user
    )


async def test_a_redelivered_event_is_acked_fast_and_processed_once(bot):
    add_person(bot, PRIYA, "Priya Patel")
    event = {"type": "app_home_opened", "user": PRIYA, "channel": "D0PRIYA", "tab": "home"}
    first = await bot.fake.send_event(event, event_id="Ev1")
    assert first.status == 200
    await bot.fake.wait_for(lambda: publishes(bot, PRIYA) == 1)
    for retry_num in (1, 2):
        retry = await bot.fake.send_event(
            event, event_id="Ev1", retry_num=retry_num, retry_reason="http_timeout"
        )
        assert retry.status == 200
    other = await bot.fake.send_event(event, event_id="Ev2")  # a new event is still handled
    assert other.status == 200
    await bot.fake.wait_for(lambda: publishes(bot, PRIYA) == 2)
    await asyncio.sleep(0.2)  # time for a late duplicate to show, were there one
    assert publishes(bot, PRIYA) == 2


async def test_an_interaction_replayed_with_its_trigger_id_is_processed_once(bot):
    pairs = await make_pairs(bot, 1)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    (_, sharer, _, channel) = pairs[0]
    message = checkin_posts(bot.fake, channel)[0]
    await bot.fake.click(sharer, ids.CHECKIN_MET, channel=channel, ts=message["ts"])
    sent = bot.fake.acks[-1]["request"]  # the exact bytes of the click, trigger_id included
    ephemerals_after_first = await bot.fake.wait_for(lambda: bot.fake.ephemerals(sharer))
    for _ in range(2):
        again = await bot.fake.post_raw(sent, {"Content-Type": "application/x-www-form-urlencoded"})
        assert again.status == 200
    await asyncio.sleep(0.2)  # time for a second handling to show, were there one
    assert await count(bot.ctx.db, Response) == 1
    assert len(bot.fake.ephemerals(sharer)) == len(ephemerals_after_first)  # no second "noted"


async def test_a_replayed_modal_submission_is_processed_once(bot):
    add_person(bot, PRIYA, "Priya Patel")
    view = await open_modal(bot, PRIYA, "join")
    captured: dict = {}

    def keep(payload: dict) -> dict:
        captured.update(json.loads(json.dumps(payload)))
        return payload

    await bot.fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS, raw_payload_edit=keep)
    await bot.fake.wait_for(lambda: bot.fake.dm_messages(PRIYA))
    again = await post_payload(bot, captured)  # same trigger_id: a replay
    assert again.status == 200
    await asyncio.sleep(0.2)
    async with bot.ctx.db.session() as session:
        rows = (await session.scalars(select(Participant))).all()
    assert [r.slack_user_id for r in rows] == [PRIYA]
    assert len(bot.fake.dm_messages(PRIYA)) == 1  # one confirmation, not two
