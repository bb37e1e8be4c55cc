"""Authorization everywhere: HR-only actions refuse everyone else, and a person can act only on
their own profile, goals and answers, whatever ids a request carries. Refused means nothing changed.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import (
    Checkin,
    Goal,
    GoalProgress,
    MatchProposal,
    Pair,
    PairingFeedback,
    Participant,
    Program,
    Response,
    SurveyResponse,
)
from bot.scheduler.checkins import run_checkins
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import open_modal, request_match, texts_of

from .helpers import (
    WEEK2_DUE,
    checkin_posts,
    envelope,
    forged_action,
    make_pairs,
    make_people,
    make_program,
    post_payload,
    row_counts,
)

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

REFUSED = "Only HR admins"


def refusals(bot, user: str) -> int:
    shown = bot.fake.ephemerals(user) + bot.fake.dm_messages(user)
    return sum(REFUSED in texts_of([m]) for m in shown)


async def snapshot(db) -> dict:
    async with db.session() as session:
        proposals = [
            (p.id, p.status, json.dumps(p.proposal, sort_keys=True))
            for p in (await session.scalars(select(MatchProposal).order_by(MatchProposal.id)))
        ]
        programs = [
            (p.id, p.name, p.start_date, p.length_weeks, p.hr_channel_id)
            for p in (await session.scalars(select(Program).order_by(Program.id)))
        ]
    return {"rows": await row_counts(db), "proposals": proposals, "programs": programs}


async def test_a_non_admin_is_refused_every_hr_action_and_nothing_changes(bot):
    program_id = await make_program(bot, hr_channel=HR_CHANNEL_ID)
    people = await make_people(bot, 3, program_id)
    proposal = await request_match(bot)
    outsider = people[0]
    bot.fake.channels[HR_CHANNEL_ID]["members"].append(outsider)  # they can see the proposal
    before = await snapshot(bot.ctx.db)
    hr_messages = len(bot.fake.messages(HR_CHANNEL_ID))

    ts = proposal["ts"]
    option = next(b for b in proposal["blocks"] if b["type"] == "actions")["elements"][-1][
        "options"
    ][0]
    await bot.fake.click(outsider, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=ts)
    await bot.fake.click(outsider, ids.MATCH_RERUN, channel=HR_CHANNEL_ID, ts=ts)
    await bot.fake.click(
        outsider,
        ids.MATCH_EXCLUDE,
        channel=HR_CHANNEL_ID,
        ts=ts,
        selected_option_value=option["value"],
    )
    for words in (
        "admin match",
        "admin program",
        "admin topics Lockpicking",
        "report",
        "report csv",
    ):
        result = await bot.fake.slash_command(outsider, text=words, channel_id=HR_CHANNEL_ID)
        assert result.status == 200
    # Buttons only HR's App Home shows, sent anyway (a forged or replayed request).
    for action in (ids.HOME_ADMIN_PROGRAM, ids.HOME_ADMIN_MATCH, ids.HOME_ADMIN_REPORT):
        result = await post_payload(bot, forged_action(bot, outsider, action, ""))
        assert result.status == 200

    await bot.fake.wait_for(lambda: refusals(bot, outsider) >= 11, timeout=10)
    await asyncio.sleep(0.3)
    assert await snapshot(bot.ctx.db) == before
    assert len(bot.fake.messages(HR_CHANNEL_ID)) == hr_messages  # no report, no new proposal
    current = next(m for m in bot.fake.messages(HR_CHANNEL_ID) if m["ts"] == ts)
    assert any(b["type"] == "actions" for b in current["blocks"])  # the proposal is untouched
    assert bot.fake.files == {}
    assert bot.fake.open_views(outsider) == []


async def test_a_non_admin_submitting_the_program_modal_changes_nothing(bot):
    program_id = await make_program(bot, hr_channel=HR_CHANNEL_ID)
    outsider = (await make_people(bot, 1, program_id))[0]
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    before = await snapshot(bot.ctx.db)
    captured: dict = {}

    def as_outsider(payload: dict) -> dict:
        payload["user"]["id"] = outsider
        captured.update(json.loads(json.dumps(payload)))
        return payload

    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        view["id"],
        {ids.A_PROGRAM_NAME: "Hijacked", ids.A_PROGRAM_LENGTH: "2"},
        raw_payload_edit=as_outsider,
    )
    assert REFUSED in str(result.errors)
    captured["trigger_id"] = envelope(bot, "view_submission", outsider)["trigger_id"]
    replay = await post_payload(bot, captured)  # the same submission replayed, new trigger
    assert replay.status == 200 and REFUSED in replay.body
    assert await snapshot(bot.ctx.db) == before


async def checkin_ids(bot) -> dict[str, int]:
    """Each pair's check-in id, keyed by the pair's group DM."""
    async with bot.ctx.db.session() as session:
        rows = (await session.execute(select(Pair.dm_channel_id, Checkin.id).join(Checkin))).all()
    return dict(rows)


async def give_goal(bot, user: str, description: str) -> int:
    async with bot.ctx.db.session() as session:
        person = await session.scalar(select(Participant).where(Participant.slack_user_id == user))
        goal = Goal(
            participant_id=person.id, category="inclusion", description=description, progress=25
        )
        session.add(goal)
        await session.flush()
        return goal.id


async def goal_state(bot, goal_id: int) -> tuple:
    async with bot.ctx.db.session() as session:
        goal = await session.get(Goal, goal_id)
        history = (
            await session.scalars(select(GoalProgress).where(GoalProgress.goal_id == goal_id))
        ).all()
        return goal.participant_id, goal.description, goal.status, goal.progress, len(history)


def forged_survey(bot, user: str, checkin_id: int, kind: str) -> dict:
    """A survey submission naming a check-in and survey kind of the sender's choosing."""
    answers = {
        ids.B_SV_RECOMMEND: {ids.A_SV_RECOMMEND: {"selected_option": {"value": "10"}}},
        ids.B_SV_ATTAINMENT: {ids.A_SV_ATTAINMENT: {"selected_option": {"value": "5"}}},
    }
    return envelope(
        bot,
        "view_submission",
        user,
        view={
            "id": "V0FORGED",
            "type": "modal",
            "callback_id": ids.SURVEY_CALLBACK,
            "private_metadata": json.dumps({"checkin_id": checkin_id, "kind": kind}),
            "blocks": [],
            "state": {"values": answers},
        },
        response_urls=[],
    )


async def test_feedback_naming_another_pairs_checkin_or_goals_changes_nothing_of_theirs(bot):
    (_, me, _, mine), (their_pair, victim, _, theirs) = await make_pairs(bot, 2)
    victim_goal = await give_goal(bot, victim, "Victim's private goal")
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    checkins = await checkin_ids(bot)
    victim_goal_before = await goal_state(bot, victim_goal)

    async def feedback_with(metadata: dict, goal_value: str = "100") -> dict | None:
        message = checkin_posts(bot.fake, mine)[0]
        await bot.fake.click(me, ids.CHECKIN_FEEDBACK, channel=mine, ts=message["ts"])
        view = (await bot.fake.wait_for(lambda: bot.fake.open_views(me)))[-1]

        def tamper(payload: dict) -> dict:
            payload["view"]["private_metadata"] = json.dumps(metadata)
            values = payload["view"]["state"]["values"]
            values[ids.feedback_goal_block(victim_goal)] = {
                ids.A_FB_GOAL: {
                    "type": "static_select",
                    "selected_option": {"value": goal_value, "text": {"type": "plain_text"}},
                }
            }
            return payload

        result = await bot.fake.submit_view(
            me,
            view["id"],
            {ids.A_FB_MET: "met", ids.A_FB_LEARNED: "Something only I should see"},
            raw_payload_edit=tamper,
        )
        assert result.status == 200
        if bot.fake.open_views(me):
            await bot.fake.close_view(me, bot.fake.open_views(me)[-1]["id"])
        return result.errors

    # 1. Another pair's check-in: refused in the modal, nothing stored anywhere.
    errors = await feedback_with({"checkin_id": checkins[theirs], "goal_ids": [victim_goal]})
    assert errors and "another pair" in str(errors)
    async with bot.ctx.db.session() as session:
        responses = (await session.scalars(select(Response))).all()
    # Opening my own modal made my (empty) response row; nothing was written anywhere.
    assert [(r.checkin_id, r.feedback_submitted_at) for r in responses] == [(checkins[mine], None)]
    # 2. My own check-in, but the victim's goal ids: my answer is stored, their goal untouched.
    errors = await feedback_with({"checkin_id": checkins[mine], "goal_ids": [victim_goal]})
    assert not errors
    assert await goal_state(bot, victim_goal) == victim_goal_before
    async with bot.ctx.db.session() as session:
        responses = (await session.scalars(select(Response))).all()
    assert [r.checkin_id for r in responses] == [checkins[mine]]
    assert responses[0].feedback_submitted_at is not None

    # 3. Buttons and the survey carrying another pair's check-in id: refused, nothing stored.
    for action in (ids.CHECKIN_MET, ids.CHECKIN_SKIP, ids.CHECKIN_THUMBS_UP, ids.CHECKIN_FEEDBACK):
        result = await post_payload(
            bot, forged_action(bot, me, action, str(checkins[theirs]), channel=mine)
        )
        assert result.status == 200
    result = await post_payload(bot, forged_survey(bot, me, checkins[theirs], "mid"))
    assert result.status == 200 and "another pair" in result.body
    # The repair request names the other pair: their pair stays, no feedback row on it.
    repair = envelope(
        bot,
        "view_submission",
        me,
        view={
            "id": "V0FORGED2",
            "type": "modal",
            "callback_id": ids.REPAIR_CALLBACK,
            "private_metadata": json.dumps({"pair_id": their_pair}),
            "blocks": [],
            "state": {"values": {}},
        },
        response_urls=[],
    )
    assert (await post_payload(bot, repair)).status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(me)) >= 3, timeout=10)
    await asyncio.sleep(0.3)
    async with bot.ctx.db.session() as session:
        responses = (await session.scalars(select(Response))).all()
        assert [r.checkin_id for r in responses] == [checkins[mine]]
        assert (await session.scalars(select(SurveyResponse))).all() == []
        assert (await session.scalars(select(PairingFeedback))).all() == []
        assert {p.status for p in (await session.scalars(select(Pair))).all()} == {"active"}
    assert bot.fake.open_views(me) == []
    assert await goal_state(bot, victim_goal) == victim_goal_before


async def test_goals_submitted_with_someone_elses_goal_ids_create_nothing_on_them(bot):
    (_, me, _, _), (_, victim, _, _) = await make_pairs(bot, 2)
    victim_goal = await give_goal(bot, victim, "Victim's private goal")
    before = await goal_state(bot, victim_goal)
    for state, description in (("open", "Hijacked"), ("achieved", "Hijacked"), ("closed", "")):
        view = await open_modal(bot, me, "goals")

        def tamper(payload: dict, state=state, description=description) -> dict:
            payload["view"]["private_metadata"] = json.dumps({"goal_ids": [victim_goal]})
            values = payload["view"]["state"]["values"]
            values[ids.goal_block("description", 0)][ids.A_GOAL["description"]]["value"] = (
                description or None
            )
            values[ids.goal_block("state", 0)] = {
                ids.A_GOAL["state"]: {"selected_option": {"value": state}}
            }
            values[ids.goal_block("progress", 0)] = {
                ids.A_GOAL["progress"]: {"selected_option": {"value": "100"}}
            }
            return payload

        await bot.fake.submit_view(me, view["id"], {}, raw_payload_edit=tamper)
        if bot.fake.open_views(me):
            await bot.fake.close_view(me, bot.fake.open_views(me)[-1]["id"])
    await asyncio.sleep(0.2)
    assert await goal_state(bot, victim_goal) == before
    async with bot.ctx.db.session() as session:
        victim_id = await session.scalar(
            select(Participant.id).where(Participant.slack_user_id == victim)
        )
        theirs = (await session.scalars(select(Goal).where(Goal.participant_id == victim_id))).all()
    assert [g.id for g in theirs] == [victim_goal]


async def test_a_survey_the_checkin_does_not_carry_cannot_be_opened_or_answered_on_it(bot):
    """Survey buttons name their check-in and kind in their value, which a person can edit: the
    end survey answered in week 2 would count in HR's final figures. Refused, nothing stored."""
    ((_, me, _, mine),) = await make_pairs(bot, 1)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    async with bot.ctx.db.session() as session:
        (week2,) = (await session.scalars(select(Checkin.id))).all()

    for kind in ("end", "mid"):  # week 2 of 12 carries neither
        forged = forged_action(bot, me, ids.CHECKIN_SURVEY, f"{week2}:{kind}", channel=mine)
        assert (await post_payload(bot, forged)).status == 200
    await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(me)) == 2, timeout=10)
    assert all("isn't open on this check-in" in texts_of([m]) for m in bot.fake.ephemerals(me))
    assert bot.fake.open_views(me) == []

    result = await post_payload(bot, forged_survey(bot, me, week2, "end"))
    assert result.status == 200 and "isn't open on this check-in" in result.body
    async with bot.ctx.db.session() as session:
        assert (await session.scalars(select(SurveyResponse))).all() == []
