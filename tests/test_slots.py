"""The slot chooser as plain domain code: properties that must always hold, and named cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.slots import (
    WORKING_DAYS,
    Person,
    Slot,
    after_meeting,
    choose,
    evaluate,
    in_working_hours,
    occurrences,
)
from bot.texts import raw
from bot.vocabulary import Weekday

ZONES = list(raw("catalogue.timezones"))
UTC = dt.UTC


def program_weeks(start: dt.date, length: int, cadence: int = 1) -> list[tuple[int, dt.date]]:
    return [
        (w, start + dt.timedelta(weeks=w - 1))
        for w in range(1, length + 1)
        if (w - 2) % cadence == 0
    ]


people = st.builds(
    Person,
    tz=st.sampled_from(ZONES),
    days=st.frozensets(st.sampled_from(WORKING_DAYS), min_size=1),
    time_of_day=st.sampled_from(["morning", "midday", "afternoon", "any"]),
    minutes=st.sampled_from([15, 30, 45, 60]),
)
starts = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))


def inside(person: Person, start: dt.datetime, end: dt.datetime, *, wish: bool) -> bool:
    """Reference check, written independently of the chooser."""
    zone = ZoneInfo(person.tz)
    local, local_end = start.astimezone(zone), end.astimezone(zone)
    window = {
        "morning": (9, 12),
        "midday": (11, 14),
        "afternoon": (13, 17),
        "any": (9, 17),
    }[person.time_of_day if wish else "any"]
    return (
        local.strftime("%a").lower() in person.days
        and local.date() == local_end.date()
        and dt.time(window[0]) <= local.time()
        and local_end.time() <= dt.time(window[1])
    )


@settings(max_examples=30, deadline=None)
@given(people, people, starts, st.integers(1, 16), st.integers(1, 2))
@example(  # Chicago's clocks go forward between the two weeks: 14:00 UTC is 08:00, then 09:00
    Person("America/Chicago", frozenset([Weekday.MON]), "morning", 15),
    Person("Africa/Cairo", frozenset([Weekday.MON]), "afternoon", 15),
    dt.date(2026, 3, 1),
    2,
    1,
)
def test_never_outside_anyone_s_hours_or_days_and_deterministic(a, b, start, length, cadence):
    weeks = program_weeks(start, length, cadence)
    after = dt.datetime.combine(start, dt.time(0), tzinfo=UTC)
    choice = choose([a, b], weeks, anchor=1, after=after)
    assert choice == choose([a, b], weeks, anchor=1, after=after)
    assert len(choice.options) <= 4
    assert len({o.slot for o in choice.options}) == len(choice.options)
    for option in choice.options:
        assert option.slot.tz == b.tz and option.slot.minutes == min(a.minutes, b.minutes)
        assert [o.start for o in option.occurrences] == [
            o.start for o in occurrences(option.slot, weeks, after)
        ]
        assert all(o.start > after for o in option.occurrences)
        if option.fit == "closest":
            assert not choice.overlap
            continue
        assert choice.overlap
        for occ in option.occurrences:
            for person in (a, b):
                assert inside(person, occ.start, occ.end, wish=option.fit == "preferred")
    if choice.options and choice.options[0].fit != "preferred":
        # Nothing better was missed: no quarter-hour suits both wishes in every meeting week
        # (judged over all of them: a clock change can move a slot out of someone's hours).
        for day in WORKING_DAYS:
            for minute in range(0, 24 * 60, 15):
                slot = Slot(
                    day, dt.time(minute // 60, minute % 60), min(a.minutes, b.minutes), b.tz
                )
                option = evaluate(slot, [a, b], weeks, after)
                assert option is None or option.fit != "preferred" or not option.occurrences


@settings(max_examples=25, deadline=None)
@given(people, starts, st.integers(2, 12))
def test_two_people_in_one_zone_sharing_a_day_always_overlap(a, start, length):
    b = Person(a.tz, a.days, "any", 30)
    weeks = program_weeks(start, length)
    choice = choose([a, b], weeks, anchor=1, after=dt.datetime.combine(start, dt.time(0), UTC))
    assert choice.overlap and choice.options[0].fit == "preferred"


def test_london_and_kolkata_meet_in_both_working_days():
    weeks = program_weeks(dt.date(2026, 1, 12), 12)
    ana = Person("Europe/London", frozenset({"tue", "wed", "thu"}), "morning", 30)
    raj = Person("Asia/Kolkata", frozenset({"tue", "thu"}), "afternoon", 30)
    choice = choose([ana, raj], weeks, anchor=1, after=dt.datetime(2026, 1, 12, 8, tzinfo=UTC))
    best = choice.options[0]
    assert choice.overlap and best.fit == "preferred"
    assert best.slot == Slot("tue", dt.time(14, 30), 30, "Asia/Kolkata")  # 09:00 in London
    assert len(best.occurrences) == 12
    assert len(choice.options) == 4  # the proposal and three alternatives
    assert {o.slot.weekday for o in choice.options} == {"tue", "thu"}


def test_no_overlap_is_said_and_the_closest_options_offered():
    weeks = program_weeks(dt.date(2026, 1, 12), 12)
    london, auckland = Person("Europe/London"), Person("Pacific/Auckland")
    choice = choose([london, auckland], weeks, anchor=1, after=dt.datetime(2026, 1, 12, tzinfo=UTC))
    assert not choice.overlap
    assert len(choice.options) == 4
    assert all(o.fit == "closest" and o.problems for o in choice.options)
    distances = [o.distance for o in choice.options]
    assert distances == sorted(distances)


def test_a_dst_change_keeps_the_anchor_s_local_time_and_the_other_inside_hours():
    # New York moves its clocks on 8 March 2026, London on 29 March: for three weeks the gap is
    # four hours instead of five. The slot keeps London's wall time and stays in New York's day.
    weeks = program_weeks(dt.date(2026, 2, 23), 8)
    ny = Person("America/New_York", frozenset({"wed"}), "morning", 60)
    london = Person("Europe/London", frozenset({"wed"}), "afternoon", 60)
    choice = choose([ny, london], weeks, anchor=1, after=dt.datetime(2026, 2, 23, tzinfo=UTC))
    best = choice.options[0]
    assert best.fit == "preferred"
    local = {o.start.astimezone(ZoneInfo("Europe/London")).time() for o in best.occurrences}
    assert local == {best.slot.start}
    offsets = {o.start.astimezone(ZoneInfo("Europe/London")).utcoffset() for o in best.occurrences}
    assert len(offsets) == 2  # the UTC instant moved with London's clocks
    for occ in best.occurrences:
        assert inside(ny, occ.start, occ.end, wish=True)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(ZONES), min_size=1, max_size=2),
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(UTC)),
)
def test_a_checkin_after_a_meeting_lands_inside_every_working_day(zones, end):
    delay = dt.timedelta(minutes=15)
    at = after_meeting(end, zones, delay)
    assert at >= end + delay
    if at != end + delay or all(in_working_hours(at, z) for z in zones):
        assert all(in_working_hours(at, z) for z in zones)
        # Nothing earlier on the quarter-hour grid would have done.
        earlier = at - dt.timedelta(minutes=15)
        assert earlier < end + delay or not all(in_working_hours(earlier, z) for z in zones)
