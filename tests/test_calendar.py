"""The calendar file and links as plain code: what a calendar application reads from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

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


def client_view(*files: bytes) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    """What a calendar application shows after importing `files` in order: per UID, the
    occurrences of the newest version (highest SEQUENCE), expanded with RRULE, EXDATE and
    RECURRENCE-ID overrides by recurring-ical-events."""
    newest: dict[str, tuple[int, icalendar.Calendar]] = {}
    for content in files:
        calendar = icalendar.Calendar.from_ical(content)
        [master] = [e for e in calendar.walk("VEVENT") if "RRULE" in e]
        uid, sequence = str(master["UID"]), int(master["SEQUENCE"])
        if uid not in newest or sequence > newest[uid][0]:
            newest[uid] = (sequence, calendar)
    return {
        uid: sorted(
            (e["DTSTART"].dt, e["DTEND"].dt)
            for e in recurring_ical_events.of(calendar).between(
                dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)
            )
        )
        for uid, (_, calendar) in newest.items()
    }


def inside_working_day(start: dt.datetime, end: dt.datetime, tz: str, hours=(9, 17)) -> bool:
    local_start, local_end = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
    return (
        local_start.weekday() < 5
        and local_start.date() == local_end.date()
        and dt.time(hours[0]) <= local_start.time()
        and local_end.time() <= dt.time(hours[1])
    )


def test_a_calendar_client_expands_the_series_its_moved_week_and_its_new_time():
    # London 14:00 on Wednesdays from 4 March 2026, eight weeks: New York changes its clocks on
    # 8 March and London on 29 March, so the UTC instant moves twice while both stay at work.
    london = dt.datetime(2026, 3, 4, 14, tzinfo=ZoneInfo("Europe/London"))
    base = series(
        slot=Slot("wed", dt.time(14), 30, "Europe/London"),
        first=london.astimezone(UTC),
        count=8,
        sequence=0,
    )
    first = ics(base)
    [(uid, meetings)] = client_view(first).items()
    assert len(meetings) == 8  # the weeks left in the program
    assert {start.astimezone(ZoneInfo("Europe/London")).time() for start, _ in meetings} == {
        dt.time(14)
    }
    assert len({start.astimezone(UTC).time() for start, _ in meetings}) == 2
    for start, end in meetings:
        assert inside_working_day(start, end, "Europe/London")
        assert inside_working_day(start, end, "America/New_York")

    # "Move this week" for week 3 (after both changes): the update replaces that occurrence.
    original = meetings[2][0].astimezone(UTC)
    moved_to = original + dt.timedelta(days=1, hours=1)
    update = ics(replace(base, sequence=1, moved={original: moved_to}))
    [(same_uid, after_move)] = client_view(first, update).items()
    assert same_uid == uid and len(after_move) == 8
    starts = [start.astimezone(UTC) for start, _ in after_move]
    assert moved_to in starts and original not in starts
    assert [s for s in starts if s != moved_to] == [
        s.astimezone(UTC) for s, _ in meetings if s.astimezone(UTC) != original
    ]

    # "Change our regular time": the same UID with a higher SEQUENCE replaces the series; an
    # older file imported late changes nothing.
    changed = ics(
        replace(
            base,
            sequence=2,
            slot=Slot("thu", dt.time(10), 30, "Europe/London"),
            first=dt.datetime(2026, 3, 5, 10, tzinfo=UTC),
        )
    )
    [(changed_uid, series_now)] = client_view(first, update, changed, first).items()
    assert changed_uid == uid and len(series_now) == 8
    assert all(s.astimezone(ZoneInfo("Europe/London")).weekday() == 3 for s, _ in series_now)
    masters = [
        next(e for e in icalendar.Calendar.from_ical(f).walk("VEVENT") if "RRULE" in e)
        for f in (first, update, changed)
    ]
    assert [m["SEQUENCE"] for m in masters] == [0, 1, 2]
    assert {str(m["UID"]) for m in masters} == {uid}


def test_calendar_links_are_url_encoded_whole():
    title = "Mentoring meeting · R&D <Spring> cohort"
    google = google_link(series(title=title, description="a & b"))
    outlook = outlook_link(series(title=title, description="a & b"), FIRST)
    for link in (google, outlook):
        query = urlsplit(link).query
        assert not set(query) & set(" <>|#")  # nothing Slack or a browser would cut at
        assert query.count("&") == len(parse_qs(query)) - 1  # "&" only between parameters
    google_query = parse_qs(urlsplit(google).query)
    assert google_query["text"] == [title] and google_query["details"] == ["a & b"]
    assert google_query["recur"] == ["RRULE:FREQ=WEEKLY;COUNT=12;INTERVAL=1"]
    assert urlsplit(google)[:3] == ("https", "calendar.google.com", "/calendar/render")
    outlook_query = parse_qs(urlsplit(outlook).query)
    assert outlook_query["subject"] == [title] and outlook_query["rru"] == ["addevent"]
    assert "recur" not in outlook_query  # Outlook's compose link takes one meeting only
