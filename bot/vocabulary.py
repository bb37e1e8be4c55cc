"""The program's fixed vocabulary, defined once: roles, weekdays, experience bands, times of day.

Everything that stores, checks or compares these values uses the enums here (the database stores
their string values; matching, scheduling, forms and views use the members). The words people
read for each value live in bot/texts/messages.yaml under ``catalogue.<kind>``, keyed by value,
and nowhere else: :func:`label` and :func:`options` look them up.
"""

from __future__ import annotations

import enum
from typing import Any

from bot.texts import raw


class Role(enum.StrEnum):
    """Which side of a pair someone signed up for."""

    SHARE = "share"  # shares new tools and trends (the reverse mentor)
    LEARN = "learn"  # learns them and shares strategic experience
    EITHER = "either"  # whichever side gives the best program overall

    @property
    def can_share(self) -> bool:
        return self is not Role.LEARN

    @property
    def can_learn(self) -> bool:
        return self is not Role.SHARE


class Weekday(enum.StrEnum):
    """Days of the week in ``date.weekday()`` order (Monday first)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """0 for Monday ... 6 for Sunday, as ``date.weekday()`` counts."""
        return list(Weekday).index(self)


# People say which working days they are free, and check-ins are posted on one of them.
WORKDAYS: tuple[Weekday, ...] = tuple(Weekday)[:5]


class ExperienceBand(enum.StrEnum):
    """Years of work experience in bands: never an age, never a birth year."""

    YEARS_0_2 = "0-2"
    YEARS_3_5 = "3-5"
    YEARS_6_10 = "6-10"
    YEARS_11_20 = "11-20"
    YEARS_21_PLUS = "21+"

    @property
    def typical_years(self) -> int:
        """A representative number of years, for measuring gaps between bands in matching."""
        return _TYPICAL_YEARS[self]

    @classmethod
    def for_years(cls, years: float) -> ExperienceBand:
        """The band holding ``years`` of experience (negative counts as none)."""
        for band, upper in zip(cls, (2, 5, 10, 20), strict=False):
            if years < upper + 1:
                return band
        return cls.YEARS_21_PLUS


_TYPICAL_YEARS = dict(zip(ExperienceBand, (1, 4, 8, 15, 25), strict=True))


class TimeOfDay(enum.StrEnum):
    """The part of a working day someone prefers for meetings."""

    MORNING = "morning"
    MIDDAY = "midday"
    AFTERNOON = "afternoon"
    ANY = "any"

    @property
    def window(self) -> tuple[int, int]:
        """Start and end in local minutes after midnight."""
        return _WINDOWS[self]


_WINDOWS = {
    TimeOfDay.MORNING: (9 * 60, 12 * 60),
    TimeOfDay.MIDDAY: (11 * 60, 14 * 60),
    TimeOfDay.AFTERNOON: (13 * 60, 17 * 60),
    TimeOfDay.ANY: (9 * 60, 17 * 60),
}

_KINDS: dict[type[enum.Enum], str] = {
    Role: "roles",
    Weekday: "days",
    ExperienceBand: "experience_bands",
    TimeOfDay: "times_of_day",
}


def _entry(member: enum.Enum) -> Any:
    return raw(f"catalogue.{_KINDS[type(member)]}")[member.value]


def label(member: Role | Weekday | ExperienceBand | TimeOfDay) -> str:
    """The words people read for one value ("Monday", "0–2 years")."""
    entry = _entry(member)
    return entry if isinstance(entry, str) else entry["label"]


def description(member: Role) -> str | None:
    """The longer explanation shown under a choice, where the catalogue has one."""
    entry = _entry(member)
    return None if isinstance(entry, str) else entry.get("description")


def options(
    members: type[Role | Weekday | ExperienceBand | TimeOfDay] | tuple[Any, ...],
) -> list[tuple[str, ...]]:
    """(value, label[, description]) for each member, in the enum's order, for select menus."""
    rows: list[tuple[str, ...]] = []
    for member in members:
        extra = description(member) if isinstance(member, Role) else None
        rows.append((member.value, label(member), *([extra] if extra else [])))
    return rows
