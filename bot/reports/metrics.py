"""HR's program report as plain dataclasses, computed with SQL aggregates.

Every number comes from GROUP BY queries; Python only sees aggregate rows (per week and prompt,
per pair, per department), never one row per answer, so the report stays fast at 10,000 people
and a million answers. Answers are never read here: each check-in carries the summary of its
answers (bot/services/summaries.py), and two covering indexes on check-ins serve the two passes,
one by week and prompt, one by pair. Finished in Python over aggregate rows: the weekly and
per-prompt totals (from the week x prompt sums), departments (each pair's totals, and whether
each member gave feedback, added to the members' departments) and topics, which are JSON lists
(two small columns of the program's participants), because unnesting JSON is dialect-specific.

A person's department, topics and goal progress are read as they were when their time in the
program ended (it closed, or they moved on: their enrolment keeps the first two, the goals'
history gives the third), so a closed program's report reads as it did at its close; while they
are in it, their latest.

Privacy is enforced in this layer, so no renderer or caller can leak by mistake:

* free text reaches the report only from answers whose author ticked ``quote_ok`` and who has not
  erased their data; it is attributed to nobody and Slack mentions in it are blanked;
* ``blockers_text`` is never read;
* departments with fewer than ``min_group`` people carry no numbers at all, and when the hidden
  groups together are still smaller than ``min_group`` the smallest visible one is hidden too, so
  a hidden group cannot be worked out by subtracting the others from the program totals;
* survey averages with fewer than ``min_group`` answers are withheld the same way;
* a week's average rating needs ``min_group`` ratings (one per person that week), the
  program-wide one a week that had that many; when weeks are hidden (too few ratings, or outside
  the trend's window) and together hold fewer than ``min_group`` ratings, the smallest shown
  weeks are hidden too, so the overall average minus the shown weeks cannot give them away;
* goal categories need ``min_group`` people with goals in them, topics ``min_group`` people,
  and a prompt's thumbs ``min_group`` ratings;
* weeks cancelled ahead ("We can't meet this week", read from the meetings' changes: such a
  week has no check-in) are counted per week only where the pairs due to meet that week (their
  check-ins and cancellations) were at least ``min_group`` people, with the same complement rule
  as the weekly ratings, and over the program only when some week's were.

At-risk pairs carry the two display names (and nothing they wrote), so that HR can act on them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import (
    COMPLETED,
    Checkin,
    Enrolment,
    Goal,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingChange,
    OrgPerson,
    Outcome,
    Pair,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    ProgramStatus,
    Response,
    SurveyResponse,
    reported_department,
)
from bot.prompts import Prompt
from bot.scheduling import AT_RISK_STREAK, MIN_OUTCOMES, pair_health

MIN_GROUP_FLOOR = 3
WEEKLY_KIND = "checkin"  # kickoff rows are not weekly check-ins
# A check-in's outcome code (bot.models.Outcome, kept on the check-in) and its name.
OUTCOMES = tuple(outcome.name.lower() for outcome in Outcome)
NO_ANSWER, SKIPPED, CANCELLED, SCHEDULED, MET = (int(outcome) for outcome in Outcome)
HEALTH_STATES = ("on_track", "needs_checkin", "at_risk", "too_early")
# pair_health only looks at the trailing misses (at_risk from 2) and whether there are 2 outcomes,
# so the last HEALTH_TAIL outcomes decide it exactly as the full history would.
HEALTH_TAIL = max(AT_RISK_STREAK, MIN_OUTCOMES)
ANSWER_WINDOW = dt.timedelta(days=7)  # an unanswered check-in is still open for a week
RECENT_CHECKINS = 4  # the window the at-risk suggestion looks at
RECENT_WEEKS = 4  # "met recently": a meeting in the current program week or the 3 before
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
    """Posted weekly check-ins and their answers, over one week or the whole program, and the
    weeks pairs cancelled ahead ("We can't meet this week"), which get no check-in."""

    checkins: int
    met: int
    answers: int  # answers with feedback submitted
    avg_usefulness: float | None  # None: no ratings, or too few people (then `*_ratings` > 0)
    avg_candour: float | None
    usefulness_ratings: int = field(default=0, kw_only=True)
    candour_ratings: int = field(default=0, kw_only=True)
    # Weeks cancelled ahead; None: hidden, the pairs due to meet were fewer than min_group
    # people (module doc). Never part of `meeting_rate`: a cancelled week is not a miss.
    cancelled: int | None = field(default=0, kw_only=True)

    @property
    def meeting_rate(self) -> float | None:
        """Pairs that met out of posted check-ins: cancelled weeks are in neither."""
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
    """One goal category; every number is None when fewer than min_group people are in it."""

    category: str
    goals: int | None
    avg_progress: float | None
    achieved: int | None
    people: int
    hidden: bool = False


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
    met_recently: float | None  # share of active pairs that met in the last RECENT_WEEKS weeks
    meetings_per_pair: float | None  # meetings per active pair
    overall: Activity
    latest: WeekStats | None  # the latest program week with a posted check-in
    # (the trend also shows weeks that only had cancellations)
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
    # When the program closed: its pairs ran until then, and the figures are as of then.
    closed_on: dt.date | None = None

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
    enrolled: bool  # counted among this program's people (see `_departments`)
    status: ParticipantStatus  # as this program counts it (`Enrolment.status_in_program`)
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


def check_min_group(min_group: int) -> None:
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(f"min_group must be at least {MIN_GROUP_FLOOR}")


def as_of(program: Program, now: dt.datetime) -> dt.datetime:
    """The moment a report describes: now, or for a closed program its close, so that what
    depends on the date (meetings in the last weeks, pair health, open check-ins) reads the
    same whenever HR asks."""
    if program.status == ProgramStatus.CLOSED and program.closed_at is not None:
        return min(now, program.closed_at)
    return now


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


# The summary columns that add up across check-ins, in _WeekPromptRow's order.
ANSWER_COUNTS = (
    Checkin.answers,
    Checkin.usefulness_sum,
    Checkin.usefulness_count,
    Checkin.candour_sum,
    Checkin.candour_count,
    Checkin.thumbs_up,
    Checkin.thumbs_down,
)


def posted_weekly(program_id: int) -> tuple[Any, ...]:
    """The program's weekly check-ins that reached Slack (the report indexes' conditions)."""
    return (
        Checkin.program_id == program_id,
        Checkin.kind == WEEKLY_KIND,
        Checkin.message_ts.is_not(None),
    )


def _flag(column: Any) -> Any:
    return case((column.is_(True), 1), else_=0)


def _open(now: dt.datetime) -> Any:
    """Nobody has answered yet and it is less than a week old: not a miss yet."""
    return and_(
        Checkin.outcome == NO_ANSWER,
        Checkin.sent_at.is_not(None),
        Checkin.sent_at > now - ANSWER_WINDOW,
    )


def checkin_facts(program_id: int, now: dt.datetime) -> Select[*tuple[Any, ...]]:
    """One row per posted weekly check-in of the program, with its answer summary (outcome,
    feedback count, rating sums, thumbs, who gave feedback, who cancelled) as integers, and
    whether it is still `open`."""
    return select(
        Checkin.id.label("checkin_id"),
        Checkin.pair_id,
        Checkin.week,
        Checkin.period_key,
        Checkin.sent_at,
        Checkin.prompt_id,
        Checkin.outcome,
        *ANSWER_COUNTS,
        _flag(Checkin.sharer_answered).label("sharer_answered"),
        _flag(Checkin.learner_answered).label("learner_answered"),
        _flag(Checkin.cancelled_by_sharer).label("cancelled_by_sharer"),
        _flag(Checkin.cancelled_by_learner).label("cancelled_by_learner"),
        case((_open(now), 1), else_=0).label("open"),
    ).where(*posted_weekly(program_id))


async def program_report(
    session: AsyncSession,
    program_id: int,
    *,
    weeks: int | None = None,
    now: dt.datetime,
    min_group: int = 5,
    prompts: Iterable[Prompt] = (),
) -> Report:
    """The report HR reads; `weeks` limits the trend to the last N program weeks.

    `prompts` is the library the check-ins were drawn from (the bot's own, with PROMPTS_DIR's):
    it gives the best and worst prompts their text.
    """
    check_min_group(min_group)
    if weeks is not None and weeks < 1:
        raise ValueError("weeks must be at least 1")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    program = await session.get(Program, program_id)
    if program is None:
        raise LookupError(f"no program {program_id}")
    generated_at, now = now, as_of(program, now)

    by_week_and_prompt = await _by_week_and_prompt(session, program_id)
    cancelled = Counter(week for _, week in await cancelled_weeks(session, program_id))
    weekly, overall = _weekly(by_week_and_prompt, program, min_group, weeks, cancelled)
    best, worst = _prompts(by_week_and_prompt, prompts, min_group)
    pair_rows = await _pair_rows(session, program_id, now)
    latest = next((w for w in reversed(weekly) if w.checkins), None)
    trend = (
        weekly
        if weeks is None or latest is None
        else [w for w in weekly if w.week > latest.week - weeks]
    )
    pairs, at_risk = _health(pair_rows, program, now)
    meetings = [p.meetings for p in pairs]
    shared, wanted = await _topics(session, program_id, min_group)
    days = (now.date() - program.start_date).days
    return Report(
        program_id=program.id,
        program_name=program.name,
        generated_at=generated_at,
        current_week=days // 7 + 1 if days >= 0 else None,
        length_weeks=program.length_weeks,
        min_group=min_group,
        people=await _headcount(session, program_id),
        pairs_active=sum(1 for row in pair_rows if row.status == PairStatus.ACTIVE),
        pairs_ended=sum(1 for row in pair_rows if row.status == PairStatus.ENDED),
        met_recently=ratio(sum(1 for p in pairs if _met_recently(p, program, now)), len(pairs)),
        meetings_per_pair=ratio(sum(meetings), len(meetings)),
        overall=overall,
        latest=latest,
        trend=tuple(trend),
        pairs=tuple(pairs),
        at_risk=tuple(at_risk),
        goals=await _goals(session, program_id, min_group),
        top_shared=shared,
        top_wanted=wanted,
        surveys=await _surveys(session, program_id, min_group),
        best_prompts=best,
        worst_prompts=worst,
        quotes=await _quotes(session, program_id),
        departments=await _departments(session, program_id, pair_rows, min_group),
        closed_on=now.date() if program.status == ProgramStatus.CLOSED else None,
    )


def _reported_status() -> Any:
    """A pair's status as reports count it: a pair that ran until its program closed counts as
    an active pair of that program (its meetings, health and members), not as one that ended
    early."""
    return case((Pair.end_reason == COMPLETED, PairStatus.ACTIVE.value), else_=Pair.status).label(
        "status"
    )


async def _headcount(session: AsyncSession, program_id: int) -> Headcount:
    active_pairs = (Pair.program_id == program_id, _reported_status() == PairStatus.ACTIVE.value)
    in_pairs = (
        select(Pair.sharer_id)
        .where(*active_pairs)
        .union(select(Pair.learner_id).where(*active_pairs))
    )
    matched = Participant.id.in_(in_pairs)

    def count(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    status = Enrolment.status_in_program()
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
            )
            .select_from(Enrolment)
            .join(Participant, Participant.id == Enrolment.participant_id)
            .where(Enrolment.program_id == program_id)
        )
    ).one()
    return Headcount(*row)


@dataclass(frozen=True)
class _WeekPromptRow:
    """Sums over the posted check-ins of one program week that used one prompt."""

    week: int
    prompt_id: str | None
    checkins: int
    met: int
    answers: int
    usefulness_sum: int
    usefulness_count: int
    candour_sum: int
    candour_count: int
    thumbs_up: int
    thumbs_down: int


async def _by_week_and_prompt(session: AsyncSession, program_id: int) -> list[_WeekPromptRow]:
    """The one pass over the program's check-ins for the weekly and the per-prompt numbers:
    a few thousand aggregate rows (weeks x prompts), read in the order of the report index."""
    rows = await session.execute(
        select(
            Checkin.week,
            Checkin.prompt_id,
            func.count(),
            func.count(case((Checkin.outcome == MET, 1))),
            *(func.sum(column) for column in ANSWER_COUNTS),
        )
        .where(*posted_weekly(program_id))
        .group_by(Checkin.week, Checkin.prompt_id)
    )
    return [
        _WeekPromptRow(week, prompt_id, *(int(n or 0) for n in sums))
        for week, prompt_id, *sums in rows
    ]


async def cancelled_weeks(session: AsyncSession, program_id: int) -> list[tuple[int, int]]:
    """(pair id, week) of every week a pair of the program cancelled ahead, oldest first: from
    the meetings' changes (a few rows per pair), since a cancelled week has no posted check-in."""
    rows = await session.execute(
        select(Meeting.pair_id, MeetingChange.week)
        .join(Meeting, Meeting.id == MeetingChange.meeting_id)
        .join(Pair, Pair.id == Meeting.pair_id)
        .where(
            Pair.program_id == program_id,
            MeetingChange.kind == "cancel",
            MeetingChange.week.is_not(None),
        )
        .distinct()
        .order_by(Meeting.pair_id, MeetingChange.week)
    )
    return [(pair_id, week) for pair_id, week in rows if week is not None]


def _weekly(
    rows: Iterable[_WeekPromptRow],
    program: Program,
    min_group: int,
    window: int | None = None,
    cancelled: Counter[int] | None = None,
) -> tuple[list[WeekStats], Activity]:
    """Per-week activity, and the program-wide totals from the same sums; average ratings
    only where enough people gave them (module doc), so no average is one person's score."""
    fields: tuple[str, ...] = ("checkins", "met", "answers", "usefulness_sum", "usefulness_count")
    fields += ("candour_sum", "candour_count")
    by_week: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_week[row.week].update({name: getattr(row, name) for name in fields})
    for week, n in (cancelled or Counter()).items():
        by_week[week]["cancelled"] += n

    def activity(sums: Counter[str]) -> dict[str, Any]:
        return {
            "checkins": sums["checkins"],
            "met": sums["met"],
            "answers": sums["answers"],
            "avg_usefulness": ratio(sums["usefulness_sum"], sums["usefulness_count"]),
            "avg_candour": ratio(sums["candour_sum"], sums["candour_count"]),
            "usefulness_ratings": sums["usefulness_count"],
            "candour_ratings": sums["candour_count"],
            "cancelled": sums["cancelled"],
        }

    ordered = sorted(by_week)
    shown = {w for w in ordered if window is None or w > ordered[-1] - window}
    overall = activity(sum(by_week.values(), Counter()))
    hidden: dict[str, set[int]] = {}
    for rating in ("usefulness", "candour"):
        counts = {week: by_week[week][f"{rating}_count"] for week in ordered}
        hidden[rating] = suppressed_weeks(counts, shown, min_group)
        if max(counts.values(), default=0) < min_group:
            overall[f"avg_{rating}"] = None
    # The people behind a week's cancellations: both of each pair due to meet that week.
    due = {week: 2 * (by_week[week]["checkins"] + by_week[week]["cancelled"]) for week in ordered}
    hidden["cancelled"] = suppressed_weeks(due, shown, min_group)
    if max(due.values(), default=0) < min_group:  # as the ratings: no week had enough people
        overall["cancelled"] = None
    weeks = []
    for week in ordered:
        values = activity(by_week[week])
        for figure, weeks_hidden in hidden.items():
            if week in weeks_hidden:
                values["cancelled" if figure == "cancelled" else f"avg_{figure}"] = None
        weeks.append(WeekStats(**values, week=week, starts_on=week_start(program, week)))
    return weeks, Activity(**overall)


def suppressed_weeks(counts: dict[int, int], shown: set[int], min_group: int) -> set[int]:
    """The weeks whose average must not be shown: fewer than min_group ratings, plus the
    smallest shown weeks while the weeks HR cannot see (hidden or outside the window) together
    hold fewer than min_group ratings, so that overall minus shown never isolates them."""
    check_min_group(min_group)
    hidden = {week for week, n in counts.items() if n < min_group or week not in shown}
    visible = sorted((counts[w], w) for w in counts if w not in hidden)
    while visible and 0 < sum(counts[w] for w in hidden) < min_group:
        hidden.add(visible.pop(0)[1])
    return hidden


async def _pair_rows(session: AsyncSession, program_id: int, now: dt.datetime) -> list[_PairRow]:
    """One row per pair of the program (any status): its aggregates and both members' details.

    Three queries merged here by pair id: totals, the latest outcomes, and the members. Joined
    in SQL, SQLite would rescan an aggregate subquery once for every pair.
    """
    totals = await session.execute(
        select(
            Checkin.pair_id,
            func.count(),
            func.count(case((Checkin.outcome == MET, 1))),
            func.max(case((Checkin.outcome == MET, Checkin.week))),
            func.max(_flag(Checkin.sharer_answered)),
            func.max(_flag(Checkin.learner_answered)),
        )
        .where(*posted_weekly(program_id))
        .group_by(Checkin.pair_id)
    )
    recent = await _recent(session, program_id, now)
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
    sharer_org, learner_org = aliased(OrgPerson), aliased(OrgPerson)
    sharer_in, learner_in = aliased(Enrolment), aliased(Enrolment)

    def member(person: Any, org: Any, place: Any) -> tuple[Any, ...]:
        return (
            person.id,
            place.id.is_not(None),
            func.coalesce(place.final_status, person.status),
            person.display_name,
            _as_it_ended(place, place.department, reported_department(person, org)),
        )

    def place_of(place: Any, person: Any) -> Any:
        return and_(place.program_id == Pair.program_id, place.participant_id == person.id)

    members = await session.execute(
        select(
            Pair.id,
            _reported_status(),
            Pair.created_at,
            *member(sharer, sharer_org, sharer_in),
            *member(learner, learner_org, learner_in),
        )
        .join(sharer, sharer.id == Pair.sharer_id)
        .join(learner, learner.id == Pair.learner_id)
        .outerjoin(sharer_org, sharer_org.slack_user_id == sharer.slack_user_id)
        .outerjoin(learner_org, learner_org.slack_user_id == learner.slack_user_id)
        .outerjoin(sharer_in, place_of(sharer_in, sharer))
        .outerjoin(learner_in, place_of(learner_in, learner))
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


# A recent check-in as one integer: its outcome code plus these flags.
_BY_LEARNER, _BY_SHARER = 8, 16


async def _recent(
    session: AsyncSession, program_id: int, now: dt.datetime
) -> dict[int, tuple[tuple[int, ...], tuple[int, int, int, int]]]:
    """Per pair, over its last RECENT_CHECKINS outcomes (open check-ins left out): the last
    HEALTH_TAIL outcome codes (oldest first), and cancellations by the learner and the sharer,
    skips and silences.

    Each pair's latest check-ins are looked up by index (newest first, one per rank), rather
    than ranking every check-in of the program, which is most of the work on a long program.
    """

    def latest(rank: int) -> Any:
        code = (
            Checkin.outcome
            + case((Checkin.cancelled_by_learner.is_(True), _BY_LEARNER), else_=0)
            + case((Checkin.cancelled_by_sharer.is_(True), _BY_SHARER), else_=0)
        )
        return (
            select(code)
            .where(*posted_weekly(program_id), Checkin.pair_id == Pair.id, ~_open(now))
            .order_by(Checkin.week.desc())
            .limit(1)
            .offset(rank)
            .scalar_subquery()
        )

    rows = await session.execute(
        select(Pair.id, *(latest(rank) for rank in range(RECENT_CHECKINS))).where(
            Pair.program_id == program_id
        )
    )
    recent = {}
    for pair_id, *newest_first in rows:
        codes = [code for code in newest_first if code is not None]
        if not codes:
            continue  # every check-in is still open
        outcomes = [code % _BY_LEARNER for code in codes]
        recent[pair_id] = (
            tuple(reversed(outcomes[:HEALTH_TAIL])),
            (
                sum(1 for code in codes if code & _BY_LEARNER),
                sum(1 for code in codes if code & _BY_SHARER),
                outcomes.count(SKIPPED),
                outcomes.count(NO_ANSWER),
            ),
        )
    return recent


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


def _met_recently(pair: PairHealth, program: Program, now: dt.datetime) -> bool:
    """A meeting in the last RECENT_WEEKS program weeks, so a pair that met once in week 2 and
    has been silent since does not count as meeting."""
    if pair.last_met_on is None:
        return False
    current = (now.date() - program.start_date).days // 7 + 1
    return pair.last_met_on >= week_start(program, current - RECENT_WEEKS + 1)


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


async def _goals(session: AsyncSession, program_id: int, min_group: int) -> tuple[GoalStats, ...]:
    """Goals per category, counted only where at least min_group people set one (a category
    from fewer people is shown as hidden). Erased people's goals are closed and blank: left out.
    Goals carry over between programs: a program counts those its people had set by the time
    their place in it ended (it closed, or they moved on), with the progress they had then, so
    progress made in a later program does not change a closed one's figures."""
    ended = Enrolment.ended_at.is_not(None)
    then = func.coalesce(_progress_at(Enrolment.ended_at), Goal.progress)
    progress = case((ended, then), else_=Goal.progress)
    reached = and_(Goal.status == GoalStatus.ACHIEVED, or_(~ended, then == 100))
    rows = await session.execute(
        select(
            Goal.category,
            func.count(func.distinct(Goal.participant_id)),
            func.count(),
            func.avg(progress),
            func.count(case((reached, 1))),
        )
        .join(Participant, Participant.id == Goal.participant_id)
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(
            Enrolment.program_id == program_id,
            Participant.status != ParticipantStatus.DELETED,
            or_(~ended, Goal.created_at <= Enrolment.ended_at),
        )
        .group_by(Goal.category)
        .order_by(Goal.category)
    )
    return tuple(
        GoalStats(cat, n, float(avg or 0), won, people)
        if people >= min_group
        else GoalStats(cat, None, None, None, people, hidden=True)
        for cat, people, n, avg, won in rows
    )


def _progress_at(moment: Any) -> Any:
    """A goal's progress as its history had it at `moment` (the latest update by then); None
    when nothing was recorded by then. A goal is reached when it is marked achieved, which
    records 100: a goal achieved since then was not reached then."""
    return (
        select(GoalProgress.progress)
        .where(GoalProgress.goal_id == Goal.id, GoalProgress.recorded_at <= moment)
        .order_by(GoalProgress.recorded_at.desc(), GoalProgress.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def _topics(
    session: AsyncSession, program_id: int, min_group: int
) -> tuple[tuple[TopicCount, ...], tuple[TopicCount, ...]]:
    """Most shared and most wanted topics (counted in Python: JSON lists, see module doc), only
    those at least min_group people chose: a topic someone typed can point at them. Each
    person's topics are those kept when their time in the program ended (a profile edited
    for a later program does not change this one's), else their latest."""
    shared: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    rows = await session.execute(
        select(
            Enrolment.ended_at.is_not(None),
            Enrolment.share_topics,
            Enrolment.learn_topics,
            Participant.share_topics,
            Participant.learn_topics,
        )
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(Enrolment.program_id == program_id, Participant.status != ParticipantStatus.DELETED)
    )
    for ended, *kept_and_latest in rows:
        # As they were when their time in the program ended, else as they are.
        share, learn = kept_and_latest[:2] if ended else kept_and_latest[2:]
        shared.update(set(share or ()))
        wanted.update(set(learn or ()))

    def top(counter: Counter[str]) -> tuple[TopicCount, ...]:
        common = [(topic, n) for topic, n in counter.items() if n >= min_group]
        ranked = sorted(common, key=lambda item: (-item[1], item[0]))
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


def prompt_ratings_needed(min_group: int) -> int:
    """Thumbs a prompt needs before it is ranked: enough to mean something, from enough people."""
    return max(MIN_PROMPT_RATINGS, min_group)


def _prompts(
    rows: Iterable[_WeekPromptRow], library: Iterable[Prompt], min_group: int
) -> tuple[tuple[PromptScore, ...], tuple[PromptScore, ...]]:
    """Best and worst prompts by net thumbs, among those rated at least MIN_PROMPT_RATINGS
    times and by at least min_group people (a prompt reaches a pair once, so one thumb each)."""
    thumbs: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        if row.prompt_id is not None:
            thumbs[row.prompt_id][0] += row.thumbs_up
            thumbs[row.prompt_id][1] += row.thumbs_down
    texts = {prompt.id: prompt.text for prompt in library}
    scores = [
        PromptScore(prompt_id, texts.get(prompt_id), up, down)
        for prompt_id, (up, down) in thumbs.items()
        if up + down >= prompt_ratings_needed(min_group)
    ]
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
    quotes = [Quote(_clean_quote(said or ""), "checkin", at.date()) for said, at in answers]
    quotes += [Quote(_clean_quote(said or ""), kind, at.date()) for said, at, kind in surveys]
    newest_first = sorted(quotes, key=lambda q: q.on, reverse=True)
    unique = {q.text.casefold(): q for q in reversed(newest_first)}  # the newest of each text
    return tuple(sorted(unique.values(), key=lambda q: q.on, reverse=True)[:MAX_QUOTES])


def _as_it_ended(place: Any, kept: Any, latest: Any) -> Any:
    """What a program reads of one of its people: the value their enrolment (`place`) kept
    when their time in it ended, else (still in it) their latest."""
    return case((place.ended_at.is_not(None), kept), else_=latest)


async def _departments(
    session: AsyncSession, program_id: int, pair_rows: Iterable[_PairRow], min_group: int
) -> tuple[DepartmentStats, ...]:
    """People per department in SQL (each person's as it was when their time in the program
    ended, else their latest); participation and meeting rates from the per-pair rows.

    Participation: who gave feedback on at least one weekly check-in. Meeting rate weighs each
    member's check-ins: a pair's check-ins and meetings count once for the sharer's department
    and once for the learner's.
    """
    checkins: defaultdict[str | None, int] = defaultdict(int)
    met: defaultdict[str | None, int] = defaultdict(int)
    answered: dict[int, str | None] = {}  # people of this program who gave feedback
    for row in pair_rows:
        for person, gave_feedback in zip(
            (row.sharer, row.learner), row.counts.answered, strict=True
        ):
            checkins[person.department] += row.counts.checkins
            met[person.department] += row.counts.meetings
            if gave_feedback and person.enrolled:
                answered[person.id] = person.department
    answered_by = Counter(answered.values())
    dept = _as_it_ended(
        Enrolment, Enrolment.department, reported_department(Participant, OrgPerson)
    )
    rows = await session.execute(
        select(dept, func.count())
        .select_from(Enrolment)
        .join(Participant, Participant.id == Enrolment.participant_id)
        .outerjoin(OrgPerson, OrgPerson.slack_user_id == Participant.slack_user_id)
        .where(Enrolment.program_id == program_id)
        .group_by(dept)
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
