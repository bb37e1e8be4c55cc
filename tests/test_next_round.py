"""The next round and measured outcomes, end to end through the fake: people of a closed
program opt in, are invited to the next one, join it again and are never paired with their old
partner; confidence is rated at sign-up and in the end survey, and the gain reaches HR only for
groups of at least PRIVACY_MIN_GROUP_SIZE."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot import ids
from bot.models import ConfidenceRating, OrgPerson, Pair, Participant, Program
from bot.scheduler.checkins import run_checkins
from bot.services.outcomes import learning_gains, save_ratings
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import (
    LEARNER_ANSWERS,
    LEARNERS,
    SHARERS,
    add_person,
    join,
    open_modal,
    paired_program,
    proposals,
    texts_of,
)
from tests.seed import enrolments
from tests.test_programs import PROGRAM_VALUES, ephemeral_after, final_reports, wrapups
from tests.test_report_flow import shared_files

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


async def pairs_by_program(bot) -> dict[str, set[frozenset[str]]]:
    sharer, learner = aliased(Participant), aliased(Participant)
    async with bot.ctx.db.session() as session:
        rows = await session.execute(
            select(Program.name, sharer.slack_user_id, learner.slack_user_id)
            .select_from(Pair)
            .join(Program, Program.id == Pair.program_id)
            .join(sharer, sharer.id == Pair.sharer_id)
            .join(learner, learner.id == Pair.learner_id)
        )
        found: dict[str, set[frozenset[str]]] = {}
        for name, a, b in rows.all():
            found.setdefault(name, set()).add(frozenset((a, b)))
        return found


def spring_reports(bot) -> list:
    return [
        m
        for m in bot.fake.messages(HR_CHANNEL_ID)
        if "Mentoring report: Spring cohort" in texts_of([m]) and "Final report" not in m["text"]
    ]


async def closed_program_figures(bot) -> tuple[str, str, str]:
    """What HR sees of the closed Spring cohort: its `admin programs` line, report and CSV."""
    listed = await ephemeral_after(bot, HR_ADMIN_ID, "admin programs")
    line = next(line for line in listed.splitlines() if "*Spring cohort*" in line)
    reports = len(spring_reports(bot))
    await bot.fake.slash_command(HR_ADMIN_ID, text="report Spring cohort", channel_id=HR_CHANNEL_ID)
    report = await bot.fake.wait_for(
        lambda: len(spring_reports(bot)) > reports and spring_reports(bot)[-1]
    )
    files = len(shared_files(bot, ".csv"))
    await bot.fake.slash_command(
        HR_ADMIN_ID, text="report csv Spring cohort", channel_id=HR_CHANNEL_ID
    )
    csv = await bot.fake.wait_for(
        lambda: len(shared_files(bot, ".csv")) > files and shared_files(bot, ".csv")[-1]
    )
    return line, texts_of([report]), csv["content"].decode()


async def test_second_round_invites_people_who_opted_in_and_never_repeats_a_pair(bot):
    """...and the closed program's figures stay as they were when its people move on."""
    await paired_program(bot)
    everyone = [*SHARERS, *LEARNERS]
    view = await open_modal(bot, HR_ADMIN_ID, "admin close Spring cohort")
    await bot.fake.submit_view(HR_ADMIN_ID, view["id"])
    await bot.fake.wait_for(lambda: final_reports(bot))
    closed = await closed_program_figures(bot)
    line, report, _ = closed
    assert "*Spring cohort* · closed · 4 enrolled · 2 pairs" in line
    assert "4 enrolled" in report and "2 ran until the close · 0 ended early" in report
    assert "active pairs" not in report
    # Each person asks, from their pair's wrap-up, to be invited to the next round.
    for user in everyone[:3]:
        channel = next(ch for ch, _ in bot.fake.group_dms_of(user))
        wrap = await bot.fake.wait_for(lambda ch=channel: wrapups(bot, ch))
        await bot.fake.click(user, ids.NEXT_ROUND_OPT_IN, channel=channel, ts=wrap[0]["ts"])
        await bot.fake.wait_for(
            lambda u=user: any("next program opens" in m["text"] for m in bot.fake.dm_messages(u))
        )
    # The fourth says so in the sign-up modal.
    await join(bot, everyone[3], **LEARNER_ANSWERS, **{ids.A_NEXT_ROUND: [ids.NEXT_ROUND_YES]})

    new = await open_modal(bot, HR_ADMIN_ID, "admin program new")
    assert "Invite people from earlier programs" in texts_of([new])
    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        new["id"],
        {**PROGRAM_VALUES, ids.A_PROGRAM_NAME: "Summer cohort", ids.A_PROGRAM_START: "2026-02-02"},
    )
    assert not result.errors
    await bot.fake.wait_for(
        lambda: any("4 people from earlier programs" in m["text"] for m in admin_dms(bot))
    )
    for user in everyone:
        invite = await bot.fake.wait_for(
            lambda u=user: [m for m in bot.fake.dm_messages(u) if "Summer cohort" in m["text"]]
        )
        assert "Your profile and goals carry over" in invite[0]["text"]
        await bot.fake.click(
            user, ids.NEXT_ROUND_JOIN, channel=invite[0]["channel"], ts=invite[0]["ts"]
        )
        signup = (await bot.fake.wait_for(lambda u=user: bot.fake.open_views(u)))[-1]
        assert "*Program:* Summer cohort" in texts_of([signup])
        assert not (await bot.fake.submit_view(user, signup["id"], {})).errors

    async with bot.ctx.db.session() as session:
        summer = await session.scalar(select(Program).where(Program.name == "Summer cohort"))
        moved = await session.scalars(
            select(Participant.slack_user_id).where(Participant.program_id == summer.id)
        )
        assert set(moved.all()) == set(everyone)  # profiles carried over, now in round two

    before = len(proposals(bot))
    await bot.fake.slash_command(
        HR_ADMIN_ID, text="admin match Summer cohort", channel_id=HR_CHANNEL_ID
    )
    proposal = await bot.fake.wait_for(lambda: len(proposals(bot)) > before and proposals(bot)[-1])
    assert "No one is paired with someone they were paired with before" in texts_of([proposal])
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(
        lambda: (
            len([m for m in bot.fake.messages(HR_CHANNEL_ID) if "Kickoffs sent" in m["text"]]) == 2
        )
    )
    made = await pairs_by_program(bot)
    assert len(made["Summer cohort"]) == 2
    assert not made["Summer cohort"] & made["Spring cohort"]

    # Spring's people are Summer's now: Summer counts them, Spring reads as it did at its close.
    assert await closed_program_figures(bot) == closed
    listed = await ephemeral_after(bot, HR_ADMIN_ID, "admin programs")
    assert "*Summer cohort* · enrolling · 4 enrolled · 2 pairs" in listed
    assert bot.fake.validation_errors == []


def admin_dms(bot) -> list:
    return bot.fake.dm_messages(HR_ADMIN_ID)


async def test_confidence_is_rated_at_sign_up_and_again_in_the_end_survey(bot):
    await paired_program(bot)
    learner = next(iter(LEARNERS))
    ask = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(learner) if "how confident" in m["text"]]
    )
    await bot.fake.click(learner, ids.CONFIDENCE_OPEN, channel=ask[0]["channel"], ts=ask[0]["ts"])
    questions = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    assert "generative AI tools" in texts_of([questions])
    result = await bot.fake.submit_view(
        learner, questions["id"], {(ids.confidence_block(0), ids.A_CONFIDENCE): "2"}
    )
    assert not result.errors
    await bot.fake.wait_for(
        lambda: any("Thanks, noted" in m["text"] for m in bot.fake.dm_messages(learner))
    )

    # Week 12 (the last): the end survey, then the same topics again.
    bot.clock.set(dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC))
    await run_checkins(bot.ctx)
    channel = next(ch for ch, _ in bot.fake.group_dms_of(learner))
    last = [m for m in bot.fake.messages(channel) if "end-of-program survey" in texts_of([m])]
    await bot.fake.click(learner, ids.CHECKIN_SURVEY, channel=channel, ts=last[-1]["ts"])
    survey = (await bot.fake.wait_for(lambda: bot.fake.open_views(learner)))[-1]
    result = await bot.fake.submit_view(
        learner, survey["id"], {ids.A_SV_RECOMMEND: "9", ids.A_SV_ATTAINMENT: "4"}
    )
    assert result.view is not None and "And now" in texts_of([result.view])
    result = await bot.fake.submit_view(
        learner, result.view["id"], {(ids.confidence_block(0), ids.A_CONFIDENCE): "4"}
    )
    assert not result.errors
    await bot.fake.wait_for(
        lambda: sum("Thanks, noted" in m["text"] for m in bot.fake.dm_messages(learner)) == 2
    )
    async with bot.ctx.db.session() as session:
        rows = (await session.scalars(select(ConfidenceRating))).all()
        assert sorted((r.topic, r.phase, r.rating) for r in rows) == [
            ("generative AI tools", "after", 4),
            ("generative AI tools", "before", 2),
        ]
    # One person is under the privacy minimum: the report shows no gain figure, says why.
    before = len(bot.fake.messages(HR_CHANNEL_ID))
    await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    report = await bot.fake.wait_for(
        lambda: (
            len(bot.fake.messages(HR_CHANNEL_ID)) > before
            and bot.fake.messages(HR_CHANNEL_ID)[before]
        )
    )
    shown = texts_of([report])
    assert "Learning gain" in shown and "Not enough people rated" in shown
    assert "2.0 → 4.0" not in shown


async def test_learning_gain_per_topic_and_side_only_for_groups_large_enough(db):
    async with db.session() as session:
        program = Program(
            name="Gains",
            start_date=dt.date(2026, 1, 12),
            length_weeks=12,
            cadence_weeks=1,
            checkin_weekday="tue",
            checkin_time=dt.time(10),
        )
        session.add(program)
        await session.flush()
        people = []
        for i in range(7):
            person = Participant(
                slack_user_id=f"U{i}",
                program_id=program.id,
                role="learn" if i < 5 else "share",
                experience_band="21+",
            )
            session.add(person)
            people.append(person)
        await session.flush()
        session.add_all(enrolments(people))
        for i, person in enumerate(people):
            topics = {"AI": 2} if i < 5 else {"Strategy": 3}
            await save_ratings(session, person, program.id, "before", topics)
            await save_ratings(
                session, person, program.id, "after", {t: r + 2 for t, r in topics.items()}
            )
        gains = await learning_gains(session, program.id, min_group=5)
    assert [(g.group, g.people, g.before, g.after) for g in gains.by_topic] == [("AI", 5, 2.0, 4.0)]
    assert [(g.group, g.people) for g in gains.by_side] == [("learn", 5)]
    assert gains.suppressed == 2  # "Strategy" and the sharers: 2 people each
    assert gains.answered_both == 7


async def open_spring_and_an_engineering_program(bot) -> None:
    """Two programs open at once: one for everyone, one only for Engineering."""
    for name, departments in (("Spring 2027", ""), ("Engineering cohort", "Engineering")):
        view = await open_modal(bot, HR_ADMIN_ID, "admin program new")
        await bot.fake.submit_view(
            HR_ADMIN_ID,
            view["id"],
            {**PROGRAM_VALUES, ids.A_PROGRAM_NAME: name, ids.A_PROGRAM_DEPARTMENTS: departments},
        )


async def test_joining_with_several_programs_open_asks_which_and_checks_eligibility(bot):
    await open_spring_and_an_engineering_program(bot)
    add_person(bot, "U0ANA0001", "Ana Silva")
    signup = await open_modal(bot, "U0ANA0001", "join")
    async with bot.ctx.db.session() as session:
        eng = await session.scalar(select(Program).where(Program.name == "Engineering cohort"))
    values = {**_basic_answers(), ids.A_JOIN_PROGRAM: str(eng.id)}
    result = await bot.fake.submit_view("U0ANA0001", signup["id"], values)
    assert "Engineering cohort is for people in Engineering" in str(result.errors)
    result = await bot.fake.submit_view(
        "U0ANA0001", signup["id"], {**values, ids.A_DEPARTMENT: "Engineering"}
    )
    assert not result.errors
    async with bot.ctx.db.session() as session:
        ana = await session.scalar(
            select(Participant).where(Participant.slack_user_id == "U0ANA0001")
        )
        assert ana.program_id == eng.id
    await bot.fake.wait_for(
        lambda: any(
            "You're in *Engineering cohort*" in m["text"] for m in bot.fake.dm_messages("U0ANA0001")
        )
    )


async def test_a_newcomer_known_to_hr_is_offered_only_the_programs_open_to_their_department(bot):
    """With org data HR's department is known before sign-up: an Engineering-only program is
    not offered to someone in Sales, so with one program left the modal asks nothing."""
    await open_spring_and_an_engineering_program(bot)
    async with bot.ctx.db.session() as session:
        session.add(OrgPerson(slack_user_id="U0SAM0001", department="Sales"))
        session.add(OrgPerson(slack_user_id="U0EVA0001", department="Engineering"))
    add_person(bot, "U0SAM0001", "Sam Sales")
    add_person(bot, "U0EVA0001", "Eva Engineer")

    sales = await open_modal(bot, "U0SAM0001", "join")
    assert ids.B_JOIN_PROGRAM not in [block.get("block_id") for block in sales["blocks"]]
    assert "Spring 2027" in str(sales["blocks"]) and "Engineering cohort" not in str(sales)
    engineering = await open_modal(bot, "U0EVA0001", "join")
    choice = next(b for b in engineering["blocks"] if b.get("block_id") == ids.B_JOIN_PROGRAM)
    assert "Engineering cohort" in str(choice) and "Spring 2027" in str(choice)


def _basic_answers() -> dict:
    from tests.flows import DEFAULT_ANSWERS

    return dict(DEFAULT_ANSWERS)
