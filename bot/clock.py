"""An injectable clock: the scheduler and every 'now' go through it, so tests control time."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that only moves when told to (tests, the demo's simulated weeks, `--at`)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, instant: dt.datetime) -> None:
        self._now = instant.astimezone(dt.UTC)


def earliest_today(now: dt.datetime) -> dt.date:
    """'Today' somewhere on Earth: a date before this is in the past for everyone."""
    return (now - dt.timedelta(hours=12)).date()
