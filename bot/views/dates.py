"""Dates and times as one person reads them, in their own zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_time(instant: dt.datetime, tz: str) -> str:
    """'Tue 13 Jan, 10:00' in the person's own zone (Slack shows it as plain text)."""
    return instant.astimezone(ZoneInfo(tz)).strftime("%a %-d %b, %H:%M")
