"""Nobody stranded, and HR sees every pair it approves: end to end through the fake."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Pair, PairStatus, Participant
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import (
    LEARNER_ANSWERS,
    LEARNERS,
    ODD_ONE,
    SHARERS,
    add_person,
    enrol_everyone,
    join,
    open_modal,
    paired_program,
    proposals,
    request_match,
    texts_of,
)
from tests.reliability.helpers import make_people, make_program

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


async def partner_of(bot, user: str) -> str | None:
    async with bot.ctx.db.session() as session:
        me = await session.scalar(select(Participant).where(Participant.slack_user_id == user))
        pair = await session.scalar(
            select(Pair).where(
                Pair.status == PairStatus.ACTIVE,
                (Pair.sharer_id == me.id) | (Pair.learner_id == me.id),
            )
        )
        if pair is None:
            return None
        other = pair.learner_id if pair.sharer_id == me.id else pair.sharer_id
        return (await session.get(Participant, other)).slack_user_id


def home_text(bot, user: str) -> str:
    view = bot.fake.home(user)
    return texts_of([view]) if view else ""


async def approve_newest(bot) -> None:
    """HR approves the newest proposal; waits for its kickoffs (not an earlier round's)."""
    done = [m for m in bot.fake.messages(HR_CHANNEL_ID) if "Kickoffs sent" in m["text"]]
    proposal = proposals(bot)[-1]
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(
        lambda: (
            len([m for m in bot.fake.messages(HR_CHANNEL_ID) if "Kickoffs sent" in m["text"]])
            > len(done)
        )
    )


async def leave(bot, user: str) -> None:
    view = await open_modal(bot, user, "leave")
    await bot.fake.submit_view(user, view["id"], {})


async def test_stranded_partner_waits_then_is_repaired_with_a_late_joiner(bot):
    await paired_program(bot)
    learner = next(iter(LEARNERS))
    stranded = await partner_of(bot, learner)
    await leave(bot, learner)

    # Nobody in the pool fits: told plainly why, and that they are on the waiting list.
    told = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(stranded) if "waiting list" in m["text"]]
    )
    assert "Why you're not paired yet" in told[0]["text"]
    home = await bot.fake.wait_for(lambda: "on the waiting list" in home_text(bot, stranded))
    assert home and "HR will propose pairs soon" not in home_text(bot, stranded)
    assert len(proposals(bot)) == 1  # no proposal without a fitting person

    # A fitting person joins later: HR gets a one-pair proposal at once and approves it.
    add_person(bot, "U0NINA001", "Nina Berg")
    await join(bot, "U0NINA001", **LEARNER_ANSWERS)
    proposal = await bot.fake.wait_for(lambda: len(proposals(bot)) == 2 and proposals(bot)[-1])
    shown = texts_of([proposal])
    assert "Someone who fits joined *Spring cohort*" in shown
    assert "1 pair " in shown and stranded in shown and "U0NINA001" in shown
    await approve_newest(bot)
    assert await partner_of(bot, stranded) == "U0NINA001"
    kickoff = texts_of(bot.fake.messages(bot.fake.mpim_for(stranded, "U0NINA001")))
    assert "Why you two" in kickoff
    await bot.fake.open_home(stranded)
    await bot.fake.wait_for(lambda: "U0NINA001" in home_text(bot, stranded))
    assert "on the waiting list" not in home_text(bot, stranded)
    assert bot.fake.validation_errors == []


async def test_a_fitting_person_already_waiting_gets_a_proposal_within_seconds(bot):
    await paired_program(bot)
    add_person(bot, "U0NINA001", "Nina Berg")
    await join(bot, "U0NINA001", **LEARNER_ANSWERS)  # joins after matching: HR has not matched
    assert len(proposals(bot)) == 1
    sharer = next(iter(SHARERS))
    leaver = await partner_of(bot, sharer)
    await leave(bot, leaver)
    proposal = await bot.fake.wait_for(lambda: len(proposals(bot)) == 2 and proposals(bot)[-1])
    shown = texts_of([proposal])
    assert "Someone in *Spring cohort* is without a partner" in shown
    assert sharer in shown and "U0NINA001" in shown
    assert "No one is paired with someone they were paired with before" in shown
    await bot.fake.wait_for(
        lambda: any("HR has a proposal" in m["text"] for m in bot.fake.dm_messages(sharer))
    )
    await approve_newest(bot)
    assert await partner_of(bot, sharer) == "U0NINA001"


async def test_unmatched_people_are_told_why_before_hr_approves_anything(bot):
    await enrol_everyone(bot, odd_one=True)
    await request_match(bot)  # HR has not approved
    told = await bot.fake.wait_for(
        lambda: [
            m
            for m in bot.fake.dm_messages(ODD_ONE[0])
            if "couldn't find you a partner" in m["text"]
        ]
    )
    assert "Why:" in told[0]["text"]
    await bot.fake.open_home(ODD_ONE[0])
    await bot.fake.wait_for(lambda: "on the waiting list" in home_text(bot, ODD_ONE[0]))
    await request_match(bot)  # a re-run with the same result does not tell them twice
    await approve_newest(bot)
    assert len([m for m in bot.fake.dm_messages(ODD_ONE[0]) if "Why:" in m["text"]]) == 1


async def test_a_proposal_of_40_pairs_shows_all_40_to_hr(bot):
    program_id = await make_program(bot, HR_CHANNEL_ID)
    people = await make_people(bot, 40, program_id)
    proposal = await request_match(bot)
    shown = texts_of([proposal])
    assert "40 pairs from 80 people" in shown
    assert all(f"<@{user}>" in shown for user in people)  # every pair HR approves, in the message
    files = await bot.fake.wait_for(
        lambda: [f for f in bot.fake.files.values() if f["completed"]] or None
    )
    listed = files[0]["content"].decode()
    assert sum(1 for line in listed.splitlines() if " + " in line) == 40
    assert bot.fake.validation_errors == []
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    approved = await bot.fake.wait_for(
        lambda: [
            m
            for m in bot.fake.messages(HR_CHANNEL_ID)
            if m["ts"] == proposal["ts"] and "40 pairs created" in m["text"]
        ]
    )
    assert all(f"<@{user}>" in texts_of(approved) for user in people)
