"""Import HR's people CSV: read it, find each person in Slack, store it whole, report by line.

Used by ``mentorbot org import FILE.csv``. People are found by the file's Slack id or, by email:
one ``users.lookupByEmail`` per email for a small file, or one pass over ``users.list`` (a
thousand people per call) for a large one, which takes minutes instead of hours under Slack's
rate limits. Both need the ``users:read.email`` scope. Nothing personal is logged: counts only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_context
from bot.config import Settings
from bot.db import Database
from bot.orgdata import MAX_FILE_BYTES, OrgFile, OrgFileError, org_chart, read_org_csv
from bot.services.org import ImportedPerson, replace_org_data
from bot.slack_client import SlackUnreachable
from bot.texts import text
from bot.texts.mrkdwn import unescape

log = logging.getLogger(__name__)

LOOKUP_ONE_BY_ONE_MAX = 200  # more emails than this: read the directory with users.list
DIRECTORY_PAGE = 1000
SHOWN_LINES = 20


@dataclass
class ImportReport:
    rows: int
    matched: int
    unmatched_lines: list[int]
    cycles: list[list[int]]
    managers_missing_lines: list[int]
    ignored_columns: list[str]
    bad_values: list[tuple[int, str]]
    no_longer: int

    def lines(self, file: str) -> list[str]:
        """The report in plain words, one fact per line."""
        out: list[str] = [
            text("org.read", rows=self.rows, file=file),
            text("org.matched", matched=self.matched),
        ]
        if self.unmatched_lines:
            out.append(
                text(
                    "org.unmatched",
                    count=len(self.unmatched_lines),
                    lines=_few(self.unmatched_lines),
                )
            )
        if self.cycles:
            shown = "; ".join(" → ".join(map(str, [*c, c[0]])) for c in self.cycles[:SHOWN_LINES])
            out.append(text("org.cycles", count=len(self.cycles), cycles=shown))
        if self.managers_missing_lines:
            out.append(
                text(
                    "org.managers_missing",
                    count=len(self.managers_missing_lines),
                    lines=_few(self.managers_missing_lines),
                )
            )
        if self.ignored_columns:
            out.append(text("org.ignored_columns", columns=", ".join(self.ignored_columns)))
        if self.bad_values:
            values = [f"line {line} {column}" for line, column in self.bad_values]
            out.append(text("org.bad_values", count=len(values), values=_few(values)))
        if self.no_longer:
            out.append(text("org.no_longer", count=self.no_longer))
        return out


def _few(items: Iterable[object]) -> str:
    items = list(items)
    shown = ", ".join(map(str, items[:SHOWN_LINES]))
    if len(items) > SHOWN_LINES:
        shown += ", " + text("org.more", count=len(items) - SHOWN_LINES)
    return shown


async def find_by_email(
    client: AsyncWebClient, emails: list[str], *, concurrency: int
) -> dict[str, str]:
    """Slack user id of each email that belongs to an active member (others are left out)."""
    if len(emails) > LOOKUP_ONE_BY_ONE_MAX:
        return await _directory(client, set(emails))
    found: dict[str, str] = {}
    gate = asyncio.Semaphore(concurrency)

    async def lookup(email: str) -> None:
        async with gate:
            try:
                response = await client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") == "users_not_found":
                    return
                raise
        user = response["user"]
        if not user.get("deleted") and not user.get("is_bot"):
            found[email] = user["id"]

    await asyncio.gather(*(lookup(e) for e in emails))
    return found


async def _directory(client: AsyncWebClient, wanted: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    cursor = None
    while True:
        response = await client.users_list(limit=DIRECTORY_PAGE, cursor=cursor)
        for user in response["members"]:
            email = (user.get("profile") or {}).get("email", "").lower()
            if email in wanted and not user.get("deleted") and not user.get("is_bot"):
                found[email] = user["id"]
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return found


async def import_org(
    db: Database,
    client: AsyncWebClient,
    data: bytes,
    *,
    file: str,
    today: dt.date,
    concurrency: int = 8,
) -> ImportReport:
    """Read, resolve and store one file; raises OrgFileError before anything is stored."""
    parsed: OrgFile = read_org_csv(data, today=today, name=file)
    rows = parsed.rows
    emails = sorted({r.email for r in rows if r.slack_id is None and r.email})
    by_email = await find_by_email(client, emails, concurrency=concurrency)
    slack_of = [r.slack_id or by_email.get(r.email or "") for r in rows]
    chart = org_chart(rows)
    people = []
    for k, row in enumerate(rows):
        sid = slack_of[k]
        if sid is None:
            continue
        line = tuple(dict.fromkeys(s for m in chart.above[k] if (s := slack_of[m]) and s != sid))
        boss = chart.manager[k]
        people.append(
            ImportedPerson(
                slack_user_id=sid,
                department=row.department,
                manager_slack_id=slack_of[boss] if boss is not None else None,
                reporting_line=line,
                title=row.title,
                location=row.location,
                timezone=row.timezone,
                experience_band=row.band,
            )
        )
    async with db.session() as session:
        no_longer = await replace_org_data(session, people)
    report = ImportReport(
        rows=len(rows),
        matched=len(people),
        unmatched_lines=[row.line for k, row in enumerate(rows) if slack_of[k] is None],
        cycles=chart.cycles,
        managers_missing_lines=chart.manager_not_in_file,
        ignored_columns=parsed.ignored_columns,
        bad_values=parsed.bad_values,
        no_longer=no_longer,
    )
    log.info(
        "org import done",
        extra={
            "rows": report.rows,
            "matched": report.matched,
            "unmatched": len(report.unmatched_lines),
            "cycles": len(report.cycles),
            "no_longer": no_longer,
        },
    )
    return report


def read_limited(path: str, limit: int) -> bytes:
    """The file's bytes, reading at most one byte past ``limit`` (so a huge file is refused
    without being loaded)."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


async def run_org_import(settings: Settings, path: str) -> int:
    """`mentorbot org import FILE`: the report on stdout and exit 0 once the file was read;
    one line on stderr and exit 2 when the file cannot be imported (nothing is stored)."""
    name = Path(path).name
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except OSError:
        print(text("org.file_missing", file=path), file=sys.stderr)
        return 2
    ctx = build_context(settings)
    try:
        report = await import_org(
            ctx.db,
            ctx.client,
            data,
            file=name,
            today=ctx.clock.now().date(),
            concurrency=settings.slack_max_concurrency,
        )
    except OrgFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (SlackApiError, SlackUnreachable):
        print(text("org.slack_down"), file=sys.stderr)
        return 1
    finally:
        close = getattr(ctx.client, "aclose", None)
        if close is not None:
            await close()
        await ctx.db.dispose()
    print("\n".join(unescape(line) for line in report.lines(name)))  # a terminal, not Slack
    return 0
