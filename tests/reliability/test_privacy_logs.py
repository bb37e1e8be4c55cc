"""Privacy: logs are JSON lines with Slack ids only (no names, emails, answers, goals, tokens or
secrets, even at DEBUG and when things fail), and delete-my-data leaves no personal text behind.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FixedClock
from bot.logging_setup import configure_logging
from bot.models import Participant
from bot.scheduler.checkins import run_checkins
from bot.scheduler.jobs import run_job
from mentorbot_sandbox.local import HR_CHANNEL_ID, LocalBot
from tests.conftest import START
from tests.flows import approve_latest, join, open_modal, open_program, request_match

from .helpers import WEEK2_DUE, checkin_posts, dump_text, envelope, post_payload

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

SHARER, LEARNER = "U0QUINN01", "U0ZELDA01"
PEOPLE = {
    SHARER: ("Quintessa Marchbanks", "quintessa.marchbanks@example.org"),
    LEARNER: ("Zebediah Okonkwo-Lindqvist", "zebediah.ol@example.org"),
}
SECRET_TEXT = {
    SHARER: [
        "Teach the board to love Kubernetes by Friday",  # goal
        "Runs a secret pottery podcast",  # own "other" topic
        "Vexillology Guild",  # department
        "The quarterly numbers are fudged, I think",  # feedback: learned
        "My manager keeps cancelling on us",  # feedback: blockers
    ],
    LEARNER: ["Negotiate with dragons, politely", "Chartered Ornithology"],
}


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    root.handlers, level = saved
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)


async def feedback(bot, user: str, channel: str, learned: str, blockers: str) -> None:
    message = checkin_posts(bot.fake, channel)[0]
    await bot.fake.click(user, ids.CHECKIN_FEEDBACK, channel=channel, ts=message["ts"])
    view = (await bot.fake.wait_for(lambda: bot.fake.open_views(user)))[-1]
    result = await bot.fake.submit_view(
        user,
        view["id"],
        {
            ids.A_FB_MET: "met",
            ids.A_FB_USEFUL: "5",
            ids.A_FB_LEARNED: learned,
            ids.A_FB_BLOCKERS: blockers,
        },
    )
    assert not result.errors


async def test_logs_carry_ids_only_and_deleted_data_is_gone(db_url, restore_logging):
    local = LocalBot(db_url, clock=FixedClock(START))
    stream = io.StringIO()
    configure_logging(level="DEBUG", secrets=[local.bot_token, local.signing_secret], stream=stream)
    async with local as bot:
        await open_program(bot)
        for user, (name, email) in PEOPLE.items():
            bot.fake.add_user(user, name.split()[0].lower(), real_name=name, email=email)
        sharer_goal, other_topic, department = SECRET_TEXT[SHARER][:3]
        learner_goal, learner_department = SECRET_TEXT[LEARNER]
        await join(
            bot,
            SHARER,
            **{
                ids.A_DEPARTMENT: department,
                ids.A_SHARE_OTHER: other_topic,
                ids.A_GOAL["category"]: "tech_upskilling",
                ids.A_GOAL["description"]: sharer_goal,
            },
        )
        await join(
            bot,
            LEARNER,
            **{
                ids.A_ROLE: "learn",
                ids.A_EXPERIENCE: "21+",
                ids.A_DEPARTMENT: learner_department,
                ids.A_SHARE_TOPICS: ["strategic planning"],
                ids.A_LEARN_TOPICS: ["generative AI tools"],
                ids.A_GOAL["category"]: "leadership_development",
                ids.A_GOAL["description"]: learner_goal,
            },
        )
        await request_match(bot)
        await approve_latest(bot)
        bot.clock.set(WEEK2_DUE)
        await run_job(bot.ctx, "checkins", run_checkins, "2026-01-20T10:00Z")
        channel = bot.fake.mpim_for(SHARER, LEARNER)
        await feedback(bot, SHARER, channel, *SECRET_TEXT[SHARER][3:])
        await bot.fake.click(
            LEARNER, ids.CHECKIN_MET, channel=channel, ts=checkin_posts(bot.fake, channel)[0]["ts"]
        )
        await bot.fake.wait_for(
            lambda: any("does this pairing work" in m["text"] for m in bot.fake.dm_messages(SHARER))
        )
        # A listener that fails (a malformed click) logs the failure, with its stack.
        broken = envelope(bot, "block_actions", SHARER, channel={"id": channel})
        broken["user"] = {"name": PEOPLE[SHARER][0]}
        broken["actions"] = [{"action_id": ids.CHECKIN_MET, "value": "1", "block_id": "b"}]
        assert (await post_payload(bot, broken)).status == 200
        # Last line of defence: even a secret written into a log line is scrubbed.
        logging.getLogger("bot.canary").error("canary %s %s", local.bot_token, local.signing_secret)
        await bot.fake.slash_command(SHARER, text="status")
        await bot.fake.slash_command(SHARER, text=f"pause {sharer_goal}")  # text in a command
        await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(SHARER)) >= 2)

        # Leaving, then erasing; the HR channel refuses the bot meanwhile, so failures log too.
        bot.fake.channels[HR_CHANNEL_ID]["members"].remove(bot.fake.bot_user_id)
        view = await open_modal(bot, SHARER, "leave")
        await bot.fake.submit_view(SHARER, view["id"], {})
        await bot.fake.wait_for(
            lambda: any("stepped out" in m["text"] for m in bot.fake.dm_messages(LEARNER))
        )
        view = await open_modal(bot, SHARER, "delete-my-data")
        await bot.fake.submit_view(SHARER, view["id"], {})
        await bot.fake.wait_for(
            lambda: any("are deleted" in m["text"] for m in bot.fake.dm_messages(SHARER))
        )
        stored = await dump_text(bot.ctx.db)
        async with bot.ctx.db.session() as session:
            left = (await session.scalars(select(Participant.slack_user_id))).all()

    logs = stream.getvalue()
    lines = [line for line in logs.splitlines() if line.strip()]
    assert len(lines) >= 5, "the flow should have logged"
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert isinstance(entry, dict) and {"ts", "level", "logger", "msg"} <= set(entry)
    forbidden = [local.bot_token, local.signing_secret]
    for user, (name, email) in PEOPLE.items():
        forbidden += [name, *name.split(), email, *SECRET_TEXT[user]]
    leaked = [word for word in forbidden if word in logs]
    assert not leaked, leaked
    assert any('"listener failed"' in line and "error" in json.loads(line) for line in lines)
    assert any('"message not delivered"' in line for line in lines)
    assert "[redacted" in logs

    # delete-my-data: none of the person's words, name or Slack id anywhere in the database.
    assert SHARER not in left
    gone = [PEOPLE[SHARER][0], *PEOPLE[SHARER][0].split(), SHARER, *SECRET_TEXT[SHARER]]
    still_there = [word for word in gone if word in stored]
    assert not still_there, still_there
    assert PEOPLE[LEARNER][0] in stored or LEARNER in stored  # the partner's data is theirs
