"""HR's program report as plain dataclasses, computed with SQL aggregates.

Every number comes from GROUP BY queries; Python only sees aggregate rows (per week, per pair,
per department, per prompt), never one row per answer, so the report stays fast at 10,000 people
and a million answers. Answers are aggregated per check-in exactly once per report, into a
temporary table (`FACTS`) that the weekly, per-pair and per-prompt breakdowns then read: that
one pass is most of the cost, and repeating it per breakdown tripled it. Two things are finished
in Python over aggregate rows: departments (each pair's totals, and whether each member gave
feedback, added to the members' departments) and topics, which are JSON lists (two small columns
of the program's participants, a few thousand rows), because unnesting JSON is dialect-specific.

Privacy is enforced in this layer, so no renderer or caller can leak by mistake:

* free text reaches the report only from answers whose author ticked ``quote_ok`` and who has not
  erased their data; it is attributed to nobody and Slack mentions in it are blanked;
* ``blockers_text`` is never read;
* departments with fewer than ``min_group`` people carry no numbers at all, and when the hidden
  groups together are still smaller than ``min_group`` the smallest visible one is hidden too, so
  a hidden group cannot be worked out by subtracting the others from the program totals;
* survey averages with fewer than ``min_group`` answers are withheld the same way.

At-risk pairs carry the two display names (and nothing they wrote), so that HR can act on them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import (
    Attendance,
    Checkin,
    Goal,
    GoalStatus,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    Response,
    SurveyResponse,
    UTCDateTime,
)
from bot.prompts.library import load_prompts
from bot.scheduling import AT_RISK_STREAK, MIN_OUTCOMES, pair_health

MIN_GROUP_FLOOR = 3
WEEKLY_KIND = "checkin"  # kickoff rows are not weekly check-ins
# Outcome of a check-in, ranked so that MAX() over its answers picks the winning one:
# met > scheduled > cancelled > skipped > nobody answered.
OUTCOMES = ("no_answer", "skipped", "cancelled", "scheduled", "met")
NO_ANSWER, SKIPPED, CANCELLED, SCHEDULED, MET = range(len(OUTCOMES))
HEALTH_STATES = ("on_track", "needs_checkin", "at_risk", "too_early")
# pair_health only looks at the trailing misses (at_risk from 2) and whether there are 2 outcomes,
# so the last HEALTH_TAIL outcomes decide it exactly as the full history would.
HEALTH_TAIL = max(AT_RISK_STREAK, MIN_OUTCOMES)
ANSWER_WINDOW = dt.timedelta(days=7)  # an unanswered check-in is still open for a week
RECENT_CHECKINS = 4  # the window the at-risk suggestion looks at
MIN_PROMPT_RATINGS = 3
TOP_PROMPTS = 3
TOP_TOPICS = 5
MAX_QUOTES = 5
QUOTE_CHARS = 280
_MENTION = re.compile(r"<[@!#][^>]*>")


@dataclass(frozen=True)
class Headcount:
    """Participants of the program; erased people keep an anonymous row and still count."""

    enrolled: int
    active: int
    paused: int
    left: int
    erased: int
    matched: int  # in an active pair
    waiting: int  # active but in no active pair


@dataclass(frozen=True)
class Activity:
    """Posted weekly check-ins and their answers, over one week or the whole program."""

    checkins: int
    met: int
    answers: int  # answers with feedback submitted
    avg_usefulness: float | None
    avg_candour: float | None

    @property
    def meeting_rate(self) -> float | None:
        return self.met / self.checkins if self.checkins else None

    @property
    def response_rate(self) -> float | None:
        """Two answers are expected per posted check-in."""
        return self.answers / (2 * self.checkins) if self.checkins else None


@dataclass(frozen=True)
class WeekStats(Activity):
    week: int
    starts_on: dt.date


@dataclass(frozen=True)
class PairHealth:
    pair_id: int
    health: str  # one of HEALTH_STATES
    meetings: int
    last_met_on: dt.date | None  # start of the last program week the pair met


@dataclass(frozen=True)
class AtRiskPair:
    """An at-risk pair and what HR could do; names so HR can act, no answers or ratings."""

    pair_id: int
    sharer_name: str | None
    learner_name: str | None
    last_met_on: dt.date | None
    action: str  # key of a suggestion in bot/texts/report.yaml (actions.*)
    count: int  # the cancellations, skips or silent check-ins behind the suggestion


@dataclass(frozen=True)
class GoalStats:
    category: str
    goals: int
    avg_progress: float
    achieved: int


@dataclass(frozen=True)
class TopicCount:
    topic: str
    people: int


@dataclass(frozen=True)
class SurveyStats:
    """One survey round; averages are None (hidden) under min_group answers."""

    kind: str
    answers: int
    avg_recommend: float | None
    nps: int | None
    avg_goal_attainment: float | None

    @property
    def hidden(self) -> bool:
        return self.avg_recommend is None and self.avg_goal_attainment is None


@dataclass(frozen=True)
class PromptScore:
    prompt_id: str
    excerpt: str | None  # None when the prompt is no longer in the library
    up: int
    down: int

    @property
    def net(self) -> int:
        return self.up - self.down


@dataclass(frozen=True)
class Quote:
    """Free text its author allowed HR to quote, with no name attached."""

    text: str
    source: str  # "checkin", "mid" or "end"
    on: dt.date


@dataclass(frozen=True)
class DepartmentStats:
    """One department; when ``hidden`` is set every number is None."""

    department: str | None  # None: not given (or erased)
    people: int | None
    participation: float | None  # share of its people who answered at least one check-in
    meeting_rate: float | None  # share of its people's check-ins where the pair met
    hidden: str | None = None  # "small" (under min_group) or "complement" (see module doc)


@dataclass(frozen=True)
class Report:
    program_id: int
    program_name: str
    generated_at: dt.datetime
    current_week: int | None  # program week of generated_at; None before the start
    length_weeks: int
    min_group: int
    people: Headcount
    pairs_active: int
    pairs_ended: int
    met_at_least_once: float | None  # share of active pairs that met at least once
    meetings_per_pair: float | None  # meetings per active pair
    overall: Activity
    latest: WeekStats | None  # the latest program week with a posted check-in
    trend: tuple[WeekStats, ...]
    pairs: tuple[PairHealth, ...]  # active pairs
    at_risk: tuple[AtRiskPair, ...]
    goals: tuple[GoalStats, ...]
    top_shared: tuple[TopicCount, ...]
    top_wanted: tuple[TopicCount, ...]
    surveys: tuple[SurveyStats, ...]
    best_prompts: tuple[PromptScore, ...]
    worst_prompts: tuple[PromptScore, ...]
    quotes: tuple[Quote, ...]
    departments: tuple[DepartmentStats, ...]

    @property
    def health_counts(self) -> dict[str, int]:
        counts = Counter(p.health for p in self.pairs)
        return {state: counts[state] for state in HEALTH_STATES}


@dataclass(frozen=True)
class _PairCounts:
    """One pair's check-in aggregates (see `_pair_rows`)."""

    checkins: int = 0
    meetings: int = 0
    last_met_week: int | None = None
    tail: tuple[int, ...] = ()  # the last HEALTH_TAIL outcome codes, oldest first
    # Over the last RECENT_CHECKINS outcomes: cancellations by the learner and by the sharer,
    # skipped meetings, check-ins nobody answered.
    recent: tuple[int, int, int, int] = (0, 0, 0, 0)
    answered: tuple[bool, bool] = (False, False)  # the sharer, the learner gave feedback


@dataclass(frozen=True)
class _Member:
    id: int
    program_id: int | None
    status: ParticipantStatus
    name: str | None
    department: str | None


@dataclass(frozen=True)
class _PairRow:
    id: int
    status: PairStatus
    created_at: dt.datetime
    sharer: _Member
    learner: _Member
    counts: _PairCounts


# One row per posted weekly check-in of the program, as `checkin_facts` computes it. Temporary:
# it lives in the report's own transaction only.
FACTS = Table(
    "report_checkin_facts",
    MetaData(),
    Column("checkin_id", Integer),
    Column("pair_id", Integer),
    Column("week", Integer),
    Column("period_key", String(16)),
    Column("sent_at", UTCDateTime()),
    Column("prompt_id", String(80)),
    Column("outcome", Integer),
    Column("answers", Integer),
    Column("useful_sum", Integer),
    Column("useful_n", Integer),
    Column("candour_sum", Integer),
    Column("candour_n", Integer),
    Column("thumbs_up", Integer),
    Column("thumbs_down", Integer),
    Column("sharer_answered", Integer),
    Column("learner_answered", Integer),
    Column("open", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def check_min_group(min_group: int) -> None:
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(f"min_group must be at least {MIN_GROUP_FLOOR}")


def week_start(program: Program, week: int) -> dt.date:
    return program.start_date + dt.timedelta(days=7 * (week - 1))


def weeks_elapsed(program: Program, pair_created: dt.datetime, on: dt.date) -> int:
    """Completed weeks since the pair could first be checked in on, for pair_health."""
    began = max(program.start_date, pair_created.date())
    return max(0, (on - began).days // 7)


def health(tail: Sequence[int], elapsed: int) -> str:
    """pair_health over the last HEALTH_TAIL outcome codes (oldest first)."""
    return pair_health([OUTCOMES[code] for code in tail], weeks_elapsed=elapsed)


def ratio(part: Any, whole: Any) -> float | None:
    """part / whole for SQL sums (None, int or Decimal); None when there is nothing to divide."""
    return float(part or 0) / float(whole) if whole else None


def _outcome_code() -> Any:
    """An answer's attendance as an outcome code (NO_ANSWER when it has none)."""
    said = Response.attendance
    return case(
        (said == Attendance.MET, MET),
        (said == Attendance.SCHEDULED, SCHEDULED),
        (said.in_([Attendance.CANCELLED, Attendance.PARTNER_CANCELLED]), CANCELLED),
        (said == Attendance.SKIPPED, SKIPPED),
        else_=NO_ANSWER,
    )


def checkin_facts(program_id: int, now: dt.datetime) -> Select[Any]:
    """One row per posted weekly check-in: outcome, answers, rating and thumbs sums, and which
    of the two gave feedback.

    A check-in nobody has answered yet that is less than a week old is `open`: not a miss yet.
    The program filter is an EXISTS, not a condition on the joined pair, so that SQLite scans
    check-ins in id order and groups as it goes rather than walking pairs -> check-ins ->
    answers through indexes (three times slower on a large program); PostgreSQL plans both
    forms alike.
    """
    program_pair = aliased(Pair)
    in_program = (
        select(program_pair.id)
        .where(program_pair.id == Checkin.pair_id, program_pair.program_id == program_id)
        .exists()
    )
    outcome = func.max(_outcome_code())

    def gave_feedback(person: Any) -> Any:
        answered = and_(
            Response.participant_id == person, Response.feedback_submitted_at.is_not(None)
        )
        return func.max(case((answered, 1), else_=0))

    opened = and_(
        outcome == NO_ANSWER,
        Checkin.sent_at.is_not(None),
        Checkin.sent_at > now - ANSWER_WINDOW,
    )
    return (
        select(
            Checkin.id.label("checkin_id"),
            Checkin.pair_id,
            Checkin.week,
            Checkin.period_key,
            Checkin.sent_at,
            Checkin.prompt_id,
            outcome.label("outcome"),
            func.count(Response.feedback_submitted_at).label("answers"),
            func.sum(Response.usefulness).label("useful_sum"),
            func.count(Response.usefulness).label("useful_n"),
            func.sum(Response.candour).label("candour_sum"),
            func.count(Response.candour).label("candour_n"),
            func.count(case((Response.prompt_rating > 0, 1))).label("thumbs_up"),
            func.count(case((Response.prompt_rating < 0, 1))).label("thumbs_down"),
            gave_feedback(Pair.sharer_id).label("sharer_answered"),
            gave_feedback(Pair.learner_id).label("learner_answered"),
            case((opened, 1), else_=0).label("open"),
        )
        .join(Pair, Pair.id == Checkin.pair_id)
        .outerjoin(Response, Response.checkin_id == Checkin.id)
        .where(in_program, Checkin.kind == WEEKLY_KIND, Checkin.message_ts.is_not(None))
        .group_by(Checkin.id)
    )


@asynccontextmanager
async def _facts(session: AsyncSession, program_id: int, now: dt.datetime) -> AsyncIterator[Table]:
    """FACTS filled for this program, dropped afterwards (a rollback drops it too)."""
    # checkfirst: a caller that swallowed an error and committed may have left one behind.
    await session.run_sync(lambda s: FACTS.drop(s.connection(), checkfirst=True))
    await session.run_sync(lambda s: FACTS.create(s.connection()))
    await session.execute(insert(FACTS).from_select(FACTS.columns, checkin_facts(program_id, now)))
    yield FACTS
    await session.run_sync(lambda s: FACTS.drop(s.connection()))


async def program_report(
    session: AsyncSession,
    program_id: int,
    *,
    weeks: int | None = None,
    now: dt.datetime,
    min_group: int = 5,
) -> Report:
    """The report HR reads; `weeks` limits the trend to the last N program weeks."""
    check_min_group(min_group)
    if weeks is not None and weeks < 1:
        raise ValueError("weeks must be at least 1")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    program = await session.get(Program, program_id)
    if program is None:
        raise LookupError(f"no program {program_id}")

    async with _facts(session, program_id, now) as facts:
        weekly, overall = await _weekly(session, facts, program)
        pair_rows = await _pair_rows(session, facts, program_id)
        best, worst = await _prompts(session, facts)
    latest = weekly[-1] if weekly else None
    trend = (
        weekly
        if weeks is None or latest is None
        else [w for w in weekly if w.week > latest.week - weeks]
    )
    pairs, at_risk = _health(pair_rows, program, now)
    meetings = [p.meetings for p in pairs]
    shared, wanted = await _topics(session, program_id)
    days = (now.date() - program.start_date).days
    return Report(
        program_id=program.id,
        program_name=program.name,
        generated_at=now,
        current_week=days // 7 + 1 if days >= 0 else None,
        length_weeks=program.length_weeks,
        min_group=min_group,
        people=await _headcount(session, program_id),
        pairs_active=sum(1 for row in pair_rows if row.status == PairStatus.ACTIVE),
        pairs_ended=sum(1 for row in pair_rows if row.status == PairStatus.ENDED),
        met_at_least_once=ratio(sum(1 for m in meetings if m), len(meetings)),
        meetings_per_pair=ratio(sum(meetings), len(meetings)),
        overall=overall,
        latest=latest,
        trend=tuple(trend),
        pairs=tuple(pairs),
        at_risk=tuple(at_risk),
        goals=await _goals(session, program_id),
        top_shared=shared,
        top_wanted=wanted,
        surveys=await _surveys(session, program_id, min_group),
        best_prompts=best,
        worst_prompts=worst,
        quotes=await _quotes(session, program_id),
        departments=await _departments(session, program_id, pair_rows, min_group),
    )


async def _headcount(session: AsyncSession, program_id: int) -> Headcount:
    active_pairs = (Pair.program_id == program_id, Pair.status == PairStatus.ACTIVE)
    in_pairs = (
        select(Pair.sharer_id)
        .where(*active_pairs)
        .union(select(Pair.learner_id).where(*active_pairs))
    )
    matched = Participant.id.in_(in_pairs)

    def count(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    status = Participant.status
    row = (
        await session.execute(
            select(
                func.count(),
                count(status == ParticipantStatus.ACTIVE),
                count(status == ParticipantStatus.PAUSED),
                count(status == ParticipantStatus.LEFT),
                count(status == ParticipantStatus.DELETED),
                count(matched),
                count(and_(status == ParticipantStatus.ACTIVE, ~matched)),
            ).where(Participant.program_id == program_id)
        )
    ).one()
    return Headcount(*row)


async def _weekly(
    session: AsyncSession, facts: Table, program: Program
) -> tuple[list[WeekStats], Activity]:
    """Per-week activity, and the program-wide totals from the same per-week sums."""
    rows = (
        await session.execute(
            select(
                facts.c.week,
                func.count(),
                func.count(case((facts.c.outcome == MET, 1))),
                func.sum(facts.c.answers),
                func.sum(facts.c.useful_sum),
                func.sum(facts.c.useful_n),
                func.sum(facts.c.candour_sum),
                func.sum(facts.c.candour_n),
            )
            .group_by(facts.c.week)
            .order_by(facts.c.week)
        )
    ).all()
    weeks = [
        WeekStats(
            checkins=n,
            met=met,
            answers=int(answers),
            avg_usefulness=ratio(u_sum, u_n),
            avg_candour=ratio(c_sum, c_n),
            week=week,
            starts_on=week_start(program, week),
        )
        for week, n, met, answers, u_sum, u_n, c_sum, c_n in rows
    ]
    n, met, answers, u_sum, u_n, c_sum, c_n = (
        sum(int(row[i] or 0) for row in rows) for i in range(1, 8)
    )
    return weeks, Activity(n, met, answers, ratio(u_sum, u_n), ratio(c_sum, c_n))


async def _pair_rows(session: AsyncSession, facts: Table, program_id: int) -> list[_PairRow]:
    """One row per pair of the program (any status): its aggregates and both members' details.

    Three queries merged here by pair id: totals, the latest outcomes, and the members. Joined
    in SQL, SQLite would rescan an aggregate subquery once for every pair.
    """
    totals = await session.execute(
        select(
            facts.c.pair_id,
            func.count(),
            func.count(case((facts.c.outcome == MET, 1))),
            func.max(case((facts.c.outcome == MET, facts.c.week))),
            func.max(facts.c.sharer_answered),
            func.max(facts.c.learner_answered),
        ).group_by(facts.c.pair_id)
    )
    recent = {pair_id: (tail, sums) for pair_id, tail, sums in await _recent(session, facts)}
    none_recent = _PairCounts().tail, _PairCounts().recent  # every check-in still open
    counts = {
        pair_id: _PairCounts(
            checkins,
            meetings,
            last_met,
            *recent.get(pair_id, none_recent),
            answered=(bool(sharer_answered), bool(learner_answered)),
        )
        for pair_id, checkins, meetings, last_met, sharer_answered, learner_answered in totals
    }
    sharer, learner = aliased(Participant), aliased(Participant)

    def member(person: Any) -> tuple[Any, ...]:
        return person.id, person.program_id, person.status, person.display_name, person.department

    members = await session.execute(
        select(Pair.id, Pair.status, Pair.created_at, *member(sharer), *member(learner))
        .join(sharer, sharer.id == Pair.sharer_id)
        .join(learner, learner.id == Pair.learner_id)
        .where(Pair.program_id == program_id)
        .order_by(Pair.id)
    )
    return [
        _PairRow(
            row[0],
            row[1],
            row[2],
            _Member(*row[3:8]),
            _Member(*row[8:13]),
            counts.get(row[0], _PairCounts()),
        )
        for row in members
    ]


async def _recent(
    session: AsyncSession, facts: Table
) -> list[tuple[int, tuple[int, ...], tuple[int, int, int, int]]]:
    """Per pair, over its last RECENT_CHECKINS outcomes (open check-ins left out): the last
    HEALTH_TAIL outcome codes, and cancellations by the learner and the sharer, skips, silences.

    A learner cancelled when they said "cancelled" or their sharer said "partner_cancelled" (and
    the other way round); a check-in counts once whoever reported it. Attributing cancellations
    needs the answers again, so it is done here for the few latest check-ins only.
    """
    ranked = (
        select(
            facts.c.checkin_id,
            facts.c.pair_id,
            facts.c.outcome,
            func.row_number()
            .over(partition_by=facts.c.pair_id, order_by=facts.c.week.desc())
            .label("rank"),
        )
        .where(facts.c.open == 0)
        .subquery("ranked")
    )
    said = Response.attendance
    by_learner = or_(
        and_(Response.participant_id == Pair.learner_id, said == Attendance.CANCELLED),
        and_(Response.participant_id == Pair.sharer_id, said == Attendance.PARTNER_CANCELLED),
    )
    by_sharer = or_(
        and_(Response.participant_id == Pair.sharer_id, said == Attendance.CANCELLED),
        and_(Response.participant_id == Pair.learner_id, said == Attendance.PARTNER_CANCELLED),
    )
    latest = (
        select(
            ranked.c.pair_id,
            ranked.c.rank,
            ranked.c.outcome,
            func.max(case((by_learner, 1), else_=0)).label("by_learner"),
            func.max(case((by_sharer, 1), else_=0)).label("by_sharer"),
        )
        .join(Pair, Pair.id == ranked.c.pair_id)
        .outerjoin(Response, Response.checkin_id == ranked.c.checkin_id)
        .where(ranked.c.rank <= RECENT_CHECKINS)
        .group_by(ranked.c.checkin_id, ranked.c.pair_id, ranked.c.rank, ranked.c.outcome)
        .subquery("latest")
    )

    def at(rank: int) -> Any:
        return func.max(case((latest.c.rank == rank, latest.c.outcome)))

    rows = await session.execute(
        select(
            latest.c.pair_id,
            func.sum(latest.c.by_learner),
            func.sum(latest.c.by_sharer),
            func.count(case((latest.c.outcome == SKIPPED, 1))),
            func.count(case((latest.c.outcome == NO_ANSWER, 1))),
            *(at(rank) for rank in range(HEALTH_TAIL, 0, -1)),
        ).group_by(latest.c.pair_id)
    )
    return [
        (
            pair_id,
            tuple(code for code in tail if code is not None),
            (int(learner), int(sharer), skips, silent),
        )
        for pair_id, learner, sharer, skips, silent, *tail in rows
    ]


def _health(
    rows: Iterable[_PairRow], program: Program, now: dt.datetime
) -> tuple[list[PairHealth], list[AtRiskPair]]:
    """Health of each active pair, and a suggestion for each at-risk one."""
    pairs, at_risk = [], []
    for row in rows:
        if row.status != PairStatus.ACTIVE:
            continue
        counts = row.counts
        state = health(counts.tail, weeks_elapsed(program, row.created_at, now.date()))
        met_on = week_start(program, counts.last_met_week) if counts.last_met_week else None
        pairs.append(PairHealth(row.id, state, counts.meetings, met_on))
        if state == "at_risk":
            action, count = _suggestion(row)
            at_risk.append(
                AtRiskPair(row.id, row.sharer.name, row.learner.name, met_on, action, count)
            )
    return pairs, at_risk


def _suggestion(row: _PairRow) -> tuple[str, int]:
    """What HR could do for an at-risk pair, from its last RECENT_CHECKINS outcomes.

    Cancellations by the senior (the learner) are the most common failure, so they come first
    after a pause; answers that keep saying "skipped" suggest the shorter format.
    """
    learner_cancels, sharer_cancels, skips, silent = row.counts.recent
    if ParticipantStatus.PAUSED in (row.sharer.status, row.learner.status):
        return "paused", 0
    if learner_cancels and sharer_cancels:
        return "both_cancelled", learner_cancels + sharer_cancels
    if learner_cancels:
        return "senior_cancelled", learner_cancels
    if sharer_cancels:
        return "sharer_cancelled", sharer_cancels
    if skips:
        return "short_format", skips
    return "nudge_both", silent


async def _goals(session: AsyncSession, program_id: int) -> tuple[GoalStats, ...]:
    rows = await session.execute(
        select(
            Goal.category,
            func.count(),
            func.avg(Goal.progress),
            func.count(case((Goal.status == GoalStatus.ACHIEVED, 1))),
        )
        .join(Participant, Participant.id == Goal.participant_id)
        .where(Participant.program_id == program_id)
        .group_by(Goal.category)
        .order_by(Goal.category)
    )
    return tuple(GoalStats(cat, n, float(avg or 0), won) for cat, n, avg, won in rows)


async def _topics(
    session: AsyncSession, program_id: int
) -> tuple[tuple[TopicCount, ...], tuple[TopicCount, ...]]:
    """Most shared and most wanted topics (counted in Python: JSON lists, see module doc)."""
    shared: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    rows = await session.execute(
        select(Participant.share_topics, Participant.learn_topics).where(
            Participant.program_id == program_id, Participant.status != ParticipantStatus.DELETED
        )
    )
    for share, learn in rows:
        shared.update(set(share or ()))
        wanted.update(set(learn or ()))

    def top(counter: Counter[str]) -> tuple[TopicCount, ...]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return tuple(TopicCount(topic, n) for topic, n in ranked[:TOP_TOPICS])

    return top(shared), top(wanted)


async def _surveys(
    session: AsyncSession, program_id: int, min_group: int
) -> tuple[SurveyStats, ...]:
    score = SurveyResponse.recommend
    rows = await session.execute(
        select(
            SurveyResponse.kind,
            func.count(),
            func.avg(score),
            func.count(case((score >= 9, 1))),
            func.count(case((score <= 6, 1))),
            func.count(score),
            func.avg(SurveyResponse.goal_attainment),
        )
        .where(SurveyResponse.program_id == program_id)
        .group_by(SurveyResponse.kind)
        .order_by(SurveyResponse.kind.desc())  # "mid" before "end"
    )
    stats = []
    for kind, n, avg_score, promoters, detractors, scored, attainment in rows:
        if n < min_group:
            stats.append(SurveyStats(kind, n, None, None, None))
            continue
        stats.append(
            SurveyStats(
                kind,
                n,
                ratio(avg_score, 1) if avg_score is not None else None,
                round(100 * (promoters - detractors) / scored) if scored else None,
                ratio(attainment, 1) if attainment is not None else None,
            )
        )
    return tuple(stats)


@cache
def _prompt_texts() -> dict[str, str]:
    return {prompt.id: prompt.text for prompt in load_prompts()}


async def _prompts(
    session: AsyncSession, facts: Table
) -> tuple[tuple[PromptScore, ...], tuple[PromptScore, ...]]:
    """Best and worst prompts by net thumbs, among those rated at least MIN_PROMPT_RATINGS times."""
    up, down = func.sum(facts.c.thumbs_up), func.sum(facts.c.thumbs_down)
    rows = await session.execute(
        select(facts.c.prompt_id, up, down)
        .where(facts.c.prompt_id.is_not(None))
        .group_by(facts.c.prompt_id)
        .having(up + down >= MIN_PROMPT_RATINGS)
    )
    texts = _prompt_texts()
    scores = [PromptScore(pid, texts.get(pid), int(u), int(d)) for pid, u, d in rows]
    best = sorted((s for s in scores if s.net > 0), key=lambda s: (-s.net, s.prompt_id))
    worst = sorted((s for s in scores if s.net < 0), key=lambda s: (s.net, s.prompt_id))
    return tuple(best[:TOP_PROMPTS]), tuple(worst[:TOP_PROMPTS])


def _clean_quote(raw: str) -> str:
    """Blank Slack mentions (they name people), squeeze whitespace, cap the length."""
    flat = " ".join(_MENTION.sub("someone", raw).split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1].rstrip() + "…"


async def _quotes(session: AsyncSession, program_id: int) -> tuple[Quote, ...]:
    """The latest quotable answers: quote_ok, author not erased, never blockers_text.

    Newest by id, so both databases walk the primary key backwards and stop after a few rows.
    """

    def erased(author: Any) -> Any:
        return (
            select(Participant.id)
            .where(Participant.id == author, Participant.status == ParticipantStatus.DELETED)
            .exists()
        )

    checkin_pair = aliased(Pair)
    in_program = (
        select(Checkin.id)
        .join(checkin_pair, checkin_pair.id == Checkin.pair_id)
        .where(Checkin.id == Response.checkin_id, checkin_pair.program_id == program_id)
        .exists()
    )
    answers = await session.execute(
        select(
            Response.learned_text,
            func.coalesce(Response.feedback_submitted_at, Response.created_at),
        )
        .where(
            in_program,
            Response.quote_ok.is_(True),
            Response.learned_text.is_not(None),
            Response.learned_text != "",
            ~erased(Response.participant_id),
        )
        .order_by(Response.id.desc())
        .limit(MAX_QUOTES)
    )
    surveys = await session.execute(
        select(SurveyResponse.what_changed, SurveyResponse.created_at, SurveyResponse.kind)
        .where(
            SurveyResponse.program_id == program_id,
            SurveyResponse.quote_ok.is_(True),
            SurveyResponse.what_changed.is_not(None),
            SurveyResponse.what_changed != "",
            ~erased(SurveyResponse.participant_id),
        )
        .order_by(SurveyResponse.id.desc())
        .limit(MAX_QUOTES)
    )
    quotes = [Quote(_clean_quote(said), "checkin", at.date()) for said, at in answers]
    quotes += [Quote(_clean_quote(said), kind, at.date()) for said, at, kind in surveys]
    return tuple(sorted(quotes, key=lambda q: q.on, reverse=True)[:MAX_QUOTES])


async def _departments(
    session: AsyncSession, program_id: int, pair_rows: Iterable[_PairRow], min_group: int
) -> tuple[DepartmentStats, ...]:
    """People per department in SQL; participation and meeting rates from the per-pair rows.

    Participation: who gave feedback on at least one weekly check-in. Meeting rate weighs each
    member's check-ins: a pair's check-ins and meetings count once for the sharer's department
    and once for the learner's.
    """
    checkins: defaultdict[str | None, int] = defaultdict(int)
    met: defaultdict[str | None, int] = defaultdict(int)
    answered: dict[int, str | None] = {}  # people still in this program who gave feedback
    for row in pair_rows:
        for person, gave_feedback in zip(
            (row.sharer, row.learner), row.counts.answered, strict=True
        ):
            checkins[person.department] += row.counts.checkins
            met[person.department] += row.counts.meetings
            if gave_feedback and person.program_id == program_id:
                answered[person.id] = person.department
    answered_by = Counter(answered.values())
    rows = await session.execute(
        select(Participant.department, func.count())
        .where(Participant.program_id == program_id)
        .group_by(Participant.department)
    )
    return suppress_small_groups(
        [
            DepartmentStats(
                department,
                people,
                ratio(answered_by[department], people),
                ratio(met[department], checkins[department]),
            )
            for department, people in rows
        ],
        min_group,
    )


def suppress_small_groups(
    groups: Iterable[DepartmentStats], min_group: int
) -> tuple[DepartmentStats, ...]:
    """Strip the numbers of groups under min_group, plus a complement when needed (module doc).

    Largest groups first; hidden ones last.
    """
    check_min_group(min_group)
    ordered = sorted(groups, key=lambda g: (-(g.people or 0), g.department or ""))
    small = [g for g in ordered if (g.people or 0) < min_group]
    visible = [g for g in ordered if (g.people or 0) >= min_group]
    complement = []
    if small and visible and sum(g.people or 0 for g in small) < min_group:
        complement = [visible.pop()]
    return (
        *visible,
        *(DepartmentStats(g.department, None, None, None, "complement") for g in complement),
        *(DepartmentStats(g.department, None, None, None, "small") for g in small),
    )
