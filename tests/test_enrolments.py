"""Enrolments on both databases: each program counts its own people, so a closed program's
figures stay as they were when its people join the next round; programs refuse changes that
cannot be, and change nothing (services only, so part of the fast tier)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.forms import GoalInput, ProgramForm, SignupForm
from bot.models import Enrolment, Goal, Pair, Participant, Program, ProgramStatus
from bot.refusals import Refusal
from bot.reports import program_report
from bot.reports.render import report_text
from bot.services import participants as people
from bot.services import programs as cohorts
from bot.services import signups
from bot.services.outcomes import learning_gains, save_ratings
from bot.vocabulary import ExperienceBand, Role, TimeOfDay, Weekday
from tests.conftest import START
from tests.seed import NOW

ADMIN = "U0HRADMIN"
FIRST_DAY = START.date()
LATER = NOW + dt.timedelta(weeks=2)


def program_form(name: str, start: dt.date = FIRST_DAY) -> ProgramForm:
    return ProgramForm(
        name=name,
        start_date=start,
        length_weeks=12,
        cadence_weeks=1,
        checkin_weekday="tue",
        checkin_time=dt.time(10),
        hr_channel_id=None,
    )


def signup_form(role: str) -> SignupForm:
    return SignupForm(
        role=Role(role),
        experience_band=ExperienceBand("0-2" if role == "share" else "21+"),
        department="Finance",
        manager_id=None,
        share_topics=["AI"],
        learn_topics=["Strategy"],
        share_other="",
        learn_other="",
        timezone="Europe/London",
        available_days=[Weekday("tue")],
        time_of_day=TimeOfDay.ANY,
        meeting_minutes=30,
        consent_quote=False,
        all_share_topics=["AI"],
        all_learn_topics=["Strategy"],
    )


async def sign_up(session, user: str, role: str, program: Program | None, now=NOW, form=None):
    saved, errors = await signups.save_signup(
        session,
        user_id=user,
        name=user,
        form=form or signup_form(role),
        chosen_id=program.id if program else None,
        invited_id=None,
        next_round=True,
        now=now,
    )
    assert not errors
    return saved


async def enrolled(session) -> dict[str, int]:
    lines = await cohorts.overview(session, NOW.date())
    return {line.program.name: line.enrolled for line in lines}


async def report_of(session, program: Program):
    report = await program_report(session, program.id, now=LATER, min_group=3)
    return report, await learning_gains(session, program.id, min_group=2)


ROLES = {"U0ANA": "share", "U0BEN": "learn", "U0CAI": "share", "U0DEE": "learn"}


async def test_a_closed_programs_figures_stay_when_its_people_join_the_next_round(db):
    async with db.session() as s:
        spring, _, _ = await cohorts.save_program(
            s, program_form("Spring"), program_id=None, created_by=ADMIN, now=START
        )
        for user, role in ROLES.items():
            await sign_up(s, user, role, None)  # the only open program
        ana, ben, cai, dee = [await people.get_participant(s, u) for u in ROLES]
        for person in (ana, ben, cai, dee):
            await save_ratings(s, person, spring.id, "before", {"Strategy": 2})
            await save_ratings(s, person, spring.id, "after", {"Strategy": 4})
        s.add(Pair(program_id=spring.id, sharer_id=ana.id, learner_id=ben.id, created_at=START))
        people.pause(dee, None, NOW.date())
        await cohorts.close(s, spring, NOW)
    async with db.session() as s:
        before = await report_of(s, spring)
        assert before[0].people.enrolled == 4 and before[0].people.paused == 1
        assert before[0].closed_on == NOW.date()
        shown = report_text(before[0])
        # A closed program has nothing more to come: its report never says "yet".
        assert "Pair health at the close (1 pair that ran until then)" in shown
        assert "No check-ins were posted." in shown
        assert "Nobody shared a quotable answer." in shown and "yet" not in shown
        assert [(g.group, g.people) for g in before[1].by_side] == [("learn", 2), ("share", 2)]
        assert (await enrolled(s))["Spring"] == 4

    # The next round: everyone joins Summer, Ana now as a senior partner; Dee resumes, Cai leaves.
    async with db.session() as s:
        summer, _, joined = await cohorts.save_program(
            s, program_form("Summer", NOW.date()), program_id=None, created_by=ADMIN, now=NOW
        )
        assert joined == 0  # nobody was waiting without a program
        for user, role in ROLES.items():
            saved = await sign_up(s, user, "learn" if user == "U0ANA" else role, summer, LATER)
            assert saved.program is not None and saved.program.name == "Summer"
        people.resume(await people.get_participant(s, "U0DEE"))
        await people.leave(s, await people.get_participant(s, "U0CAI"), LATER)

    async with db.session() as s:
        assert await report_of(s, spring) == before
        assert await enrolled(s) == {"Spring": 4, "Summer": 3}
        summer_report = await program_report(s, summer.id, now=LATER, min_group=3)
        assert (summer_report.people.enrolled, summer_report.people.left) == (4, 1)
        roles = await s.execute(
            select(Program.name, Enrolment.role)
            .join(Program, Program.id == Enrolment.program_id)
            .join(Participant, Participant.id == Enrolment.participant_id)
            .where(Participant.slack_user_id == "U0ANA")
            .order_by(Program.name)
        )
        assert roles.all() == [("Spring", Role.SHARE), ("Summer", Role.LEARN)]


async def test_moving_to_another_running_program_leaves_the_first_one_paired_people_stay(db):
    """A person joins one program at a time: moving on while the first runs counts as having
    left it; someone still in a running pair stays where they are."""
    async with db.session() as s:
        first, _, _ = await cohorts.save_program(
            s, program_form("First"), program_id=None, created_by=ADMIN, now=START
        )
        second, _, _ = await cohorts.save_program(
            s, program_form("Second"), program_id=None, created_by=ADMIN, now=START
        )
        for user, role in ROLES.items():
            await sign_up(s, user, role, first)
        ana, ben = [await people.get_participant(s, u) for u in ("U0ANA", "U0BEN")]
        s.add(Pair(program_id=first.id, sharer_id=ana.id, learner_id=ben.id, created_at=START))
        await s.flush()
        kept = await sign_up(s, "U0ANA", "share", second)
        assert kept.kept_in == "First"
        await sign_up(s, "U0CAI", "share", second)
    async with db.session() as s:
        first_report = await program_report(s, first.id, now=NOW, min_group=3)
        second_report = await program_report(s, second.id, now=NOW, min_group=3)
        assert (first_report.people.enrolled, first_report.people.left) == (4, 1)
        assert (second_report.people.enrolled, second_report.people.active) == (1, 1)
        assert await enrolled(s) == {"First": 3, "Second": 1}


def goal(goal_id: int | None = None, progress: int | None = None, state: str = "open"):
    return GoalInput(0, goal_id, "tech_upskilling", "Use AI weekly", "", None, progress, state)


async def test_who_moves_on_while_a_program_runs_is_read_there_as_they_were(db):
    """Ana, Ben and Cai leave First for Second in a sign-up that also changes their department
    and topics, and Ana's goal is reached in Second: First reads the three as they were when
    they moved (Cai's goal has no history: its progress is the best there is); Dee, still in
    it, as she is. Erasing Ana removes what her enrolments kept."""
    clock = FixedClock(START)
    db.stamp_with(clock)  # goals are dated like the enrolments they are compared with
    async with db.session() as s:
        first, _, _ = await cohorts.save_program(
            s, program_form("First"), program_id=None, created_by=ADMIN, now=START
        )
        second, _, _ = await cohorts.save_program(
            s, program_form("Second"), program_id=None, created_by=ADMIN, now=START
        )
        for user, role in ROLES.items():
            await sign_up(s, user, role, first, now=START)
        ana, ben, cai = [await people.get_participant(s, u) for u in ROLES if u != "U0DEE"]
        [ana_goal] = await people.save_goals(s, ana, [goal()], START)
        await people.save_goals(s, ana, [goal(ana_goal.id, 50)], NOW)
        await people.save_goals(s, ben, [goal()], START)
        s.add(
            Goal(participant_id=cai.id, category="tech_upskilling", description="Old", progress=25)
        )
    clock.set(LATER)
    async with db.session() as s:
        for user in ("U0ANA", "U0BEN", "U0CAI"):
            edited = dataclasses.replace(
                signup_form(ROLES[user]),
                department="Legal",
                all_share_topics=["Negotiation"],
                all_learn_topics=["Sales"],
            )
            await sign_up(s, user, ROLES[user], second, now=LATER, form=edited)
        ana = await people.get_participant(s, "U0ANA")
        reached = LATER + dt.timedelta(days=1)  # in Second, after she left First
        await people.save_goals(s, ana, [goal(ana_goal.id, state="achieved")], reached)

    async with db.session() as s:
        first_report = await program_report(s, first.id, now=LATER, min_group=3)
        second_report = await program_report(s, second.id, now=LATER, min_group=3)
    assert (first_report.people.enrolled, first_report.people.left) == (4, 3)
    assert [(d.department, d.people) for d in first_report.departments] == [("Finance", 4)]
    assert [(t.topic, t.people) for t in first_report.top_shared] == [("AI", 4)]
    assert [(t.topic, t.people) for t in first_report.top_wanted] == [("Strategy", 4)]
    [goals] = first_report.goals
    assert (goals.goals, goals.people, goals.avg_progress, goals.achieved) == (3, 3, 25.0, 0)
    assert [(d.department, d.people) for d in second_report.departments] == [("Legal", 3)]
    assert [(t.topic, t.people) for t in second_report.top_shared] == [("Negotiation", 3)]
    [goals] = second_report.goals
    assert (goals.goals, goals.people, goals.avg_progress, goals.achieved) == (3, 3, 125 / 3, 1)

    async with db.session() as s:
        await people.erase(s, await people.get_participant(s, "U0ANA"), LATER)
    async with db.session() as s:
        kept = await s.execute(
            select(Enrolment.department, Enrolment.share_topics, Enrolment.learn_topics).where(
                Enrolment.participant_id == ana_goal.participant_id
            )
        )
        assert kept.all() == [(None, None, None), (None, None, None)]


async def test_program_changes_that_cannot_be_are_refused_and_change_nothing(db):
    async with db.session() as s:
        spring, _, _ = await cohorts.save_program(
            s, program_form("Spring 2027"), program_id=None, created_by=ADMIN, now=START
        )
        await cohorts.save_program(
            s, program_form("Summer"), program_id=None, created_by=ADMIN, now=START
        )
    cases = [
        ("programs.duplicate_name", dict(form=program_form("spring  2027"), program_id=None)),
        ("programs.duplicate_name", dict(form=program_form("SUMMER"), program_id=spring.id)),
    ]
    for key, kwargs in cases:
        async with db.session() as s:
            with pytest.raises(Refusal) as refused:
                await cohorts.save_program(s, created_by=ADMIN, now=NOW, **kwargs)
            assert str(refused.value) == key
    async with db.session() as s:
        with pytest.raises(Refusal) as refused:
            await cohorts.resolve(s, "Autumn")
        assert str(refused.value) == "programs.unknown"
        assert "*Spring 2027*, *Summer*" in refused.value.message
        await cohorts.close(s, await cohorts.resolve(s, "spring 2027"), NOW)
    async with db.session() as s:
        found = await cohorts.resolve(s, "Spring 2027")  # a closed program stays readable
        for attempt in (
            cohorts.close(s, found, LATER),
            cohorts.save_program(
                s,
                dataclasses.replace(program_form("Spring 2027"), length_weeks=6),
                program_id=found.id,
                created_by=ADMIN,
                now=LATER,
            ),
        ):
            with pytest.raises(Refusal):
                await attempt
    async with db.session() as s:
        rows = (await s.scalars(select(Program).order_by(Program.id))).all()
        assert [(p.name, p.status, p.length_weeks) for p in rows] == [
            ("Spring 2027", ProgramStatus.CLOSED, 12),
            ("Summer", ProgramStatus.OPEN, 12),
        ]
        assert rows[0].closed_at == NOW
