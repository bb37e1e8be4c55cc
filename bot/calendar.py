"""Calendar invites without calendar access: an RFC 5545 ``.ics`` and "add to" links for one slot.

Why a file and links rather than an API: Mentorbot never asks for access to anyone's calendar.
Both people import the same file, so the file carries everything a calendar needs to keep the
series in step when it changes:

* one ``VEVENT`` with a weekly ``RRULE`` (``INTERVAL`` = the program's cadence, ``COUNT`` = the
  meetings left), its start in the anchor person's zone with a ``VTIMEZONE`` (so each calendar
  applies DST itself and the anchor's wall time holds);
* a ``UID`` stable per pair, and a ``SEQUENCE`` the caller raises on every change, so importing an
  update replaces the earlier one instead of adding a second series;
* a moved week as an overriding ``VEVENT`` with that week's ``RECURRENCE-ID``; a week that will
  not happen as an ``EXDATE``; a series that ended (the pair did) as ``STATUS:CANCELLED``;
* a title and description naming the program, never anything people answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.slots import Slot

if TYPE_CHECKING:  # icalendar loads where a file is made: an idle `serve` does not hold it
    from icalendar import Event

PRODID = "-//Mentorbot//Reverse mentoring//EN"


@dataclass(frozen=True)
class Series:
    """One pair's meeting series as a calendar sees it."""

    uid: str
    sequence: int
    title: str
    description: str
    slot: Slot
    first: datetime  # UTC start of the first meeting
    count: int
    interval: int
    stamp: datetime
    moved: dict[datetime, datetime] = field(default_factory=dict)  # original start -> new start
    cancelled: tuple[datetime, ...] = ()  # original starts
    ended: bool = False  # the pair ended: the whole series is cancelled

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.slot.tz)

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.slot.minutes)

    def rrule(self) -> dict[str, object]:
        return {"FREQ": "WEEKLY", "INTERVAL": self.interval, "COUNT": self.count}


def pair_uid(pair_id: int, program_id: int) -> str:
    return f"mentorbot-program-{program_id}-pair-{pair_id}@mentorbot"


def _event(series: Series, start: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", series.stamp.astimezone(UTC))
    event.add("sequence", series.sequence)
    event.add("summary", series.title)
    event.add("description", series.description)
    event.add("dtstart", start.astimezone(series.zone))
    event.add("dtend", (start + series.length).astimezone(series.zone))
    return event


def ics(series: Series) -> bytes:
    """The whole series (with its moved and cancelled weeks) as one ``.ics`` file."""
    from icalendar import Calendar, vRecur

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    master = _event(series, series.first)
    master.add("rrule", vRecur(series.rrule()))
    if series.ended:
        master.add("status", "CANCELLED")
    for original in sorted(series.cancelled):
        master.add("exdate", original.astimezone(series.zone))
    calendar.add_component(master)
    for original, new_start in sorted(series.moved.items()):
        moved = _event(series, new_start)
        moved.add("recurrence-id", original.astimezone(series.zone))
        calendar.add_component(moved)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _rrule_text(series: Series) -> str:
    from icalendar import vRecur

    return "RRULE:" + vRecur(series.rrule()).to_ical().decode()


def google_link(series: Series) -> str:
    """Google Calendar's event template, the whole series (its ``recur`` takes an RRULE)."""
    local = series.first.astimezone(series.zone)
    fmt = "%Y%m%dT%H%M%S"
    query = {
        "action": "TEMPLATE",
        "text": series.title,
        "details": series.description,
        "dates": f"{local:{fmt}}/{local + series.length:{fmt}}",
        "ctz": series.slot.tz,
        "recur": _rrule_text(series),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(series: Series, start: datetime) -> str:
    """Outlook on the web's compose form for one meeting (its links take no recurrence)."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": series.title,
        "body": series.description,
        "startdt": f"{start.astimezone(UTC):{fmt}}",
        "enddt": f"{(start + series.length).astimezone(UTC):{fmt}}",
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)
