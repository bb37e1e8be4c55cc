"""HR reports against a hand-countable program, on SQLite and PostgreSQL.

The fixture: 12 people (1 paused, 1 left, 1 erased), 5 pairs (4 active, 1 ended), weekly
check-ins in weeks 2-5 plus a kickoff, two survey rounds and a second program whose data must
never leak in. Every expected number below is counted by hand from the tables in this file.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from bot.models import (
    Checkin,
    CheckinStatus,
    Goal,
    GoalStatus,
    Meeting,
    MeetingChange,
    MeetingStatus,
    OrgPerson,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    Response,
    SurveyResponse,
)
from bot.prompts.library import load_prompts
from bot.reports import program_report, report_blocks, report_text, weekly_csv
from bot.reports.chart import weekly_chart_png
from bot.reports.export import HEADER
from bot.reports.metrics import (
    Activity,
    AtRiskPair,
    DepartmentStats,
    GoalStats,
    Headcount,
    PromptScore,
    Quote,
    Report,
    SurveyStats,
    TopicCount,
    WeekStats,
    suppress_small_groups,
)
from bot.services.summaries import summarize_checkins
from mentorbot_sandbox.blockkit import block_text_length, check_message_blocks
from tests.seed import enrolments

START = dt.date(2026, 1, 5)  # a Monday: week N starts START + 7*(N-1)
NOW = dt.datetime(2026, 2, 4, 12, 0, tzinfo=dt.UTC)  # Wednesday of week 5
PROMPTS = load_prompts()
GOOD, BAD, FEW = PROMPTS[0].id, PROMPTS[1].id, PROMPTS[2].id
WEEK_PROMPT = {1: GOOD, 2: GOOD, 3: BAD, 4: FEW, 5: GOOD}

# key, role, department, status, share topics, learn topics
PEOPLE = [
    ("ana", "share", "Engineering", "active", ["AI", "TikTok"], []),
    ("ben", "learn", "Engineering", "active", [], ["AI", "TikTok"]),
    ("cai", "share", "Engineering", "active", ["AI"], []),
    ("dee", "learn", "Marketing", "active", [], ["AI"]),
    ("eli", "share", "Engineering", "active", ["AI", "Figma"], []),
    ("fay", "learn", "Marketing", "active", [], ["Figma", "AI"]),
    ("gus", "share", "Engineering", "active", ["TikTok"], []),
    ("hal", "learn", "Marketing", "active", [], ["Podcasts"]),
    ("ivy", "share", "Engineering", "active", ["Figma"], ["Strategy"]),
    ("jo", "learn", "Sales", "paused", [], ["AI"]),
    ("kim", "share", "Sales", "left", ["AI"], ["Budgeting"]),
    ("gone", "learn", None, "deleted", [], []),
]
# pair number: sharer, learner, status
PAIRS = {
    1: ("ana", "ben", "active"),
    2: ("cai", "dee", "active"),
    3: ("eli", "fay", "active"),
    4: ("gus", "hal", "active"),
    5: ("kim", "gone", "ended"),
}
POSTED = {1: [2, 3, 4, 5], 2: [2, 3, 4, 5], 3: [2, 3, 4, 5], 4: [2, 3, 4, 5], 5: [2, 3]}
UNPOSTED = {5: [4]}  # claimed, never confirmed: invisible to every number


def answer(who, attendance, useful=None, candour=None, feedback=True, **extra):
    return dict(
        who=who,
        attendance=attendance,
        usefulness=useful,
        candour=candour,
        feedback=feedback,
        **extra,
    )


# (pair, week): answers. fb = feedback submitted; ratings are usefulness, candour.
ANSWERS = {
    (1, 2): [
        answer("ana", "met", 5, 4, learned_text="QUOTE-OK-ANA", quote_ok=True, prompt_rating=1),
        answer("ben", "met", 4, 4, learned_text="SECRET-BEN", prompt_rating=1),
    ],
    (2, 2): [
        answer("cai", "met", 4, 3, blockers_text="SECRET-BLOCKER-CAI", quote_ok=True),
        answer("dee", "met", 3, 3, prompt_rating=1),
    ],
    (3, 2): [answer("eli", "scheduled", feedback=False)],
    (4, 2): [answer("gus", "scheduled", feedback=False)],
    (5, 2): [
        answer("kim", "met", 5, 5),
        answer("gone", "met", 3, 2, learned_text="SECRET-ERASED", quote_ok=True),
    ],
    (1, 3): [
        answer("ana", "met", 4, 5, prompt_rating=-1),
        answer("ben", "met", 4, 5, prompt_rating=-1),
    ],
    (2, 3): [answer("cai", "partner_cancelled"), answer("dee", "cancelled", feedback=False)],
    (3, 3): [
        answer("eli", "met", 3, 4, prompt_rating=1),
        answer(
            "fay",
            "met",
            5,
            4,
            learned_text="QUOTE-OK-FAY thanks to <@UHAL>",
            quote_ok=True,
            prompt_rating=-1,
        ),
    ],
    (1, 4): [answer("ana", "met", 5, 5, prompt_rating=-1)],
    (2, 4): [answer("cai", "partner_cancelled", feedback=False)],
    (3, 4): [answer("eli", "skipped"), answer("fay", "skipped", feedback=False)],
    (1, 5): [answer("ana", "met", 4, 4), answer("ben", "met", 2, 3, prompt_rating=-1)],
}
# A kickoff is not a weekly check-in: none of this may show up in the weekly numbers or prompts.
KICKOFF = [answer("ana", "met", 1, 1, prompt_rating=-1), answer("ben", "cancelled", 1, 1)]
# key, kind, recommend, goal attainment, what_changed, quote_ok
SURVEYS = [
    ("ana", "mid", 10, 4, None, False),
    ("ben", "mid", 9, 4, "QUOTE-OK-SURVEY", True),
    ("cai", "mid", 8, 3, "SECRET-SURVEY", False),
    ("dee", "mid", 6, 2, None, False),
    ("eli", "mid", 3, 5, None, False),
    ("fay", "end", 10, 5, None, False),
    ("gone", "end", 9, 4, "SECRET-ERASED-SURVEY", True),
]
# key, category, progress, status
GOALS = [
    ("ana", "tech_upskilling", 50, "open"),
    ("ben", "leadership_development", 100, "achieved"),
    ("cai", "tech_upskilling", 30, "open"),
    ("dee", "inclusion", 0, "open"),
]
SECRETS = [
    "SECRET-BEN",  # quote_ok false
    "SECRET-BLOCKER-CAI",  # blockers are never quoted, even with quote_ok
    "SECRET-ERASED",  # author erased (also covers SECRET-ERASED-SURVEY)
    "SECRET-SURVEY",  # quote_ok false
    "OTHER-PROGRAM",  # another program's quotable text
    "UHAL",  # a Slack mention inside a quotable answer
]


def sent_at(week: int) -> dt.datetime:
    """Check-ins go out on the Tuesday of their week at 10:00 UTC."""
    return dt.datetime.combine(
        START + dt.timedelta(days=7 * (week - 1) + 1), dt.time(10), tzinfo=dt.UTC
    )


def person(key, role, department, status, share, learn, program_id) -> Participant:
    return Participant(
        slack_user_id=f"erased:{key}" if status == "deleted" else f"U{key.upper()}",
        program_id=program_id,
        display_name=None if status == "deleted" else key.capitalize(),
        role=role,
        experience_band="0-2" if role == "share" else "11-20",
        department=department,
        share_topics=share,
        learn_topics=learn,
        status=ParticipantStatus(status),
        consent_quote=True,
    )


def checkin(pair: Pair, week: int, *, kind: str = "checkin", posted: bool = True) -> Checkin:
    return Checkin(
        program_id=pair.program_id,
        pair_id=pair.id,
        period_key="kickoff" if kind == "kickoff" else f"w{week:02d}",
        week=week,
        kind=kind,
        prompt_id=WEEK_PROMPT[week],
        message_ts=f"{week}.{pair.id}" if posted else None,
        status=CheckinStatus.POSTED if posted else CheckinStatus.CLAIMED,
        due_at=sent_at(week),
        sent_at=sent_at(week) if posted else None,
    )


def response(check: Checkin, people: dict[str, Participant], spec: dict) -> Response:
    spec = dict(spec)
    who, feedback = people[spec.pop("who")], spec.pop("feedback")
    return Response(
        checkin_id=check.id,
        participant_id=who.id,
        feedback_submitted_at=check.sent_at + dt.timedelta(days=1) if feedback else None,
        **spec,
    )


@pytest.fixture
async def program_id(db) -> int:
    async with db.session() as s:
        program = Program(name="Spring cohort", start_date=START, length_weeks=12)
        other = Program(name="Other cohort", start_date=START, length_weeks=12)
        s.add_all([program, other])
        await s.flush()
        people = {spec[0]: person(*spec, program.id) for spec in PEOPLE}
        outsiders = [
            person(k, r, "Engineering", "active", [], [], other.id)
            for k, r in (("zed", "share"), ("yan", "learn"))
        ]
        s.add_all([*people.values(), *outsiders])
        await s.flush()
        s.add_all(enrolments([*people.values(), *outsiders]))
        created = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        pairs = {
            n: Pair(
                program_id=program.id,
                sharer_id=people[a].id,
                learner_id=people[b].id,
                status=PairStatus(status),
                created_at=created,
            )
            for n, (a, b, status) in PAIRS.items()
        }
        other_pair = Pair(
            program_id=other.id,
            sharer_id=outsiders[0].id,
            learner_id=outsiders[1].id,
            created_at=created,
        )
        s.add_all([*pairs.values(), other_pair])
        await s.flush()
        assert [p.id for p in pairs.values()] == [1, 2, 3, 4, 5]

        checkins = {(n, w): checkin(pairs[n], w) for n, weeks in POSTED.items() for w in weeks}
        kickoff = checkin(pairs[1], 1, kind="kickoff")
        outsider_check = checkin(other_pair, 2)
        s.add_all([*checkins.values(), kickoff, outsider_check])
        s.add_all(checkin(pairs[n], w, posted=False) for n, ws in UNPOSTED.items() for w in ws)
        await s.flush()
        s.add_all(
            response(checkins[key], people, spec)
            for key, specs in ANSWERS.items()
            for spec in specs
        )
        s.add_all(response(kickoff, people, spec) for spec in KICKOFF)
        s.add_all(
            response(outsider_check, {"zed": outsiders[0], "yan": outsiders[1]}, spec)
            for spec in (
                answer(
                    "zed",
                    "met",
                    1,
                    1,
                    learned_text="OTHER-PROGRAM quote",
                    quote_ok=True,
                    prompt_rating=-1,
                ),
                answer("yan", "met", 1, 1, prompt_rating=-1),
            )
        )
        s.add_all(
            SurveyResponse(
                program_id=program.id,
                participant_id=people[key].id,
                kind=kind,
                recommend=score,
                goal_attainment=att,
                what_changed=said,
                quote_ok=ok,
                created_at=dt.datetime(2026, 2, 3, tzinfo=dt.UTC),
            )
            for key, kind, score, att, said, ok in SURVEYS
        )
        s.add(
            SurveyResponse(
                program_id=other.id,
                participant_id=outsiders[0].id,
                kind="mid",
                recommend=0,
                what_changed="OTHER-PROGRAM survey",
                quote_ok=True,
            )
        )
        s.add_all(
            Goal(
                participant_id=people[key].id,
                category=cat,
                description="private goal text",
                progress=progress,
                status=GoalStatus(status),
            )
            for key, cat, progress, status in GOALS
        )
        s.add(
            Goal(
                participant_id=outsiders[0].id,
                category="tech_upskilling",
                description="x",
                progress=90,
            )
        )
        # The answers were inserted directly: summarize their check-ins as saving them does.
        await summarize_checkins(s, None)
        return program.id


async def report_for(db, program_id: int, **kw) -> Report:
    async with db.session() as s:
        kw.setdefault("prompts", PROMPTS)
        return await program_report(s, program_id, now=NOW, **kw)


async def test_headline_numbers(db, program_id):
    r = await report_for(db, program_id)
    assert (r.program_name, r.current_week, r.length_weeks) == ("Spring cohort", 5, 12)
    # 12 rows; active = ana..ivy; matched = the 8 people of pairs 1-4; waiting = ivy.
    people = r.people
    assert (people.enrolled, people.active, people.paused, people.left, people.erased) == (
        12,
        9,
        1,
        1,
        1,
    )
    assert (people.matched, people.waiting) == (8, 1)
    assert (r.pairs_active, r.pairs_ended) == (4, 1)
    # Active pairs that met in the last 4 program weeks (2-5): 1, 2, 3 (pair 4 only ever
    # "scheduled"); pair 2 last met in week 2, which is still inside the window.
    assert r.met_recently == pytest.approx(3 / 4)
    # Two weeks on (week 7), pairs 2 and 3 (last met in weeks 2 and 3) no longer count.
    async with db.session() as s:
        later = await program_report(s, program_id, now=NOW + dt.timedelta(weeks=2))
    assert later.met_recently == pytest.approx(1 / 4)
    # Meetings: pair 1 met weeks 2-5, pair 2 week 2, pair 3 week 3, pair 4 never.
    assert r.meetings_per_pair == pytest.approx((4 + 1 + 1 + 0) / 4)


async def test_weekly_numbers(db, program_id):
    r = await report_for(db, program_id)
    # week: posted check-ins, pairs that met, answers with feedback, usefulness, candour.
    # Only week 2 has min_group (5) ratings; weeks 3-5 (4, 2 and 2 ratings, 8 together) are
    # hidden, and together they are not so few that the overall average would give them away.
    expected = {
        2: (5, 3, 6, (5 + 4 + 4 + 3 + 5 + 3) / 6, (4 + 4 + 3 + 3 + 5 + 2) / 6),
        3: (5, 2, 5, None, None),
        4: (4, 1, 2, None, None),
        5: (4, 1, 2, None, None),
    }
    got = {w.week: (w.checkins, w.met, w.answers, w.avg_usefulness, w.avg_candour) for w in r.trend}
    assert got == expected  # every average here is exact in binary floating point
    assert r.trend[0].starts_on == dt.date(2026, 1, 12)
    assert r.latest is not None and r.latest.week == 5
    assert r.latest.meeting_rate == pytest.approx(1 / 4)
    assert r.latest.response_rate == pytest.approx(2 / 8)
    # Overall: 18 posted check-ins, 7 met, 15 answers of 36 expected, 13 ratings of each kind.
    o = r.overall
    assert (o.checkins, o.met, o.answers) == (18, 7, 15)
    assert o.response_rate == pytest.approx(15 / 36)
    assert o.avg_usefulness == pytest.approx(51 / 13)
    assert o.avg_candour == pytest.approx(51 / 13)
    # The trend can be limited to the last N program weeks; totals stay program-wide.
    short = await report_for(db, program_id, weeks=2)
    assert [w.week for w in short.trend] == [4, 5]
    assert short.overall == o
    # With min_group 3, week 3 (4 ratings) shows; weeks 4 and 5 (2 each, 4 together) stay
    # hidden. In the last-two-weeks trend weeks 2 and 3 are out of sight too.
    small = await report_for(db, program_id, min_group=3)
    assert [w.avg_usefulness is None for w in small.trend] == [False, False, True, True]


async def test_pair_health_and_suggestions(db, program_id):
    r = await report_for(db, program_id)
    # Week-5 check-ins nobody answered are less than a week old: pending, not misses.
    health = {p.pair_id: (p.health, p.meetings, p.last_met_on) for p in r.pairs}
    assert health == {
        1: ("on_track", 4, dt.date(2026, 2, 2)),  # met every week, last in week 5
        2: ("at_risk", 1, dt.date(2026, 1, 12)),  # met, cancelled, cancelled
        3: ("needs_checkin", 1, dt.date(2026, 1, 19)),  # scheduled, met, skipped
        4: ("at_risk", 0, None),  # scheduled, silent, silent
    }
    assert r.health_counts == {"on_track": 1, "needs_checkin": 1, "at_risk": 2, "too_early": 0}
    assert r.at_risk == (
        # Dee (the learner, the senior) cancelled week 3; Cai reported her cancelling week 4.
        AtRiskPair(2, "Cai", "Dee", dt.date(2026, 1, 12), "senior_cancelled", 2),
        AtRiskPair(4, "Gus", "Hal", None, "nudge_both", 2),
    )


async def test_prompt_texts_come_from_the_library_the_bot_runs_with(db, program_id):
    """HR's own prompts (PROMPTS_DIR) name the best and worst prompts too: the report takes the
    library it is given, never a copy cached from the built-in folder."""
    hr_version = dataclasses.replace(PROMPTS[1], text="HR's own wording of this prompt")
    r = await report_for(db, program_id, prompts=[hr_version], min_group=3)  # 4 thumbs each
    assert r.worst_prompts[0].excerpt == "HR's own wording of this prompt"
    assert r.best_prompts[0].excerpt is None  # not in that library: shown without text


async def test_goals_topics_surveys_prompts(db, program_id):
    r = await report_for(db, program_id)
    # Each category has goals of fewer than min_group (5) people: all hidden; with 2, shown.
    assert [(g.category, g.people, g.hidden) for g in r.goals] == [
        ("inclusion", 1, True),
        ("leadership_development", 1, True),
        ("tech_upskilling", 2, True),
    ]
    assert all(g.goals is None and g.avg_progress is None for g in r.goals)
    # Topics need min_group people too (a typed topic can point at its author): with 5,
    # none; with 3, only AI (4 people) of the shared and of the wanted ones.
    assert (r.top_shared, r.top_wanted) == ((), ())
    r3 = await report_for(db, program_id, min_group=3)
    assert r3.top_shared == r3.top_wanted == (TopicCount("AI", 4),)
    mid, end = r.surveys
    # Mid: 10, 9, 8, 6, 3 -> 2 promoters, 2 detractors of 5: NPS 0; attainment 4,4,3,2,5.
    assert (mid.kind, mid.answers, mid.nps) == ("mid", 5, 0)
    assert mid.avg_recommend == pytest.approx(7.2)
    assert mid.avg_goal_attainment == pytest.approx(3.6)
    # End: 2 answers, under min_group 5: counted but no results.
    assert (end.kind, end.answers, end.avg_recommend, end.nps, end.avg_goal_attainment) == (
        "end",
        2,
        None,
        None,
        None,
    )
    assert end.hidden
    # GOOD: +1 +1 +1 (week 2), -1 (week 5); BAD: -1 -1 +1 -1 (week 3); FEW has 1 rating.
    # The kickoff's and the other program's thumbs-down on GOOD do not count. Four thumbs
    # each: under min_group 5 no prompt is ranked; with 3 both are.
    assert r.best_prompts == r.worst_prompts == ()
    assert [(p.prompt_id, p.up, p.down) for p in r3.best_prompts] == [(GOOD, 3, 1)]
    assert [(p.prompt_id, p.up, p.down) for p in r3.worst_prompts] == [(BAD, 1, 3)]
    assert r3.worst_prompts[0].excerpt == PROMPTS[1].text


async def test_quotes_only_with_consent(db, program_id):
    r = await report_for(db, program_id)
    assert r.quotes == (
        Quote("QUOTE-OK-SURVEY", "mid", dt.date(2026, 2, 3)),
        Quote("QUOTE-OK-FAY thanks to someone", "checkin", dt.date(2026, 1, 21)),
        Quote("QUOTE-OK-ANA", "checkin", dt.date(2026, 1, 14)),
    )


async def test_departments_suppressed_under_min_group(db, program_id):
    r = await report_for(db, program_id)
    # Engineering: ana ben cai eli gus ivy; 4 answered a check-in; their pairs' check-ins:
    # ana 4/4, ben 4/4, cai 4/1, eli 4/1, gus 4/0 met -> 10 of 20.
    assert r.departments == (
        DepartmentStats("Engineering", 6, 4 / 6, 10 / 20),
        DepartmentStats("Marketing", None, None, None, "small"),
        DepartmentStats("Sales", None, None, None, "small"),
        DepartmentStats(None, None, None, None, "small"),
    )
    low = await report_for(db, program_id, min_group=3)
    # Marketing: dee, fay answered, hal did not; dee 4/1, fay 4/1, hal 4/0 -> 2 of 12.
    assert low.departments[:2] == (
        DepartmentStats("Engineering", 6, 4 / 6, 10 / 20),
        DepartmentStats("Marketing", 3, 2 / 3, 2 / 12),
    )
    assert all(d.people is None for d in low.departments[2:])


async def test_departments_come_from_the_org_import_when_there_is_one(db, program_id):
    """HR's import puts everyone from ana to ivy in Product; jo's row is no longer in it."""
    async with db.session() as s:
        for key, *_ in PEOPLE[:9]:
            s.add(OrgPerson(slack_user_id=f"U{key.upper()}", department="Product"))
        s.add(OrgPerson(slack_user_id="UJO", department="Legal", in_org_data=False))
    r = await report_for(db, program_id, min_group=3)  # Sales (2) and unknown (1) stay hidden
    # Engineering's 4 of 6 and Marketing's 2 of 3 answered; 10 of 20 and 2 of 12 met.
    assert r.departments[0] == DepartmentStats("Product", 9, 6 / 9, 12 / 32)
    assert {d.department for d in r.departments[1:]} <= {"Sales", None}
    assert all(d.people is None for d in r.departments[1:])


def test_complement_hidden_when_small_groups_add_up_to_too_few():
    groups = [
        DepartmentStats("A", 10, 0.5, 0.5),
        DepartmentStats("B", 6, 0.9, 0.1),
        DepartmentStats("C", 2, 1.0, 1.0),
    ]
    assert suppress_small_groups(groups, 5) == (
        DepartmentStats("A", 10, 0.5, 0.5),
        DepartmentStats("B", None, None, None, "complement"),
        DepartmentStats("C", None, None, None, "small"),
    )
    groups.append(DepartmentStats("D", 3, 0.0, 0.0))  # C + D = 5: nothing more to hide
    assert [g.hidden for g in suppress_small_groups(groups, 5)] == [None, None, "small", "small"]


async def test_report_twice_in_one_transaction(db, program_id):
    """The per-check-in scratch table is dropped after each report, so reports can repeat."""
    async with db.session() as s:
        first = await program_report(s, program_id, now=NOW)
        again = await program_report(s, program_id, now=NOW, min_group=3)
        exported = await weekly_csv(s, program_id, now=NOW)
    assert first.overall == again.overall and first.pairs == again.pairs
    assert exported.count("\n") == 19


async def test_min_group_floor_and_bad_arguments(db, program_id):
    async with db.session() as s:
        with pytest.raises(ValueError, match="min_group"):
            await program_report(s, program_id, now=NOW, min_group=2)
        with pytest.raises(ValueError, match="min_group"):
            await weekly_csv(s, program_id, min_group=2, now=NOW)
        with pytest.raises(ValueError, match="weeks"):
            await program_report(s, program_id, now=NOW, weeks=0)
        with pytest.raises(ValueError, match="aware"):
            await program_report(s, program_id, now=NOW.replace(tzinfo=None))
        with pytest.raises(LookupError):
            await program_report(s, 999, now=NOW)


async def test_private_text_never_leaves_the_query_layer(db, program_id):
    r = await report_for(db, program_id)
    async with db.session() as s:
        exported = await weekly_csv(s, program_id, now=NOW)
    outputs = {
        "report": json.dumps(dataclasses.asdict(r), default=str),
        "blocks": json.dumps(report_blocks(r)),
        "text": report_text(r),
        "csv": exported,
    }
    for where, output in outputs.items():
        for secret in SECRETS:
            assert secret not in output, (secret, where)
        for key, *_ in PEOPLE:
            assert f"U{key.upper()}" not in output, (key, where)  # no Slack ids
        assert "private goal text" not in output
    assert "QUOTE-OK-ANA" in outputs["blocks"] and "QUOTE-OK-ANA" in outputs["text"]
    # The CSV has no free text and no names at all.
    for key, *_ in PEOPLE:
        assert key.capitalize() not in exported
    assert "QUOTE" not in exported


async def test_blocks_and_text(db, program_id):
    r = await report_for(db, program_id)
    blocks = report_blocks(r)
    check_message_blocks(blocks)
    assert len(blocks) <= 50 and block_text_length(blocks) <= 10_000
    body = json.dumps(blocks, ensure_ascii=False)
    for fragment in (
        "Spring cohort",
        "75% of active pairs",
        ":red_circle: At risk",
        "Pair 2",
        "HR check-in with the senior",
        "fewer than 5, hidden",
        "NPS +0",
    ):
        assert fragment in body, fragment
    plain = report_text(r)
    assert "Week 5 of 12" in plain and "HR check-in with the senior" in plain
    assert "Marketing: fewer than 5, hidden" in plain


def test_blocks_stay_within_slack_limits_at_full_size():
    """Every list at its longest, every name and quote at its longest, still one valid message."""
    long = "W" * 200
    week = WeekStats(50, 40, 90, 4.5, 4.5, week=1, starts_on=START)
    report = Report(
        program_id=1,
        program_name="P" * 80,
        generated_at=NOW,
        current_week=60,
        length_weeks=52,
        min_group=5,
        people=Headcount(10_000, 9000, 500, 400, 100, 8000, 1000),
        pairs_active=4000,
        pairs_ended=100,
        met_recently=0.9,
        meetings_per_pair=7.5,
        overall=Activity(50_000, 40_000, 90_000, 4.1, 3.9),
        latest=week,
        trend=tuple(dataclasses.replace(week, week=n) for n in range(1, 53)),
        pairs=(),
        at_risk=tuple(
            AtRiskPair(n, long + "<!channel>", long, START, "both_cancelled", 4) for n in range(300)
        ),
        goals=tuple(GoalStats(long, 500, 55.5, 100, 90) for _ in range(5)),
        top_shared=tuple(TopicCount("T" * 60, 999) for _ in range(5)),
        top_wanted=tuple(TopicCount("T" * 60, 999) for _ in range(5)),
        surveys=(SurveyStats("mid", 900, 8.1, 35, 4.0), SurveyStats("end", 3, None, None, None)),
        best_prompts=tuple(PromptScore(p.id, p.text, 90, 1) for p in PROMPTS[:3]),
        worst_prompts=tuple(PromptScore("x" * 80, None, 1, 90) for _ in range(3)),
        quotes=tuple(Quote("Q" * 280 + "<@U1>&", "checkin", START) for _ in range(5)),
        departments=tuple(DepartmentStats("D" * 80, 500, 0.5, 0.5) for _ in range(200)),
    )
    blocks = report_blocks(report)
    check_message_blocks(blocks)
    assert len(blocks) <= 50 and block_text_length(blocks) <= 10_000
    body = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in body and "<@U1>" not in body  # typed text cannot ping anyone
    assert "…and further at-risk pairs (294)" in body
    assert report_text(report)


async def test_weekly_chart_png(db, program_id):
    png = weekly_chart_png(await report_for(db, program_id))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000


async def test_chart_of_a_program_with_no_checkins(db):
    async with db.session() as s:
        program = Program(name="Empty", start_date=START, length_weeks=12)
        s.add(program)
        await s.flush()
        report = await program_report(s, program.id, now=NOW)
    assert report.latest is None and report.overall.response_rate is None
    assert weekly_chart_png(report).startswith(b"\x89PNG")
    check_message_blocks(report_blocks(report))


async def test_weekly_csv(db, program_id):
    async with db.session() as s:
        exported = await weekly_csv(s, program_id, now=NOW)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert tuple(rows[0]) == HEADER
    assert len(rows) == 18  # posted weekly check-ins only: 4 pairs x 4 weeks + pair 5 x 2
    by_key = {(int(r["pair_id"]), int(r["week"])): r for r in rows}
    first = by_key[1, 2]
    assert (first["period"], first["sent_on"], first["outcome"], first["met"]) == (
        "w02",
        "2026-01-13",
        "met",
        "true",
    )
    assert first["answered"] == "2 of 2"
    # Meeting facts only: no rating of two people (a 5.00 would reveal both) in any row.
    assert not {"avg_usefulness", "avg_candour"} & set(first)
    assert first["health_so_far"] == "too_early"  # one outcome after two weeks
    assert (first["pair_status"], by_key[5, 3]["pair_status"]) == ("active", "ended")
    assert by_key[1, 3]["health_so_far"] == "on_track"
    assert [by_key[4, w]["health_so_far"] for w in (2, 3, 4, 5)] == [
        "too_early",
        "needs_checkin",
        "at_risk",
        "at_risk",
    ]
    assert (by_key[2, 5]["outcome"], by_key[2, 5]["met"]) == ("pending", "false")
    assert by_key[2, 4]["outcome"] == "cancelled"
    assert by_key[5, 3]["outcome"] == "no_answer"


async def test_weeks_cancelled_ahead_are_their_own_figure_never_a_miss(db, program_id):
    """Pairs 1-4 cancel week 6 and pair 5 (since ended) week 7 ("We can't meet this week"):
    no check-in, so the meeting rate and every miss stay as they were."""
    before = await report_for(db, program_id)
    async with db.session() as s:
        pair_ids = sorted((await s.scalars(select(Pair.id).order_by(Pair.id))).all())
        number = dict(enumerate(pair_ids[:5], start=1))
        for n, week in ((1, 6), (2, 6), (3, 6), (4, 6), (5, 7)):
            meeting = Meeting(
                pair_id=number[n],
                status=MeetingStatus.CONFIRMED,
                weekday="thu",
                start_time=dt.time(10),
                minutes=30,
                tz="Europe/London",
                fit="preferred",
                version=3,
                sequence=1,
            )
            s.add(meeting)
            await s.flush()
            s.add(MeetingChange(meeting_id=meeting.id, version=1, kind="confirm"))
            s.add(MeetingChange(meeting_id=meeting.id, version=2, kind="cancel", week=week))
    r = await report_for(db, program_id)
    assert (r.overall.checkins, r.overall.met, r.overall.cancelled) == (18, 7, 5)
    assert r.overall.meeting_rate == before.overall.meeting_rate
    assert r.latest == before.latest  # the latest week with a check-in
    assert r.pairs == before.pairs and r.at_risk == before.at_risk  # not misses
    # People due to meet per week: 10, 10, 8, 8, 8 (week 6), 2 (week 7). Week 7 is too few, and
    # the smallest shown week (4) is hidden with it, so that no difference gives week 7 away.
    assert {w.week: w.cancelled for w in r.trend} == {2: 0, 3: 0, 4: None, 5: 0, 6: 4, 7: None}
    assert {w.week: w.checkins for w in r.trend if w.week > 5} == {6: 0, 7: 0}
    text = report_text(r)
    assert "Weeks cancelled ahead: 5" in text
    assert "4 cancelled" in text and "hidden cancelled" in text
    async with db.session() as s:
        exported = await weekly_csv(s, program_id, now=NOW)
    rows = list(csv.DictReader(io.StringIO(exported)))
    cancelled = [
        (int(row["pair_id"]), row["week"], row["period"], row["met"], row["sent_on"])
        for row in rows
        if row["outcome"] == "cancelled_ahead"
    ]
    assert cancelled == [
        *((number[n], "6", "w06", "false", "") for n in (1, 2, 3, 4)),
        (number[5], "7", "w07", "false", ""),
    ]
    assert len(rows) == 18 + 5
    by_key = {(int(row["pair_id"]), int(row["week"])): row for row in rows}
    assert by_key[number[4], 6]["health_so_far"] == "at_risk"  # as after week 5: not a miss
    assert by_key[number[5], 7]["pair_status"] == "ended"
