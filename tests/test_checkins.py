"""Weekly check-ins end to end: the scheduler pass posts at local time, people answer in Slack."""

import asyncio
import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot import ids
from bot.models import (
    Checkin,
    GoalProgress,
    JobRun,
    Nudge,
    Outcome,
    Pair,
    Participant,
    Response,
)
from bot.scheduler.checkins import run_checkins
from bot.scheduler.jobs import run_job
from bot.scheduler.nudges import run_nudges
from mentorbot_sandbox import FaultRule
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import (
    add_person,
    approve_latest,
    join,
    open_program,
    paired_program,
    request_match,
    texts_of,
)

WEEK2_DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)  # Tue of week 2, 10:00 London


async def pairs_with_channels(bot) -> list[tuple[Pair, str, str]]:
    async with bot.ctx.db.session() as session:
        result = []
        for pair in (await session.scalars(select(Pair).order_by(Pair.id))).all():
            sharer = await session.get(Participant, pair.sharer_id)
            learner = await session.get(Participant, pair.learner_id)
            result.append((pair, sharer.slack_user_id, learner.slack_user_id))
        return result


def checkin_messages(bot, channel: str) -> list:
    return [m for m in bot.fake.messages(channel) if "check-in" in m["text"]]


async def first_week_checkin(bot):
    """Two pairs kicked off and week 2's check-ins posted: the first pair and its message."""
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    pair, sharer, learner = (await pairs_with_channels(bot))[0]
    return pair, sharer, learner, checkin_messages(bot, pair.dm_channel_id)[0]


async def feedback_view(bot, user: str, not_id: str | None = None) -> dict:
    def found():
        views = [
            v
            for v in bot.fake.open_views(user)
            if v["callback_id"] == ids.FEEDBACK_CALLBACK and v["id"] != not_id
        ]
        return views[-1] if views else None

    return await bot.fake.wait_for(found)


async def count(bot, model, *where) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_checkins_land_at_local_time_once(bot):
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE - dt.timedelta(minutes=5))
    counts = await run_checkins(bot.ctx)
    assert counts.sent == 0

    bot.clock.set(WEEK2_DUE)
    counts = await run_checkins(bot.ctx)
    assert counts.sent == 2
    again = await run_checkins(bot.ctx)
    assert again.sent == 0
    for pair, sharer, learner in await pairs_with_channels(bot):
        messages = checkin_messages(bot, pair.dm_channel_id)
        assert len(messages) == 1
        shown = texts_of(messages)
        assert "Week 2 check-in" in shown and "This week's conversation" in shown
        assert f"⏳ <@{sharer}>" in shown and f"⏳ <@{learner}>" in shown
    assert await count(bot, Checkin, Checkin.kind == "checkin") == 2
    assert bot.fake.validation_errors == []


async def test_pair_across_time_zones_gets_it_inside_both_working_days(bot):
    await open_program(bot)
    add_person(bot, "U0LONDON1", "Asha Singh", tz="Europe/London")
    add_person(bot, "U0KOLKATA", "Vikram Rao", tz="Asia/Kolkata")
    await join(bot, "U0LONDON1")
    await join(
        bot,
        "U0KOLKATA",
        **{
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_TIMEZONE: "Asia/Kolkata",
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
        },
    )
    await request_match(bot)
    await approve_latest(bot)
    # 10:00 in Kolkata (the learner's zone) is 04:30 in London, before the sharer's day starts;
    # 10:00 in London is 15:30 in Kolkata, inside both working days, so it goes then.
    bot.clock.set(dt.datetime(2026, 1, 20, 4, 30, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 0
    bot.clock.set(dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 1
    async with bot.ctx.db.session() as session:
        checkin = await session.scalar(select(Checkin).where(Checkin.kind == "checkin"))
    kolkata = checkin.due_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert (kolkata.hour, kolkata.minute) == (15, 30)


async def test_buttons_and_feedback_store_rows_and_update_the_message(bot):
    pair, sharer, learner, message = await first_week_checkin(bot)

    await bot.fake.click(sharer, ids.CHECKIN_MET, channel=pair.dm_channel_id, ts=message["ts"])
    updated = await bot.fake.wait_for(
        lambda: f"✅ <@{sharer}>" in texts_of(checkin_messages(bot, pair.dm_channel_id))
    )
    assert updated
    assert f"⏳ <@{learner}>" in texts_of(checkin_messages(bot, pair.dm_channel_id))
    # After the first meeting each person is asked privately whether the pairing works.
    await bot.fake.wait_for(
        lambda: any("does this pairing work" in m["text"] for m in bot.fake.dm_messages(learner))
    )

    # The learner shares private feedback; goal progress goes into the goal's history.
    await bot.fake.click(
        learner, ids.CHECKIN_FEEDBACK, channel=pair.dm_channel_id, ts=message["ts"]
    )
    view = await feedback_view(bot, learner)
    goal_block = next(b for b in view["blocks"] if b.get("block_id", "").startswith("fb_goal_"))
    result = await bot.fake.submit_view(
        learner,
        view["id"],
        {
            ids.A_FB_MET: "met",
            ids.A_FB_USEFUL: "5",
            ids.A_FB_CANDOUR: "4",
            ids.A_FB_LEARNED: "How the board reads a business case",
            (goal_block["block_id"], ids.A_FB_GOAL): "50",
        },
    )
    assert not result.errors
    async with bot.ctx.db.session() as session:
        rows = (await session.scalars(select(Response).order_by(Response.id))).all()
        assert {r.attendance for r in rows} == {"met"}
        feedback = next(r for r in rows if r.usefulness)
        assert (feedback.usefulness, feedback.candour, feedback.quote_ok) == (5, 4, False)
        history = (
            await session.scalars(select(GoalProgress).where(GoalProgress.source == "checkin"))
        ).all()
        assert [h.progress for h in history] == [50]
    await bot.fake.wait_for(
        lambda: f"✅ <@{learner}>" in texts_of(checkin_messages(bot, pair.dm_channel_id))
    )
    # The message says who answered, never what.
    assert "business case" not in texts_of(bot.fake.messages(pair.dm_channel_id))

    # Editing: the modal reopens prefilled with the earlier answer.
    await bot.fake.click(
        learner, ids.CHECKIN_FEEDBACK, channel=pair.dm_channel_id, ts=message["ts"]
    )
    reopened = await feedback_view(bot, learner, not_id=view["id"])
    learned = next(b for b in reopened["blocks"] if b.get("block_id") == ids.B_FB_LEARNED)
    assert learned["element"]["initial_value"] == "How the board reads a business case"


async def test_every_answer_keeps_the_checkins_summary_for_hr(bot):
    """The check-in row carries what its answers came to (HR's report reads only that)."""
    pair, sharer, learner, message = await first_week_checkin(bot)
    where = {"channel": pair.dm_channel_id, "ts": message["ts"]}

    async def summary():
        async with bot.ctx.db.session() as session:
            row = await session.scalar(
                select(Checkin).where(Checkin.pair_id == pair.id, Checkin.kind == "checkin")
            )
        return {
            "outcome": Outcome(row.outcome).name,
            "answers": row.answers,
            "usefulness": (row.usefulness_sum, row.usefulness_count),
            "candour": (row.candour_sum, row.candour_count),
            "thumbs": (row.thumbs_up, row.thumbs_down),
            "answered": (row.sharer_answered, row.learner_answered),
            "cancelled_by": (row.cancelled_by_sharer, row.cancelled_by_learner),
        }

    async def settled(expected: dict) -> dict:
        """The summary once clicks still being processed after their ack are saved."""

        async def matches() -> bool:
            return await summary() == expected

        with contextlib.suppress(TimeoutError):
            await bot.fake.wait_for(matches, timeout=5)
        return await summary()

    async def give_feedback(user: str, answers: dict, not_id: str | None = None) -> str:
        await bot.fake.click(user, ids.CHECKIN_FEEDBACK, **where)
        view = await feedback_view(bot, user, not_id=not_id)
        assert not (await bot.fake.submit_view(user, view["id"], answers)).errors
        return view["id"]

    assert (await summary())["outcome"] == "NO_ANSWER"
    await bot.fake.click(sharer, ids.CHECKIN_SKIP, **where)
    await bot.fake.wait_for(lambda: bot.fake.ephemerals(sharer))
    first = await give_feedback(
        learner, {ids.A_FB_MET: "cancelled", ids.A_FB_USEFUL: "3", ids.A_FB_CANDOUR: "2"}
    )
    await bot.fake.click(sharer, ids.CHECKIN_THUMBS_UP, **where)
    await bot.fake.click(learner, ids.CHECKIN_THUMBS_DOWN, **where)
    expected = {
        "outcome": "CANCELLED",  # a cancellation outranks a skip
        "answers": 1,
        "usefulness": (3, 1),
        "candour": (2, 1),
        "thumbs": (1, 1),
        "answered": (False, True),
        "cancelled_by": (False, True),
    }
    assert await settled(expected) == expected
    # The learner corrects the answer: it replaces the earlier one, it is not added to it.
    await give_feedback(
        learner, {ids.A_FB_MET: "met", ids.A_FB_USEFUL: "5", ids.A_FB_CANDOUR: "4"}, first
    )
    await give_feedback(sharer, {ids.A_FB_MET: "partner_cancelled", ids.A_FB_USEFUL: "1"})
    expected = {
        "outcome": "MET",
        "answers": 2,
        "usefulness": (6, 2),
        "candour": (4, 1),
        "thumbs": (1, 1),
        "answered": (True, True),
        "cancelled_by": (False, True),  # the sharer says the learner cancelled
    }
    assert await settled(expected) == expected


async def test_someone_from_another_pair_cannot_answer(bot):
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    (pair, _, _), (_, intruder, _) = await pairs_with_channels(bot)
    message = checkin_messages(bot, pair.dm_channel_id)[0]
    bot.fake.channels[pair.dm_channel_id]["members"].append(intruder)
    await bot.fake.click(intruder, ids.CHECKIN_SKIP, channel=pair.dm_channel_id, ts=message["ts"])
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(intruder))
    assert "belongs to another pair" in texts_of(note)
    assert await count(bot, Response) == 0


async def test_one_reminder_then_at_risk_after_two_missed_weeks(bot):
    pair, sharer, learner, message = await first_week_checkin(bot)
    await bot.fake.click(sharer, ids.CHECKIN_SKIP, channel=pair.dm_channel_id, ts=message["ts"])
    await bot.fake.wait_for(
        lambda: f"✅ <@{sharer}>" in texts_of(checkin_messages(bot, pair.dm_channel_id))
    )

    bot.clock.set(WEEK2_DUE + dt.timedelta(days=2))  # Thursday 10:00 London
    await run_nudges(bot.ctx)
    await run_nudges(bot.ctx)
    reminders = [m for m in bot.fake.dm_messages(learner) if "gentle nudge" in m["text"]]
    assert len(reminders) == 1
    assert not [m for m in bot.fake.dm_messages(sharer) if "gentle nudge" in m["text"]]

    bot.clock.set(WEEK2_DUE + dt.timedelta(days=7))
    await run_checkins(bot.ctx)  # week 3: nobody answers
    bot.clock.set(WEEK2_DUE + dt.timedelta(days=13, hours=1))
    await run_nudges(bot.ctx)
    notes = [m for m in bot.fake.messages(pair.dm_channel_id) if "15-minute" in m["text"]]
    assert len(notes) == 1
    assert any("at risk" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    async with bot.ctx.db.session() as session:
        assert (await session.get(Pair, pair.id)).at_risk is True


async def test_paused_people_get_nothing(bot):
    await paired_program(bot)
    pair, sharer, _ = (await pairs_with_channels(bot))[0]
    await bot.fake.slash_command(sharer, text="pause")
    await bot.fake.wait_for(lambda: bot.fake.ephemerals(sharer))
    bot.clock.set(WEEK2_DUE)
    counts = await run_checkins(bot.ctx)
    assert counts.sent == 1 and counts.skipped == 1
    assert checkin_messages(bot, pair.dm_channel_id) == []


async def test_crash_and_rerun_and_concurrent_passes_post_once(bot):
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    bot.fake.faults.add(FaultRule(method="chat.postMessage", kind="http_503", count=10))
    first = await run_checkins(bot.ctx)
    assert first.failed == 2 and first.sent == 0  # every retry exhausted: nothing posted
    bot.fake.faults.clear()
    rerun = await asyncio.gather(run_checkins(bot.ctx), run_checkins(bot.ctx))
    assert sum(r.sent for r in rerun) == 2
    for pair, _, _ in await pairs_with_channels(bot):
        assert len(checkin_messages(bot, pair.dm_channel_id)) == 1


async def test_a_claim_left_by_a_dead_process_is_recovered_without_reposting(bot):
    """The process died after Slack accepted the post but before the ts was recorded."""
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    await run_checkins(bot.ctx)
    from sqlalchemy import update

    from bot.models import CheckinStatus

    async with bot.ctx.db.session() as session:  # what a crash at that instant leaves behind
        await session.execute(
            update(Checkin)
            .where(Checkin.kind == "checkin")
            .values(status=CheckinStatus.CLAIMED, message_ts=None, claimed_at=WEEK2_DUE)
        )
    bot.clock.set(WEEK2_DUE + dt.timedelta(minutes=1))
    assert (await run_checkins(bot.ctx)).sent == 0  # the lease still holds
    bot.clock.set(WEEK2_DUE + dt.timedelta(minutes=5))
    await run_checkins(bot.ctx)
    for pair, _, _ in await pairs_with_channels(bot):
        assert len(checkin_messages(bot, pair.dm_channel_id)) == 1
    assert await count(bot, Checkin, Checkin.message_ts.is_(None)) == 0


async def test_job_runs_once_per_slot_and_records_counts(bot):
    await paired_program(bot)
    bot.clock.set(WEEK2_DUE)
    runs = await asyncio.gather(
        run_job(bot.ctx, "checkins", run_checkins, "2026-01-20T10:00Z"),
        run_job(bot.ctx, "checkins", run_checkins, "2026-01-20T10:00Z"),
    )
    done = [r for r in runs if r is not None]
    assert len(done) == 1 and done[0].sent == 2 and done[0].status == "done"
    assert await count(bot, JobRun) == 1


async def test_mid_program_survey_is_offered_and_stored(bot):
    await paired_program(bot)
    pair, sharer, _ = (await pairs_with_channels(bot))[0]
    for week in range(2, 7):
        bot.clock.set(WEEK2_DUE + dt.timedelta(weeks=week - 2))
        await run_checkins(bot.ctx)
    week6 = checkin_messages(bot, pair.dm_channel_id)[-1]
    assert "mid-program survey" in texts_of([week6])
    await bot.fake.click(sharer, ids.CHECKIN_SURVEY, channel=pair.dm_channel_id, ts=week6["ts"])
    view = (await bot.fake.wait_for(lambda: bot.fake.open_views(sharer)))[-1]
    result = await bot.fake.submit_view(
        sharer, view["id"], {ids.A_SV_RECOMMEND: "9", ids.A_SV_ATTAINMENT: "4"}
    )
    assert not result.errors
    from bot.models import SurveyResponse

    async with bot.ctx.db.session() as session:
        survey = await session.scalar(select(SurveyResponse))
        assert (survey.kind, survey.recommend, survey.goal_attainment) == ("mid", 9, 4)


async def test_no_fault_repair_ends_pair_and_tells_hr_privately(bot):
    pair, sharer, learner, message = await first_week_checkin(bot)
    await bot.fake.click(sharer, ids.CHECKIN_MET, channel=pair.dm_channel_id, ts=message["ts"])
    question = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(learner) if "does this pairing work" in m["text"]]
    )
    await bot.fake.click(
        learner, ids.FIT_REPAIR, channel=question[0]["channel"], ts=question[0]["ts"]
    )
    view = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    await bot.fake.submit_view(learner, view["id"], {ids.A_REPAIR_REASON: "Our schedules clash"})
    await bot.fake.wait_for(
        lambda: any("different partner" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    # The channel note names the pair so HR can rematch; the private reason never goes there,
    # only to HR admins' own App Home, and never to the partner.
    assert not any("schedules clash" in texts_of([m]) for m in bot.fake.messages(HR_CHANNEL_ID))
    assert not any("schedules clash" in texts_of([m]) for m in bot.fake.dm_messages(sharer))
    await bot.fake.wait_for(
        lambda: "Their reason: “Our schedules clash”" in texts_of([bot.fake.home(HR_ADMIN_ID)])
    )
    assert "schedules clash" not in texts_of([bot.fake.home(sharer) or {}])

    # Delete-my-data erases the reason from the admins' App Home too.
    await bot.fake.slash_command(learner, text="delete-my-data")
    confirm = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    await bot.fake.submit_view(learner, confirm["id"])
    await bot.fake.wait_for(lambda: "schedules clash" not in texts_of([bot.fake.home(HR_ADMIN_ID)]))
    async with bot.ctx.db.session() as session:
        assert (await session.get(Pair, pair.id)).status == "ended"
    assert await count(bot, Nudge, Nudge.kind == "fit_question") == 1
