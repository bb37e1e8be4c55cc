"""Choose a pair's regular meeting time, as plain domain code (no Slack, no database, no clock).

Why this exists: "finding time in already packed schedules" is what reverse-mentoring programs
die of. Both people stated days, a time of day and a meeting length at sign-up; this module turns
that into one concrete weekly slot both can keep, plus alternatives.

Rules
-----
* **A slot** is a weekday and a wall-clock start time in one *anchor* zone (the learner's, as for
  check-ins), and a length. Every occurrence is built with ``zoneinfo`` on its own date, so a
  DST change in the anchor zone keeps the anchor person's local time and moves the UTC instant.
* **Working day** of a person: Monday-Friday, 09:00-17:00 in their own zone, narrowed to the days
  they stated (empty means every weekday). Their **preferred window** narrows the hours further to
  the time of day they stated (morning 09-12, midday 11-14, afternoon 13-17, any 09-17).
* **Length**: the shorter of the two stated lengths (the kickoff always suggested that).
* **Fit of a slot** over *every* occurrence left in the program (so a DST change in either zone
  can never push a later week outside someone's hours):

  - ``preferred``: inside both preferred windows on both people's stated days;
  - ``working``: inside both working days and stated days, outside someone's time-of-day wish;
  - ``closest``: on a weekday for both, but outside someone's hours or stated days. Offered only
    when no slot is ``preferred`` or ``working`` (the two do not overlap), ranked by how far
    outside it falls (minutes outside 09-17 plus an hour per occurrence on an unstated day).

* **Order** (deterministic): fit, then how far outside, then the day (Tuesday, Wednesday,
  Thursday, Monday, Friday: mid-week meetings survive busy weeks best), then the earliest start.
  Candidates start on the quarter hour in the anchor zone.
* **Options**: the proposal plus up to three alternatives, on different days where possible and
  otherwise at least an hour apart, all of the best fit available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.vocabulary import WORKDAYS, Weekday

WEEKDAYS: tuple[Weekday, ...] = tuple(Weekday)  # bot.vocabulary's, in date.weekday() order
WORKING_DAYS = WORKDAYS
WORKING_HOURS = (time(9), time(17))
TIME_WINDOWS = {
    "morning": (time(9), time(12)),
    "midday": (time(11), time(14)),
    "afternoon": (time(13), time(17)),
    "any": (time(9), time(17)),
}
DAY_PREFERENCE = ("tue", "wed", "thu", "mon", "fri")
STEP_MINUTES = 15
OPTIONS = 4  # the proposal and three alternatives
UNSTATED_DAY_PENALTY = 60  # minutes-equivalent for meeting on a day someone did not offer
FITS = ("preferred", "working", "closest")


@dataclass(frozen=True)
class Person:
    """What one person told us at sign-up (never their calendar)."""

    tz: str
    days: frozenset[str] = frozenset(WORKING_DAYS)
    time_of_day: str = "any"
    minutes: int = 30

    def __post_init__(self) -> None:
        if not self.days <= set(WORKING_DAYS):
            raise ValueError(f"days must be among {WORKING_DAYS}")
        if self.time_of_day not in TIME_WINDOWS:
            raise ValueError(f"time_of_day must be one of {sorted(TIME_WINDOWS)}")
        if self.minutes <= 0:
            raise ValueError("minutes must be positive")
        ZoneInfo(self.tz)

    @property
    def stated_days(self) -> frozenset[str]:
        return self.days or frozenset(WORKING_DAYS)


@dataclass(frozen=True)
class Slot:
    """A weekly slot: ``weekday`` at ``start`` wall-clock time in ``tz``, for ``minutes``."""

    weekday: str
    start: time
    minutes: int
    tz: str

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ValueError(f"weekday must be one of {WEEKDAYS}")
        if self.start.tzinfo is not None or self.minutes <= 0:
            raise ValueError("start is a naive wall-clock time and minutes positive")


@dataclass(frozen=True)
class Occurrence:
    week: int
    start: datetime  # UTC
    end: datetime  # UTC


@dataclass(frozen=True)
class Problem:
    """Why a slot does not suit one person: ``kind`` is 'day', 'hours' or 'time_of_day'."""

    person: int  # index into the people given
    kind: str


@dataclass(frozen=True)
class Option:
    slot: Slot
    fit: str
    distance: int  # minutes-equivalent outside hours and days, summed over occurrences
    problems: tuple[Problem, ...] = ()
    occurrences: tuple[Occurrence, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Choice:
    options: tuple[Option, ...]  # best first; empty only when no week is left
    overlap: bool  # False: no slot fits both working days and stated days


def occurrence_date(week_start: date, weekday: str) -> date:
    """The date of ``weekday`` in the program week starting ``week_start`` (inside that week)."""
    return week_start + timedelta(days=(WEEKDAYS.index(weekday) - week_start.weekday()) % 7)


def local_instant(day: date, at: time, tz: str) -> datetime:
    """``at`` on ``day`` in ``tz`` as a UTC instant (a time skipped by DST moves forward)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def occurrences(
    slot: Slot, weeks: Sequence[tuple[int, date]], after: datetime | None = None
) -> list[Occurrence]:
    """The slot in each (week number, week start) given, keeping those starting after ``after``."""
    result = []
    for week, week_start in weeks:
        start = local_instant(occurrence_date(week_start, slot.weekday), slot.start, slot.tz)
        if after is None or start > after:
            result.append(Occurrence(week, start, start + timedelta(minutes=slot.minutes)))
    return result


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def assess(start: datetime, end: datetime, person: Person) -> tuple[list[str], int]:
    """What is wrong with [start, end) for one person, and by how much (minutes-equivalent).

    A start on someone's weekend is reported as 'weekend' alone: such a slot is never offered.
    """
    zone = ZoneInfo(person.tz)
    local, local_end = start.astimezone(zone), end.astimezone(zone)
    day = WEEKDAYS[local.weekday()]
    if day not in WORKING_DAYS:
        return ["weekend"], 0
    begin = _minutes(local.time())
    finish = _minutes(local_end.time()) + 24 * 60 * (local_end.date() - local.date()).days
    problems: list[str] = []
    distance = 0
    if day not in person.stated_days:
        problems.append("day")
        distance += UNSTATED_DAY_PENALTY
    work_start, work_end = (_minutes(t) for t in WORKING_HOURS)
    outside = max(0, work_start - begin) + max(0, finish - work_end)
    if outside:
        problems.append("hours")
        distance += outside
    wish_start, wish_end = (_minutes(t) for t in TIME_WINDOWS[person.time_of_day])
    if not outside and (begin < wish_start or finish > wish_end):
        problems.append("time_of_day")
    return problems, distance


def evaluate(
    slot: Slot, people: Sequence[Person], weeks: Sequence[tuple[int, date]], after: datetime
) -> Option | None:
    """The fit of ``slot`` for everyone over every occurrence left; None if one falls on a
    weekend for someone (never offered) or no occurrence is left."""
    occ = occurrences(slot, weeks, after)
    if not occ:
        return None
    found: set[Problem] = set()
    distance = 0
    for o in occ:
        for index, person in enumerate(people):
            problems, far = assess(o.start, o.end, person)
            if "weekend" in problems:
                return None
            found.update(Problem(index, kind) for kind in problems)
            distance += far
    return _option(slot, found, distance, tuple(occ))


def meeting_minutes(people: Sequence[Person]) -> int:
    return min(p.minutes for p in people)


def _rank(option: Option) -> tuple[int, int, int, time]:
    return (
        FITS.index(option.fit),
        option.distance,
        DAY_PREFERENCE.index(option.slot.weekday),
        option.slot.start,
    )


def choose(
    people: Sequence[Person],
    weeks: Sequence[tuple[int, date]],
    *,
    anchor: int,
    after: datetime,
    count: int = OPTIONS,
) -> Choice:
    """The best weekly slot for ``people`` and up to ``count - 1`` alternatives (rules above).

    ``weeks`` are the program's meeting weeks as (week number, first day); ``anchor`` indexes the
    person whose zone the slot is kept in; only occurrences after ``after`` count.
    """
    if after.utcoffset() is None:
        raise ValueError("after must be timezone-aware")
    tz = people[anchor].tz
    minutes = meeting_minutes(people)
    groups = {day: _same_offset_weeks(day, tz, people, weeks, after) for day in WORKING_DAYS}

    def scan(first: int, last: int) -> list[Option]:
        found = []
        for weekday in WORKING_DAYS:
            for step in range(first, last, STEP_MINUTES):
                slot = Slot(weekday, time(step // 60, step % 60), minutes, tz)
                option = _evaluate_groups(slot, people, groups[weekday], after)
                if option is not None:
                    found.append(option)
        return sorted(found, key=_rank)

    # A slot inside everyone's working day is inside the anchor's own: look there first, and at
    # the whole day only when nothing fits (to find the closest options).
    work_start, work_end = (_minutes(t) for t in WORKING_HOURS)
    candidates = scan(work_start, work_end - minutes + 1)
    if not candidates or candidates[0].fit == "closest":
        candidates = scan(0, 24 * 60)
    if not candidates:
        return Choice((), overlap=False)
    best_fit = candidates[0].fit
    pool = [c for c in candidates if c.fit == best_fit]
    chosen = [
        replace(option, occurrences=tuple(occurrences(option.slot, weeks, after)))
        for option in _spread(pool, count)
    ]
    return Choice(tuple(chosen), overlap=best_fit != "closest")


def _same_offset_weeks(
    weekday: str,
    tz: str,
    people: Sequence[Person],
    weeks: Sequence[tuple[int, date]],
    after: datetime,
) -> list[list[tuple[int, date]]]:
    """Weeks on which every zone keeps one UTC offset all that day and shares it with the other
    weeks of its group: a slot fares the same in all of them, so one is evaluated per group.
    Weeks near ``after`` stay alone (whether they still count depends on the start time)."""
    zones = [ZoneInfo(z) for z in dict.fromkeys([tz, *(p.tz for p in people)])]
    groups: dict[tuple[object, ...], list[tuple[int, date]]] = {}
    for week, week_start in weeks:
        day = occurrence_date(week_start, weekday)
        if day <= after.date() + timedelta(days=2):
            groups[("alone", week)] = [(week, week_start)]
            continue
        edges = (
            local_instant(day, time(0), tz),
            local_instant(day + timedelta(days=1), time(0), tz),
        )
        key = tuple(edge.astimezone(z).utcoffset() for edge in edges for z in zones)
        groups.setdefault(key, []).append((week, week_start))
    return list(groups.values())


def _evaluate_groups(
    slot: Slot,
    people: Sequence[Person],
    groups: Sequence[Sequence[tuple[int, date]]],
    after: datetime,
) -> Option | None:
    """``evaluate`` over one week per group, each weighing as many weeks as its group holds."""
    found: set[Problem] = set()
    distance = 0
    counted = False
    for group in groups:
        option = evaluate(slot, people, group[:1], after)
        if option is None:
            if occurrences(slot, group[:1], after):
                return None  # a weekend for someone
            continue
        counted = True
        found.update(option.problems)
        distance += option.distance * len(group)
    if not counted:
        return None
    return _option(slot, found, distance, ())


def _option(slot: Slot, found: set[Problem], distance: int, occ: tuple[Occurrence, ...]) -> Option:
    kinds = {p.kind for p in found}
    fit = "closest" if kinds & {"day", "hours"} else "working" if kinds else "preferred"
    ordered = tuple(sorted(found, key=lambda p: (p.person, p.kind)))
    return Option(slot, fit, distance, ordered, occ)


def _spread(pool: Sequence[Option], count: int) -> list[Option]:
    """Best first, then one per new day, then others at least an hour from every chosen one."""
    chosen: list[Option] = []
    for option in pool:
        if len(chosen) == count:
            return chosen
        if all(option.slot.weekday != c.slot.weekday for c in chosen):
            chosen.append(option)
    for option in pool:
        if len(chosen) == count:
            break
        if option not in chosen and all(_apart(option.slot, c.slot) for c in chosen):
            chosen.append(option)
    return chosen


def _apart(a: Slot, b: Slot) -> bool:
    return a.weekday != b.weekday or abs(_minutes(a.start) - _minutes(b.start)) >= 60


def in_working_hours(instant: datetime, tz: str) -> bool:
    local = instant.astimezone(ZoneInfo(tz))
    return local.weekday() < 5 and WORKING_HOURS[0] <= local.time() < WORKING_HOURS[1]


def after_meeting(end: datetime, zones: Sequence[str], delay: timedelta) -> datetime:
    """The first quarter hour from ``delay`` after a meeting ends that is inside everyone's
    working day (Monday-Friday 09:00-17:00 local): the check-in follows the meeting without
    arriving at night. Pairs with no shared working time get ``end + delay``."""
    first = end + delay
    for step in range(7 * 24 * 60 // STEP_MINUTES):
        candidate = first + timedelta(minutes=step * STEP_MINUTES)
        if all(in_working_hours(candidate, tz) for tz in zones):
            return candidate
    return first
