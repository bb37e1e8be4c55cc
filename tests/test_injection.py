"""Text that acts: whatever people type into the bot, nothing it sends can ping, mention or link.

The same hostile text goes into every free-text field the bot has (program name, department,
other topics, goals, admin topics, feedback, blockers, survey, re-pair reason, command words)
and into people's Slack names, through the fake's signed requests; then every message, edit,
ephemeral, modal and home tab the bot sent (the fake's outbox) is checked for raw control
sequences. Over-long and control-character text is refused with a field error or stored clean.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from bot import ids
from bot.models import Participant
from bot.scheduler.checkins import run_checkins
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import DEFAULT_ANSWERS, add_person, join, open_modal, request_match

WEEK2_DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
HOSTILE = "<!channel> <!here> <!everyone> <@U0INJECT1> <#C0INJECT1> <https://x|y> & co"
RAW = re.compile(r"<!channel|<!here|<!everyone|<@U0INJECT1|<#C0INJECT1|<https://x")
SHARER, LEARNER = "U0SHARE01", "U0LEARN01"


def mrkdwn_strings(node: Any, *, plain: list[str] | None = None) -> list[str]:
    """Every text Slack parses as mrkdwn in a payload (and plain_text ones into `plain`)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(str(node.get("text", "")))
        elif node.get("type") == "plain_text" and plain is not None:
            plain.append(str(node.get("text", "")))
        for key, value in node.items():
            if key not in ("text",) or isinstance(value, dict | list):
                found += mrkdwn_strings(value, plain=plain)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_strings(item, plain=plain)
    return found


def everything_sent(bot) -> tuple[list[str], list[str]]:
    """(mrkdwn texts, plain texts) of every surface the bot sent."""
    parsed: list[str] = []
    plain: list[str] = []
    for item in bot.fake.outbox:
        if item["kind"].startswith("view:"):
            parsed += mrkdwn_strings(item["view"]["blocks"], plain=plain)
            continue
        parsed.append(item["text"])  # a message's top-level text is mrkdwn too
        parsed += mrkdwn_strings(item["blocks"], plain=plain)
    return parsed, plain


async def submit(bot, user: str, view: dict, values: dict) -> None:
    result = await bot.fake.submit_view(user, view["id"], values)
    assert not result.errors, result.errors


async def hostile_program(bot) -> None:
    """Everyone types the hostile text everywhere they can, from sign-up to the survey."""
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    await submit(
        bot,
        HR_ADMIN_ID,
        view,
        {
            ids.A_PROGRAM_NAME: HOSTILE,
            ids.A_PROGRAM_START: "2026-01-12",
            ids.A_PROGRAM_LENGTH: "12",
            ids.A_PROGRAM_CADENCE: "1",
            ids.A_PROGRAM_WEEKDAY: "tue",
            ids.A_PROGRAM_TIME: "10:00",
            ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
        },
    )
    await bot.fake.slash_command(HR_ADMIN_ID, text=f"admin topics {HOSTILE}")
    typed = {
        ids.A_DEPARTMENT: HOSTILE,
        ids.A_GOAL["category"]: "tech_upskilling",
        ids.A_GOAL["description"]: HOSTILE,
        ids.A_GOAL["measure"]: HOSTILE,
    }
    add_person(bot, SHARER, HOSTILE)
    result = await join(
        bot, SHARER, **typed, **{ids.A_SHARE_OTHER: HOSTILE, ids.A_LEARN_OTHER: "strategy"}
    )
    assert not result.errors, result.errors
    add_person(bot, LEARNER, HOSTILE)
    result = await join(
        bot,
        LEARNER,
        **typed,
        **{
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
            ids.A_SHARE_OTHER: "strategy",
            ids.A_LEARN_OTHER: HOSTILE,
        },
    )
    assert not result.errors, result.errors
    goals = await open_modal(bot, SHARER, "goals")
    await submit(
        bot, SHARER, goals, {(ids.goal_block("description", 1), ids.A_GOAL["description"]): HOSTILE}
    )
    await request_match(bot)
    proposal = [m for m in bot.fake.messages(HR_CHANNEL_ID) if m["blocks"]][-1]
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(
        lambda: any("Kickoffs sent" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    for week in range(2, 7):  # the week 6 check-in carries the mid-program survey
        bot.clock.set(WEEK2_DUE + dt.timedelta(weeks=week - 2))
        await run_checkins(bot.ctx)
    channel = bot.fake.mpim_for(SHARER, LEARNER)
    checkin = [m for m in bot.fake.messages(channel) if "check-in" in m["text"]][-1]
    where = {"channel": channel, "ts": checkin["ts"]}
    await bot.fake.click(SHARER, ids.CHECKIN_FEEDBACK, **where)
    feedback = (await bot.fake.wait_for(lambda: bot.fake.open_views(SHARER)))[-1]
    await submit(
        bot,
        SHARER,
        feedback,
        {
            ids.A_FB_MET: "met",
            ids.A_FB_LEARNED: HOSTILE,
            ids.A_FB_BLOCKERS: HOSTILE,
            ids.A_FB_QUOTE: ["quote"],
        },
    )
    await bot.fake.click(SHARER, ids.CHECKIN_SURVEY, **where)
    survey = (
        await bot.fake.wait_for(
            lambda: [
                v for v in bot.fake.open_views(SHARER) if v["callback_id"] == ids.SURVEY_CALLBACK
            ]
        )
    )[-1]
    await submit(
        bot,
        SHARER,
        survey,
        {
            ids.A_SV_RECOMMEND: "9",
            ids.A_SV_ATTAINMENT: "4",
            ids.A_SV_CHANGED: HOSTILE,
            ids.A_SV_QUOTE: ["quote"],
        },
    )
    await bot.fake.click(SHARER, ids.CHECKIN_MET, **where)
    question = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(LEARNER) if "pairing work" in m["text"]]
    )
    await bot.fake.click(
        LEARNER, ids.FIT_REPAIR, channel=question[0]["channel"], ts=question[0]["ts"]
    )
    repair = (await bot.fake.wait_for(lambda: bot.fake.open_views(LEARNER)))[-1]
    await submit(bot, LEARNER, repair, {ids.A_REPAIR_REASON: HOSTILE})
    await bot.fake.wait_for(
        lambda: any("different partner" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )


async def test_nothing_anyone_types_can_ping_mention_or_link(bot):
    await hostile_program(bot)
    for user in (SHARER, LEARNER, HR_ADMIN_ID):
        await bot.fake.open_home(user)
        await bot.fake.slash_command(user, text="status")
        await bot.fake.slash_command(user, text=HOSTILE)  # an unknown command word
    await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    await bot.fake.slash_command(HR_ADMIN_ID, text=f"report {HOSTILE}", channel_id=HR_CHANNEL_ID)
    await bot.fake.wait_for(
        lambda: any(
            m["text"].startswith("Mentoring report") for m in bot.fake.messages(HR_CHANNEL_ID)
        )
    )
    await bot.fake.wait_for(lambda: bot.fake.home(HR_ADMIN_ID))

    parsed, plain = everything_sent(bot)
    leaks = [t for t in parsed if RAW.search(t)]
    assert leaks == [], leaks[:3]
    # The hostile text was really shown (escaped) in the HR channel, homes and modals...
    escaped = "&lt;!channel&gt; &lt;!here&gt;"
    assert sum(escaped in t for t in parsed) >= 10
    # ...and plain-text fields (headers, labels, options) show it as typed, not as entities.
    assert not [t for t in plain if re.search(r"&(amp|lt|gt);", t)]
    assert any(HOSTILE in t for t in plain)
    assert bot.fake.validation_errors == []


async def test_over_long_text_gets_a_field_error_and_control_characters_are_dropped(bot):
    """Past Slack's own limits (a forged submission) the person gets a field error, nothing
    stored; control characters (NUL breaks PostgreSQL) are dropped and the rest is kept."""
    add_person(bot, SHARER, "Sam Share")
    view = await open_modal(bot, SHARER, "join")

    def lengthen(payload: dict) -> dict:
        values = payload["view"]["state"]["values"]
        values[ids.B_DEPARTMENT][ids.A_DEPARTMENT]["value"] = "D" * 81
        return payload

    result = await bot.fake.submit_view(
        SHARER, view["id"], DEFAULT_ANSWERS, raw_payload_edit=lengthen
    )
    assert result.errors == {ids.B_DEPARTMENT: "Please keep this under 80 characters."}
    async with bot.ctx.db.session() as session:
        assert await session.scalar(select(Participant)) is None

    result = await bot.fake.submit_view(
        SHARER, view["id"], {**DEFAULT_ANSWERS, ids.A_DEPARTMENT: "Fin\x00ance\x1b[31m <b>"}
    )
    assert not result.errors
    async with bot.ctx.db.session() as session:
        stored = await session.scalar(select(Participant))
    assert stored.department == "Finance[31m <b>"
    home = await bot.fake.wait_for(lambda: bot.fake.home(SHARER))
    assert "Finance[31m &lt;b&gt;" in str(home["blocks"])
