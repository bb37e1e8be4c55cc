"""The calendar file and links as plain code: what a calendar application reads from them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar

from bot.calendar import Series, google_link, ics, outlook_link, pair_uid
from bot.slots import Slot

UTC = dt.UTC
FIRST = dt.datetime(2026, 1, 13, 9, tzinfo=UTC)  # Tuesday 14:30 in Kolkata


def series(**changes) -> Series:
    values = {
        "uid": pair_uid(7, 2),
        "sequence": 3,
        "title": "Mentoring meeting · Spring cohort",
        "description": "Your regular reverse mentoring conversation in Spring cohort.",
        "slot": Slot("tue", dt.time(14, 30), 30, "Asia/Kolkata"),
        "first": FIRST,
        "count": 12,
        "interval": 1,
        "stamp": dt.datetime(2026, 1, 12, tzinfo=UTC),
    }
    return Series(**{**values, **changes})


def test_one_weekly_series_with_its_zone_uid_and_sequence():
    calendar = icalendar.Calendar.from_ical(ics(series(interval=2, count=6)))
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "mentorbot-program-2-pair-7@mentorbot"
    assert event["SEQUENCE"] == 3
    assert event["DTSTART"].dt == FIRST.astimezone(ZoneInfo("Asia/Kolkata"))
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert event["DTEND"].dt - event["DTSTART"].dt == dt.timedelta(minutes=30)
    rule = event["RRULE"]
    assert (rule["FREQ"], rule["INTERVAL"], rule["COUNT"]) == (["WEEKLY"], [2], [6])
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Kolkata"]


def test_a_moved_week_overrides_its_occurrence_and_a_cancelled_one_is_excluded():
    week2, week3 = FIRST + dt.timedelta(weeks=1), FIRST + dt.timedelta(weeks=2)
    moved_to = week2 + dt.timedelta(days=1, hours=1)
    calendar = icalendar.Calendar.from_ical(
        ics(series(moved={week2: moved_to}, cancelled=(week3,)))
    )
    master, override = calendar.walk("VEVENT")
    assert [d.dt for d in master["EXDATE"].dts] == [week3.astimezone(ZoneInfo("Asia/Kolkata"))]
    assert override["RECURRENCE-ID"].dt == week2
    assert override["DTSTART"].dt == moved_to
    assert str(override["UID"]) == str(master["UID"])
    assert override["SEQUENCE"] == master["SEQUENCE"]


def test_google_link_carries_the_series_and_outlook_one_meeting():
    google = parse_qs(urlsplit(google_link(series())).query)
    assert google["action"] == ["TEMPLATE"]
    assert google["dates"] == ["20260113T143000/20260113T150000"]  # wall time in ctz
    assert google["ctz"] == ["Asia/Kolkata"]
    assert google["recur"] == ["RRULE:FREQ=WEEKLY;COUNT=12;INTERVAL=1"]
    outlook = parse_qs(urlsplit(outlook_link(series(), FIRST)).query)
    assert outlook["startdt"] == ["2026-01-13T09:00:00Z"]
    assert outlook["enddt"] == ["2026-01-13T09:30:00Z"]
    assert outlook["subject"] == ["Mentoring meeting · Spring cohort"]
