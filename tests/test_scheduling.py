"""Tests for bot.scheduling: explicit DST/zone cases plus property checks against an oracle."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduler.checkins import survey_for_week
from bot.scheduling import (
    ProgramCalendar,
    checkin_date,
    checkin_weeks,
    latest_due,
    missed_streak,
    pair_health,
    pair_send_time,
    period_key,
    program_week,
    reminder_due,
    survey_weeks,
)
from bot.vocabulary import WORKDAYS, Weekday

LONDON, NEW_YORK = "Europe/London", "America/New_York"
KOLKATA, SYDNEY = "Asia/Kolkata", "Australia/Sydney"
AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"
NINE_TO_FIVE = (time(9), time(17))


def cal(
    start: date = date(2025, 3, 3),
    *,
    length: int = 12,
    cadence: int = 1,
    weekday: str = "mon",
    at: time = time(10),
) -> ProgramCalendar:
    return ProgramCalendar(start, length, cadence, weekday, at)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def good(instant: datetime, zone: str, hours: tuple[time, time]) -> bool:
    wall = local(instant, zone)
    return wall.weekday() < 5 and hours[0] <= wall.time() < hours[1]


# --- calendar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"length": 0}, {"cadence": 0}, {"weekday": "sat"}, {"at": time(10, tzinfo=UTC)}],
)
def test_calendar_rejects_bad_config(kwargs):
    with pytest.raises(ValueError):
        cal(**kwargs)


def test_program_week_boundaries():
    c = cal(date(2025, 3, 5))
    assert program_week(c, date(2025, 3, 4)) is None
    assert program_week(c, date(2025, 3, 5)) == 1
    assert program_week(c, date(2025, 3, 11)) == 1
    assert program_week(c, date(2025, 3, 12)) == 2
    assert program_week(c, date(2025, 3, 5) + timedelta(weeks=12)) == 13  # callers check > length


def test_checkin_weeks_start_after_kickoff():
    assert checkin_weeks(cal()) == list(range(2, 13))
    assert checkin_weeks(cal(cadence=2)) == [2, 4, 6, 8, 10, 12]
    assert checkin_weeks(cal(length=11, cadence=3)) == [2, 5, 8, 11]
    assert checkin_weeks(cal(length=1)) == []


def test_period_key():
    assert period_key(cal(), 3) == "w03"
    assert period_key(cal(), 12) == "w12"
    with pytest.raises(ValueError):
        period_key(cal(), 13)
    with pytest.raises(ValueError):
        period_key(cal(), 0)


def test_checkin_date_moves_forward_to_weekday_inclusive():
    wednesday = date(2025, 3, 5)
    assert checkin_date(cal(wednesday, weekday="wed"), 1) == wednesday
    assert checkin_date(cal(wednesday, weekday="fri"), 1) == date(2025, 3, 7)
    assert checkin_date(cal(wednesday, weekday="mon"), 1) == date(2025, 3, 10)
    assert checkin_date(cal(wednesday, weekday="mon"), 2) == date(2025, 3, 17)


def test_survey_weeks():
    assert survey_weeks(cal()) == {"mid": 6, "end": 12}
    assert survey_weeks(cal(length=11)) == {"mid": 6, "end": 11}
    assert survey_weeks(cal(length=1)) == {"mid": 1, "end": 1}


def test_same_zone_follows_local_time_across_dst():
    c = cal()  # Mondays from 2025-03-03; the UK moves to BST on 2025-03-30
    assert pair_send_time(c, 1, LONDON, LONDON) == utc(2025, 3, 3, 10)
    assert pair_send_time(c, 5, LONDON, LONDON) == utc(2025, 3, 31, 9)


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        (1, utc(2025, 3, 3, 15)),  # GMT/EST, 5h apart: New York 10:00 = London 15:00
        (2, utc(2025, 3, 10, 14)),  # US on EDT, UK still GMT: 4h apart
        (5, utc(2025, 3, 31, 14)),  # both on summer time: 5h apart again
    ],
)
def test_london_new_york_march_uses_new_york_time(week, expected):
    # London 10:00 is 05:00/06:00 in New York, so New York's 10:00 is the first good instant.
    sent = pair_send_time(cal(), week, LONDON, NEW_YORK, learner_tz=LONDON)
    assert sent == expected
    assert local(sent, NEW_YORK).time() == time(10)


@pytest.mark.parametrize(
    ("week", "expected", "london_wall"),
    [
        (1, utc(2025, 3, 3, 14), time(14)),
        (2, utc(2025, 3, 10, 13), time(13)),
        (5, utc(2025, 3, 31, 13), time(14)),
    ],
)
def test_london_new_york_early_checkin_falls_back_to_overlap(week, expected, london_wall):
    # 08:00 is outside working hours in both zones: take New York's 09:00, the overlap start.
    sent = pair_send_time(cal(at=time(8)), week, LONDON, NEW_YORK)
    assert sent == expected
    assert local(sent, LONDON).time() == london_wall


def test_kolkata_sydney_half_hour_offset():
    jan, jul = cal(date(2025, 1, 6)), cal(date(2025, 7, 7))
    # Sydney 10:00 is 04:30 in Kolkata; Kolkata 10:00 is 15:30 (AEDT) / 14:30 (AEST) in Sydney.
    assert pair_send_time(jan, 1, SYDNEY, KOLKATA) == utc(2025, 1, 6, 4, 30)
    assert pair_send_time(jul, 1, SYDNEY, KOLKATA) == utc(2025, 7, 7, 4, 30)
    assert local(pair_send_time(jan, 1, SYDNEY, KOLKATA), SYDNEY).time() == time(15, 30)
    # Sydney 16:00 is Kolkata 10:30 in January: the learner's own time wins when it works.
    late = cal(date(2025, 1, 6), at=time(16))
    assert pair_send_time(late, 1, SYDNEY, KOLKATA) == utc(2025, 1, 6, 5)
    # 08:00 works nowhere; the overlap opens at Kolkata 09:00 = Sydney 14:30.
    early = cal(date(2025, 1, 6), at=time(8))
    assert pair_send_time(early, 1, KOLKATA, SYDNEY) == utc(2025, 1, 6, 3, 30)


def test_auckland_los_angeles_overlap_across_date_line():
    # NZDT is UTC+13 and PST UTC-8: Auckland's Monday morning is LA's Sunday, but
    # Auckland's Tuesday 09:00-14:00 is LA's Monday 12:00-17:00, good for both.
    monday = cal(date(2025, 1, 6))
    sent = pair_send_time(monday, 1, AUCKLAND, LOS_ANGELES)
    assert sent == utc(2025, 1, 6, 20)
    assert local(sent, LOS_ANGELES) == datetime(2025, 1, 6, 12, tzinfo=ZoneInfo(LOS_ANGELES))
    assert local(sent, AUCKLAND) == datetime(2025, 1, 7, 9, tzinfo=ZoneInfo(AUCKLAND))
    # On a Friday, Auckland's 10:00 is LA's Thursday 13:00: a weekday for both, so it is used.
    friday = cal(date(2025, 1, 6), weekday="fri")
    sent = pair_send_time(friday, 1, AUCKLAND, LOS_ANGELES, learner_tz=LOS_ANGELES)
    assert sent == utc(2025, 1, 9, 21)
    assert local(sent, LOS_ANGELES) == datetime(2025, 1, 9, 13, tzinfo=ZoneInfo(LOS_ANGELES))


@pytest.mark.parametrize(
    ("learner", "expected"),
    [(AUCKLAND, utc(2025, 1, 5, 21)), (LOS_ANGELES, utc(2025, 1, 6, 18))],
)
def test_no_overlap_uses_learner_zone(learner, expected):
    # With 9-12 working hours Auckland (20-23 UTC) and LA (17-20 UTC) never meet.
    c = cal(date(2025, 1, 6))
    hours = (time(9), time(12))
    sent = pair_send_time(c, 1, AUCKLAND, LOS_ANGELES, learner_tz=learner, working_hours=hours)
    assert sent == expected
    assert local(sent, learner).time() == time(10)


def test_learner_defaults_to_first_zone_when_no_overlap():
    c = cal(date(2025, 1, 6))
    assert pair_send_time(c, 1, AUCKLAND, LONDON) == utc(2025, 1, 5, 21)
    assert pair_send_time(c, 1, LONDON, AUCKLAND) == utc(2025, 1, 6, 10)
    assert pair_send_time(c, 1, NEW_YORK, "Asia/Shanghai") == utc(2025, 1, 6, 15)


def test_same_clock_zones_keep_checkin_time_outside_working_hours():
    c = cal(at=time(8))
    assert pair_send_time(c, 1, "Europe/Paris", "Europe/Berlin") == utc(2025, 3, 3, 7)


def test_wall_time_skipped_by_dst_moves_forward():
    # Egypt springs forward at 00:00 on Friday 2025-04-25, so 00:30 does not exist.
    c = cal(date(2025, 4, 21), weekday="fri", at=time(0, 30))
    sent = pair_send_time(c, 1, "Africa/Cairo", "Africa/Cairo")
    assert local(sent, "Africa/Cairo").replace(tzinfo=None) == datetime(2025, 4, 25, 1, 30)


def test_send_time_rejects_bad_arguments():
    with pytest.raises(ValueError):
        pair_send_time(cal(), 1, LONDON, NEW_YORK, learner_tz=SYDNEY)
    with pytest.raises(ValueError):
        pair_send_time(cal(), 1, LONDON, NEW_YORK, working_hours=(time(17), time(9)))
    with pytest.raises(ValueError):
        pair_send_time(cal(), 13, LONDON, NEW_YORK)


# --- send time: properties -------------------------------------------------------------------

ZONES = [
    "UTC",
    LONDON,
    "Europe/Berlin",
    NEW_YORK,
    LOS_ANGELES,
    "America/Sao_Paulo",
    "America/St_Johns",
    KOLKATA,
    "Asia/Kathmandu",
    "Asia/Tokyo",
    SYDNEY,
    "Australia/Lord_Howe",
    AUCKLAND,
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def scenarios(draw):
    """A calendar, a week, a pair and working hours, all on the quarter-hour grid."""
    c = ProgramCalendar(
        draw(st.dates(date(2024, 1, 1), date(2027, 12, 31))),
        draw(st.integers(1, 16)),
        draw(st.integers(1, 3)),
        draw(st.sampled_from(WORKDAYS)),
        draw(quarter_hours.filter(lambda t: 6 <= t.hour <= 20)),
    )
    tz_a, tz_b = draw(st.sampled_from(ZONES)), draw(st.sampled_from(ZONES))
    learner = draw(st.sampled_from([None, tz_a, tz_b]))
    hours = (
        draw(quarter_hours.filter(lambda t: 6 <= t.hour < 12)),
        draw(quarter_hours.filter(lambda t: 13 <= t.hour <= 20)),
    )
    return c, draw(st.integers(1, c.length_weeks)), tz_a, tz_b, learner, hours


def at_checkin(c, week, zone):
    return datetime.combine(checkin_date(c, week), c.checkin_time, ZoneInfo(zone)).astimezone(UTC)


def on_checkin_date(c, week, instant, zones):
    return any(local(instant, z).date() == checkin_date(c, week) for z in zones)


def oracle(c, week, tz_a, tz_b, learner, hours):
    """The documented rule, with step 3 done by brute-force scanning a 15-minute grid."""
    learner = learner or tz_a
    other = tz_b if learner == tz_a else tz_a
    first, second = at_checkin(c, week, learner), at_checkin(c, week, other)
    if local(first, learner).utcoffset() == local(first, other).utcoffset():
        return first
    for candidate in (first, second):
        if good(candidate, tz_a, hours) and good(candidate, tz_b, hours):
            return candidate
    day = checkin_date(c, week)
    t = min(datetime.combine(day, time(0), ZoneInfo(z)) for z in (tz_a, tz_b)).astimezone(UTC)
    while t < first + timedelta(days=3):
        if (
            good(t, tz_a, hours)
            and good(t, tz_b, hours)
            and on_checkin_date(c, week, t, (tz_a, tz_b))
        ):
            return t
        t += timedelta(minutes=15)
    return first


@pytest.mark.slow  # hundreds of generated cases
@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_send_time_matches_bruteforce_oracle(scenario):
    c, week, tz_a, tz_b, learner, hours = scenario
    sent = pair_send_time(c, week, tz_a, tz_b, learner_tz=learner, working_hours=hours)
    assert sent == oracle(*scenario)


@pytest.mark.slow  # hundreds of generated cases
@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_send_time_is_checkin_time_or_inside_both_windows(scenario):
    c, week, tz_a, tz_b, learner, hours = scenario
    sent = pair_send_time(c, week, tz_a, tz_b, learner_tz=learner, working_hours=hours)
    assert sent.tzinfo is UTC
    at_local_checkin = any(
        local(sent, z).date() == checkin_date(c, week) and local(sent, z).time() == c.checkin_time
        for z in (tz_a, tz_b)
    )
    in_both_windows = good(sent, tz_a, hours) and good(sent, tz_b, hours)
    assert at_local_checkin or in_both_windows
    assert on_checkin_date(c, week, sent, (tz_a, tz_b))
    assert local(sent, learner or tz_a).weekday() < 5 or in_both_windows


@pytest.mark.slow  # hundreds of generated cases
@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_send_time_is_deterministic_and_symmetric(scenario):
    c, week, tz_a, tz_b, learner, hours = scenario
    learner = learner or tz_a
    sent = pair_send_time(c, week, tz_a, tz_b, learner_tz=learner, working_hours=hours)
    assert sent == pair_send_time(c, week, tz_a, tz_b, learner_tz=learner, working_hours=hours)
    assert sent == pair_send_time(c, week, tz_b, tz_a, learner_tz=learner, working_hours=hours)


@pytest.mark.slow  # hundreds of generated cases
@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_weeks_are_consistent(scenario):
    c, _, tz_a, tz_b, learner, _ = scenario
    weeks = checkin_weeks(c)
    assert weeks == sorted(set(weeks))
    assert all(2 <= w <= c.length_weeks for w in weeks)
    assert all(b - a == c.cadence_weeks for a, b in pairwise(weeks))
    assert (c.length_weeks >= 2) == (weeks[:1] == [2])
    for w in range(1, c.length_weeks + 1):
        assert program_week(c, checkin_date(c, w)) == w
        assert list(Weekday)[checkin_date(c, w).weekday()] == c.checkin_weekday
    assert len({period_key(c, w) for w in weeks}) == len(weeks)
    sends = [pair_send_time(c, w, tz_a, tz_b, learner_tz=learner) for w in weeks]
    assert sends == sorted(sends)


# --- reminders and health --------------------------------------------------------------------


def test_reminder_due():
    sent = utc(2025, 3, 3, 10)
    assert reminder_due(
        sent, sent + timedelta(days=2), answered=False, reminded=False, after_days=2
    )
    assert not reminder_due(
        sent, sent + timedelta(days=2, seconds=-1), answered=False, reminded=False, after_days=2
    )
    assert not reminder_due(
        sent, sent + timedelta(days=5), answered=True, reminded=False, after_days=2
    )
    assert not reminder_due(
        sent, sent + timedelta(days=5), answered=False, reminded=True, after_days=2
    )
    with pytest.raises(ValueError):
        reminder_due(sent, datetime(2025, 3, 6), answered=False, reminded=False, after_days=2)


@pytest.mark.parametrize(
    ("history", "streak"),
    [
        ([], 0),
        (["met"], 0),
        (["no_answer"], 1),
        (["met", "skipped", "cancelled", "no_answer"], 3),
        (["skipped", "scheduled"], 0),
        (["skipped", "met", "no_answer"], 1),
    ],
)
def test_missed_streak(history, streak):
    assert missed_streak(history) == streak


def test_missed_streak_rejects_unknown_outcome():
    with pytest.raises(ValueError):
        missed_streak(["met", "ghosted"])


@pytest.mark.parametrize(
    ("history", "weeks_elapsed", "health"),
    [
        ([], 1, "too_early"),
        (["no_answer"], 2, "too_early"),
        (["met"], 3, "too_early"),
        ([], 4, "needs_checkin"),
        (["met"], 4, "needs_checkin"),
        (["met", "met"], 3, "on_track"),
        (["met", "scheduled"], 5, "on_track"),
        (["met", "skipped"], 5, "needs_checkin"),
        (["skipped", "met"], 5, "on_track"),
        (["met", "no_answer", "cancelled"], 5, "at_risk"),
        (["skipped", "skipped"], 3, "at_risk"),
    ],
)
def test_pair_health(history, weeks_elapsed, health):
    assert pair_health(history, weeks_elapsed=weeks_elapsed) == health


# --- next check-in and catching up -----------------------------------------------------------


def sends(c: ProgramCalendar, tz_a: str, tz_b: str, learner: str | None = None):
    return {w: pair_send_time(c, w, tz_a, tz_b, learner_tz=learner) for w in checkin_weeks(c)}


def test_latest_due_returns_only_the_latest_recent_week():
    s = sends(cal(length=4), LONDON, LONDON)  # Mondays 10 / 17 / 24 March, 10:00 UTC
    assert latest_due(s, utc(2025, 3, 10, 9, 59)) == []
    assert latest_due(s, utc(2025, 3, 10, 10)) == [2]
    assert latest_due(s, utc(2025, 3, 16, 10)) == [2]
    assert latest_due(s, utc(2025, 3, 16, 10, 1)) == []
    # A scheduler that was down for two weeks posts only the current week, not 2 and 3.
    assert latest_due(s, utc(2025, 3, 25)) == [4]
    assert latest_due(s, utc(2025, 4, 1)) == []


def test_send_times_respect_pair_zones():
    assert sends(cal(length=4), LONDON, NEW_YORK, LONDON)[2] == utc(2025, 3, 10, 14)


@pytest.mark.slow  # many generated cases
@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(-3 * 24 * 60, 20 * 7 * 24 * 60))
def test_due_agrees_with_send_times(scenario, minutes):
    c, _, tz_a, tz_b, learner, _ = scenario
    now = datetime.combine(c.start_date, time(0), UTC) + timedelta(minutes=minutes)
    times = sends(c, tz_a, tz_b, learner)
    due = latest_due(times, now)
    assert len(due) <= 1
    for w in due:
        assert timedelta(0) <= now - times[w] <= timedelta(days=6)
        assert all(t > now for t in times.values() if t > times[w])


def test_a_cancelled_mid_survey_week_moves_the_survey_to_the_pairs_next_checkin():
    c = ProgramCalendar(date(2026, 1, 5), 12, 1, "tue", time(10))
    weeks = list(range(2, 13))
    assert [w for w in weeks if survey_for_week(c, w)] == [6, 12]
    without_six = [w for w in weeks if w != 6]  # the pair cancelled week 6
    assert {w: survey_for_week(c, w, without_six) for w in (5, 7, 12)} == {
        5: None,
        7: "mid",
        12: "end",
    }
