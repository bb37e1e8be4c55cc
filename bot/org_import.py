"""Import HR's people CSV: read it, find each person in Slack, store it whole, report by line.

One pipeline for ``mentorbot org import FILE.csv`` and for the same file given in Slack (the App
Home's import modal, or shared in the bot's DM: ``bot.handlers.org``, which downloads it with
:func:`download_org_file`). People are found by the file's Slack id or, by email:
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
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.context import AppContext
from bot.db import Database
from bot.orgdata import MAX_FILE_BYTES, OrgFile, OrgFileError, org_chart, read_org_csv, too_large
from bot.services.org import ImportedPerson, record_import, replace_org_data
from bot.slack_client import SlackUnreachable
from bot.texts import counted, text
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
            text("org.read", rows=counted(self.rows, "row"), file=file),
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
            out.append(text("org.no_longer", people=counted(self.no_longer, "person")))
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
    now: dt.datetime,
    imported_by: str | None = None,
    concurrency: int = 8,
) -> ImportReport:
    """Read, resolve and store one file, with a record of the import (``imported_by``: the
    HR admin in Slack, None for the command line); raises OrgFileError before anything is
    stored."""
    parsed: OrgFile = read_org_csv(data, today=now.date(), name=file)
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
    unmatched = [row.line for k, row in enumerate(rows) if slack_of[k] is None]
    async with db.session() as session:
        no_longer = await replace_org_data(session, people)
        await record_import(
            session,
            at=now,
            by=imported_by,
            file=file,
            rows=len(rows),
            matched=len(people),
            unmatched=len(unmatched),
            cycles=len(chart.cycles),
            managers_missing=len(chart.manager_not_in_file),
            no_longer=no_longer,
        )
    report = ImportReport(
        rows=len(rows),
        matched=len(people),
        unmatched_lines=unmatched,
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


async def import_for(
    ctx: AppContext, data: bytes, *, file: str, imported_by: str | None = None
) -> ImportReport:
    """`import_org` with the running bot's database, client, clock and Slack concurrency."""
    return await import_org(
        ctx.db,
        ctx.client,
        data,
        file=file,
        now=ctx.clock.now(),
        imported_by=imported_by,
        concurrency=ctx.settings.slack_max_concurrency,
    )


def read_limited(path: str, limit: int) -> bytes:
    """The file's bytes, reading at most one byte past ``limit`` (so a huge file is refused
    without being loaded)."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


CSV_FILETYPES = frozenset({"csv"})
DOWNLOAD_TIMEOUT = httpx.Timeout(10.0, read=60.0)


@dataclass(frozen=True)
class SlackFile:
    """A file someone gave the bot in Slack, as files.info describes it."""

    id: str
    name: str
    filetype: str
    size: int
    url: str  # url_private_download: Slack serves it only with the bot token


async def file_info(client: AsyncWebClient, file_id: str) -> SlackFile:
    """files.info, the authoritative description (event and view payloads may carry a partial
    file object, ``file_access: check_file_info``)."""
    found: dict[str, Any] = (await client.files_info(file=file_id))["file"]
    return SlackFile(
        id=file_id,
        name=str(found.get("name") or found.get("title") or file_id),
        filetype=str(found.get("filetype") or ""),
        size=int(found.get("size") or 0),
        url=str(found.get("url_private_download") or found.get("url_private") or ""),
    )


def check_org_file(file: SlackFile) -> None:
    """Refuse, before downloading it, a file that is not a CSV or is too large to import."""
    if file.filetype not in CSV_FILETYPES and not file.name.lower().endswith(".csv"):
        raise OrgFileError(text("org.not_csv", file=file.name))
    if file.size > MAX_FILE_BYTES:
        raise OrgFileError(too_large(file.name))


async def download_org_file(client: AsyncWebClient, file: SlackFile) -> bytes:
    """The file's bytes, fetched with the bot token (Slack's `files:read`), at most one byte
    past the import's limit. The token is sent only to Slack's own hosts (those of the Web API
    URL the bot is configured with, e.g. files.slack.com for slack.com)."""
    api_host = urlsplit(client.base_url).hostname or ""
    host = urlsplit(file.url).hostname or ""
    if not file.url or not (host == api_host or host.endswith("." + api_host)):
        raise OrgFileError(text("org.not_downloadable", file=file.name))
    data = bytearray()
    headers = {"Authorization": f"Bearer {client.token}"}
    async with (
        httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as http,
        http.stream("GET", file.url, headers=headers) as response,
    ):
        if response.status_code != 200:
            raise OrgFileError(text("org.not_downloadable", file=file.name))
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > MAX_FILE_BYTES:
                break
    return bytes(data)


async def run_org_import(settings: Settings, path: str) -> int:
    """`mentorbot org import FILE`: the report on stdout and exit 0 once the file was read;
    one line on stderr and exit 2 when the file cannot be imported (nothing is stored)."""
    from bot.app import build_context  # the app registers the listeners that use this module

    name = Path(path).name
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except OSError:
        print(text("org.file_missing", file=path), file=sys.stderr)
        return 2
    ctx = build_context(settings)
    try:
        report = await import_for(ctx, data, file=name)
    except OrgFileError as exc:
        print(unescape(str(exc)), file=sys.stderr)  # a terminal, not Slack
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
