"""Scheduling decisions for a reverse-mentoring program, as pure functions.

Nothing here talks to Slack, the database or the system clock: callers pass
"now" in, so every rule can be tested deterministically.

Rules
-----
* **Weeks.** Week 1 starts on ``start_date``; each program week is 7 calendar
  days. Week 1 holds the kickoff, so check-ins start in **week 2** and repeat
  every ``cadence_weeks`` up to the last week (weekly: 2, 3, ... 12;
  fortnightly: 2, 4, ... 12).
* **Check-in day.** Week N's check-in date is ``start_date + 7*(N-1)`` days,
  moved forward (inclusive) to ``checkin_weekday``. That is at most 6 days
  later, so it always stays inside week N.
* **Send instant** (``pair_send_time``) for a pair in zones A and B; the
  learner's (the senior partner's) zone is ``learner_tz``, defaulting to A. An instant is
  *good* when, in each person's own zone, it falls on a Monday-Friday inside
  ``[start, end)`` of the working hours.

  1. If both people's clocks read the same at the check-in time (same zone,
     or zones with equal offsets that day) it goes out at the check-in time:
     there is nothing to arbitrate and the admin chose that time.
  2. Otherwise try the check-in time on the check-in date in the learner's
     zone, then in the other zone; take the first good one.
  3. Otherwise take the earliest good instant that is on the check-in date in
     at least one of the two zones (the working-hours overlap). Pairs across
     the date line land here: Auckland's Tuesday 09:00 is Los Angeles'
     Monday 12:00, which is good for both.
  4. If there is no good instant at all (e.g. London + Auckland: their 9-17
     windows never meet), use the check-in time in the learner's zone.

  Local times are built with ``zoneinfo`` and then converted, so DST is
  handled per zone and per date. A wall time skipped by a DST jump moves
  forward by the gap; a repeated one takes its first occurrence.
* **Catching up** (``due_weeks``): only the latest due check-in is returned,
  and only if its send instant is at most 6 days old, so a missed scheduler
  pass never posts stale check-ins weeks late.
* **Health** (``pair_health``): two misses in a row is ``at_risk``; fewer than
  two recorded outcomes is ``too_early`` unless 4 full weeks have passed
  (by then both weekly and fortnightly cadences have sent two check-ins, so a
  silent pair ``needs_checkin``); a single trailing miss is ``needs_checkin``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHECKIN_WEEKDAYS = WEEKDAYS[:5]
FIRST_CHECKIN_WEEK = 2
CATCH_UP_WINDOW = timedelta(days=6)
AT_RISK_STREAK = 2
MIN_OUTCOMES = 2
SILENT_AFTER_WEEKS = 4

MISSES = frozenset({"skipped", "cancelled", "no_answer"})
OUTCOMES = MISSES | {"met", "scheduled"}


@dataclass(frozen=True)
class ProgramCalendar:
    """The calendar facts of one program; validated so later maths can trust them."""

    start_date: date
    length_weeks: int
    cadence_weeks: int
    checkin_weekday: str
    checkin_time: time

    def __post_init__(self) -> None:
        if self.length_weeks < 1:
            raise ValueError("length_weeks must be >= 1")
        if self.cadence_weeks < 1:
            raise ValueError("cadence_weeks must be >= 1")
        if self.checkin_weekday not in CHECKIN_WEEKDAYS:
            raise ValueError(f"checkin_weekday must be one of {CHECKIN_WEEKDAYS}")
        if self.checkin_time.tzinfo is not None:
            raise ValueError("checkin_time is a local wall-clock time; it must be naive")


def program_week(cal: ProgramCalendar, on: date) -> int | None:
    """1-based week containing ``on``; None before the start, unbounded after the end."""
    days = (on - cal.start_date).days
    return None if days < 0 else days // 7 + 1


def checkin_weeks(cal: ProgramCalendar) -> list[int]:
    """Weeks that get a check-in; week 1 is left to the kickoff."""
    return list(range(FIRST_CHECKIN_WEEK, cal.length_weeks + 1, cal.cadence_weeks))


def period_key(cal: ProgramCalendar, week: int) -> str:
    """Stable per-period key ("w03") for the one-check-in-per-pair-per-period constraint."""
    _check_week(cal, week)
    return f"w{week:02d}"


def checkin_date(cal: ProgramCalendar, week: int) -> date:
    """Calendar date of week ``week``'s check-in (a date, valid in any zone)."""
    _check_week(cal, week)
    first = cal.start_date + timedelta(weeks=week - 1)
    shift = (WEEKDAYS.index(cal.checkin_weekday) - first.weekday()) % 7
    return first + timedelta(days=shift)


def pair_send_time(
    cal: ProgramCalendar,
    week: int,
    tz_a: str,
    tz_b: str,
    *,
    learner_tz: str | None = None,
    working_hours: tuple[time, time] = (time(9), time(17)),
) -> datetime:
    """UTC instant to post week ``week``'s check-in to a pair (rules in the module doc)."""
    start, end = working_hours
    if not start < end:
        raise ValueError("working_hours must be (start, end) with start < end")
    learner = tz_a if learner_tz is None else learner_tz
    if learner not in (tz_a, tz_b):
        raise ValueError("learner_tz must be one of the pair's zones")
    other = tz_b if learner == tz_a else tz_a
    zones = (ZoneInfo(learner), ZoneInfo(other))
    day = checkin_date(cal, week)

    learner_at, other_at = (_local_to_utc(day, cal.checkin_time, z) for z in zones)
    if learner_at.astimezone(zones[0]).utcoffset() == learner_at.astimezone(zones[1]).utcoffset():
        return learner_at
    for candidate in (learner_at, other_at):
        if all(_in_working_hours(candidate, z, working_hours) for z in zones):
            return candidate
    overlap = _earliest_overlap(day, zones, working_hours)
    return learner_at if overlap is None else overlap


def survey_weeks(cal: ProgramCalendar) -> dict[str, int]:
    """Weeks for the mid-program and final surveys (they coincide in a 1-week program)."""
    return {"mid": (cal.length_weeks + 1) // 2, "end": cal.length_weeks}


def reminder_due(
    sent_at: datetime, now: datetime, *, answered: bool, reminded: bool, after_days: int
) -> bool:
    """One nudge per check-in: only if unanswered, not yet reminded and old enough."""
    _check_aware(sent_at, now)
    return not answered and not reminded and now - sent_at >= timedelta(days=after_days)


def missed_streak(history: Sequence[str]) -> int:
    """Trailing consecutive misses; "met" and "scheduled" both break the streak."""
    unknown = set(history) - OUTCOMES
    if unknown:
        raise ValueError(f"unknown check-in outcomes: {sorted(unknown)}")
    streak = 0
    for outcome in reversed(history):
        if outcome not in MISSES:
            break
        streak += 1
    return streak


def pair_health(history: Sequence[str], *, weeks_elapsed: int) -> str:
    """Coarse pair status for HR and App Home (thresholds in the module doc).

    ``history`` holds check-in outcomes, oldest first; ``weeks_elapsed`` counts
    completed program weeks.
    """
    streak = missed_streak(history)
    if streak >= AT_RISK_STREAK:
        return "at_risk"
    if len(history) < MIN_OUTCOMES:
        return "needs_checkin" if weeks_elapsed >= SILENT_AFTER_WEEKS else "too_early"
    return "needs_checkin" if streak else "on_track"


def next_checkin_at(
    cal: ProgramCalendar, now: datetime, tz_a: str, tz_b: str, learner_tz: str | None = None
) -> datetime | None:
    """First send instant strictly after ``now``; None once the program has no more."""
    _check_aware(now)
    upcoming = [t for _, t in _send_times(cal, tz_a, tz_b, learner_tz) if t > now]
    return min(upcoming, default=None)


def due_weeks(
    cal: ProgramCalendar, now: datetime, tz_a: str, tz_b: str, learner_tz: str | None = None
) -> list[int]:
    """The check-in week to post now, if any: the latest due one, at most 6 days old.

    Returns a list (empty or one week) so callers can loop; they still skip
    weeks already sent.
    """
    _check_aware(now)
    due = [(t, w) for w, t in _send_times(cal, tz_a, tz_b, learner_tz) if t <= now]
    if not due:
        return []
    sent_at, week = max(due)
    return [week] if now - sent_at <= CATCH_UP_WINDOW else []


def _send_times(
    cal: ProgramCalendar, tz_a: str, tz_b: str, learner_tz: str | None
) -> list[tuple[int, datetime]]:
    return [
        (w, pair_send_time(cal, w, tz_a, tz_b, learner_tz=learner_tz)) for w in checkin_weeks(cal)
    ]


def _check_week(cal: ProgramCalendar, week: int) -> None:
    if not 1 <= week <= cal.length_weeks:
        raise ValueError(f"week {week} is outside 1..{cal.length_weeks}")


def _check_aware(*moments: datetime) -> None:
    if any(m.utcoffset() is None for m in moments):
        raise ValueError("datetimes must be timezone-aware")


def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _in_working_hours(instant: datetime, zone: ZoneInfo, hours: tuple[time, time]) -> bool:
    local = instant.astimezone(zone)
    return local.weekday() < 5 and hours[0] <= local.time() < hours[1]


def _earliest_overlap(
    day: date, zones: tuple[ZoneInfo, ZoneInfo], hours: tuple[time, time]
) -> datetime | None:
    """Earliest good instant on ``day`` in either zone, by intersecting UTC intervals."""
    one_day = timedelta(days=1)
    # The check-in date in each zone, as a UTC interval.
    days = [
        (_local_to_utc(day, time(0), z), _local_to_utc(day + one_day, time(0), z)) for z in zones
    ]
    # Zone offsets differ by at most ~26h, so +-2 local dates cover every window that can meet them.
    nearby = [day + timedelta(days=d) for d in range(-2, 3)]
    windows = [
        [
            (_local_to_utc(d, hours[0], z), _local_to_utc(d, hours[1], z))
            for d in nearby
            if d.weekday() < 5
        ]
        for z in zones
    ]
    starts = [
        max(r[0], a[0], b[0])
        for r in days
        for a in windows[0]
        for b in windows[1]
        if max(r[0], a[0], b[0]) < min(r[1], a[1], b[1])
    ]
    return min(starts, default=None)
