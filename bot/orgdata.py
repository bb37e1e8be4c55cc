"""Reading an HR system's people export: plain code, no Slack, no database.

Every HRIS (Workday, BambooHR, HiBob, Personio) can export a people CSV, each with its own column
order and extra columns, so columns are found by header name (case-insensitive, any order) and
unknown ones are listed, not refused. A person is identified by ``slack_id`` or ``email``; their
manager by ``manager_slack_id`` or ``manager_email`` naming another row of the same file. Line
numbers count the header as line 1, so HR can find a row in a spreadsheet; reports name lines,
never emails.

A file that cannot be read as a whole (encoding, size, no rows, no identifying column, the same
person twice) raises :class:`OrgFileError` with one sentence saying what to fix, and nothing is
imported. A bad value in one row (an unknown time zone, a malformed date) is dropped and listed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from bot.texts import text
from bot.texts.mrkdwn import Mrkdwn
from bot.vocabulary import ExperienceBand

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 50,000-person export is about 8 MB
ID_COLUMNS = ("slack_id", "email")
COLUMNS = (
    "slack_id",
    "email",
    "department",
    "manager_slack_id",
    "manager_email",
    "title",
    "location",
    "timezone",
    "hire_date",
    "years_experience",
)
MAX_LENGTHS = {"department": 80, "title": 120, "location": 120}


class OrgFileError(ValueError):
    """The file as a whole cannot be imported; the message says what to fix."""


@dataclass
class OrgRow:
    """One person as the file describes them (``line`` is the file line, header = 1)."""

    line: int
    slack_id: str | None
    email: str | None
    department: str | None
    manager_slack_id: str | None
    manager_email: str | None
    title: str | None
    location: str | None
    timezone: str | None
    band: ExperienceBand | None


@dataclass
class OrgFile:
    rows: list[OrgRow]
    ignored_columns: list[str]
    # (line, column) of values that were dropped because they could not be read.
    bad_values: list[tuple[int, str]] = field(default_factory=list)


def too_large(name: str) -> Mrkdwn:
    return text("org.too_large", file=name, limit=MAX_FILE_BYTES // 1024 // 1024)


def read_org_csv(data: bytes, *, today: dt.date, name: str = "the file") -> OrgFile:
    """Parse the whole file or raise :class:`OrgFileError`; see the module docstring."""
    if len(data) > MAX_FILE_BYTES:
        raise OrgFileError(too_large(name))
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OrgFileError(text("org.not_utf8", file=name, line=line)) from None
    if not content.strip():
        raise OrgFileError(text("org.empty", file=name))
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        raise OrgFileError(
            text("org.unreadable", file=name, line=reader.line_num, problem=str(exc))
        ) from None
    if not any(c in header for c in ID_COLUMNS):
        found = ", ".join(h for h in header if h) or text("org.no_columns")
        raise OrgFileError(text("org.no_id_column", file=name, found=found))
    seen_columns: dict[str, int] = {}
    for position, column in enumerate(header):
        if column in COLUMNS and column not in seen_columns:
            seen_columns[column] = position
    ignored = sorted({h for h in header if h and h not in seen_columns})
    result = OrgFile(rows=[], ignored_columns=ignored)
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank lines in exports are common and carry nothing
        values = {
            column: (record[pos].strip() if pos < len(record) else "") or None
            for column, pos in seen_columns.items()
        }
        result.rows.append(_row(line, values, today, result.bad_values))
    if not result.rows:
        raise OrgFileError(text("org.no_people", file=name))
    _check_duplicates(result.rows, name)
    return result


def _row(line: int, v: dict[str, str | None], today: dt.date, bad: list[tuple[int, str]]) -> OrgRow:
    def keep(column: str, ok: bool) -> str | None:
        if v.get(column) is not None and not ok:
            bad.append((line, column))
            return None
        return v.get(column)

    def fits(column: str) -> str | None:
        value = v.get(column)
        return keep(column, value is None or len(value) <= MAX_LENGTHS[column])

    email = v.get("email")
    manager_email = v.get("manager_email")
    timezone = keep("timezone", v.get("timezone") in _zones())
    return OrgRow(
        line=line,
        slack_id=keep("slack_id", _is_slack_id(v.get("slack_id"))),
        email=email.lower() if email else None,
        department=fits("department"),
        manager_slack_id=keep("manager_slack_id", _is_slack_id(v.get("manager_slack_id"))),
        manager_email=manager_email.lower() if manager_email else None,
        title=fits("title"),
        location=fits("location"),
        timezone=timezone,
        band=_band(line, v.get("hire_date"), v.get("years_experience"), today, bad),
    )


@cache
def _zones() -> frozenset[str]:
    """The IANA zones this machine knows (scanning them takes a while: once per process)."""
    return frozenset(available_timezones())


def _is_slack_id(value: str | None) -> bool:
    return value is not None and 3 <= len(value) <= 32 and value.isalnum() and value.isupper()


def _band(
    line: int, hire_date: str | None, years: str | None, today: dt.date, bad: list[tuple[int, str]]
) -> ExperienceBand | None:
    """Experience band from the hire date (years at this company, a lower bound) or a count."""
    if years is not None:
        try:
            count = float(years)
        except ValueError:
            count = -1.0
        if 0 <= count <= 80:
            return ExperienceBand.for_years(count)
        bad.append((line, "years_experience"))
    if hire_date is not None:
        try:
            hired = dt.date.fromisoformat(hire_date)
        except ValueError:
            hired = None
        if hired is not None and hired <= today:
            return ExperienceBand.for_years((today - hired).days / 365.25)
        bad.append((line, "hire_date"))
    return None


def _check_duplicates(rows: Iterable[OrgRow], name: str) -> None:
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        for kind, value in (("slack_id", row.slack_id), ("email", row.email)):
            if value is None:
                continue
            key = (kind, value)
            if key in first:
                raise OrgFileError(text("org.twice", file=name, first=first[key], second=row.line))
            first[key] = row.line
    missing = [row.line for row in rows if row.slack_id is None and row.email is None]
    if len(missing) == 1:
        raise OrgFileError(text("org.nobody", file=name, line=missing[0]))
    if missing:
        raise OrgFileError(
            text("org.nobody_more", file=name, line=missing[0], more=len(missing) - 1)
        )


@dataclass
class OrgChart:
    """Who is above whom, by row: computed once per import, cycles reported, never looped on."""

    # Row index -> indices of everyone above that row, nearest first (stops before a cycle).
    above: list[list[int]]
    manager: list[int | None]
    cycles: list[list[int]]  # each cycle as file line numbers, in reporting order
    manager_not_in_file: list[int]  # lines whose manager is named but is not a row


def org_chart(rows: list[OrgRow]) -> OrgChart:
    by_slack = {r.slack_id: k for k, r in enumerate(rows) if r.slack_id}
    by_email = {r.email: k for k, r in enumerate(rows) if r.email}
    manager: list[int | None] = []
    missing = []
    for k, r in enumerate(rows):
        boss = None
        if r.manager_slack_id is not None:
            boss = by_slack.get(r.manager_slack_id)
        if boss is None and r.manager_email is not None:
            boss = by_email.get(r.manager_email)
        if boss == k:
            boss = None  # "reports to themselves": the top of the tree in some exports
        elif boss is None and (r.manager_slack_id or r.manager_email):
            missing.append(r.line)
        manager.append(boss)
    # Walk each chain once, reusing finished ones (memo), so 50,000 rows cost O(rows + depth).
    above: list[list[int] | None] = [None] * len(rows)
    cycles: list[list[int]] = []
    in_cycle: set[int] = set()
    for start in range(len(rows)):
        path: list[int] = []
        on_path: dict[int, int] = {}
        node: int | None = start
        while node is not None and above[node] is None and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = manager[node]
        if node is not None and node in on_path:  # a new cycle: its members see each other once
            loop = path[on_path[node] :]
            cycles.append([rows[m].line for m in loop])
            in_cycle.update(loop)
            for pos, m in enumerate(loop):
                rest = loop[pos + 1 :] + loop[:pos]
                above[m] = rest
            path = path[: on_path[node]]
            node = loop[0]
        tail: list[int] = [] if node is None else [node, *(above[node] or [])]
        for m in reversed(path):
            above[m] = tail
            tail = [m, *tail]
    return OrgChart(
        above=[a or [] for a in above],
        manager=manager,
        cycles=cycles,
        manager_not_in_file=missing,
    )
