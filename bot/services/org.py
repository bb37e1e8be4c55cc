"""Org data in the database: replace it with a new import, read it for matching and sign-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import OrgImport, OrgPerson
from bot.vocabulary import ExperienceBand


@dataclass(frozen=True)
class ImportedPerson:
    """One person of a new import, already found in Slack (no email kept)."""

    slack_user_id: str
    department: str | None
    manager_slack_id: str | None
    reporting_line: tuple[str, ...]
    title: str | None
    location: str | None
    timezone: str | None
    experience_band: ExperienceBand | None


async def replace_org_data(session: AsyncSession, people: Iterable[ImportedPerson]) -> int:
    """Make ``people`` the org data: update in place, add the new, and mark everyone else as no
    longer in the org data (kept, so their history stays). Returns how many were so marked.

    Runs in the caller's transaction: an import is applied whole or not at all.
    """
    existing = {row.slack_user_id: row for row in (await session.scalars(select(OrgPerson))).all()}
    listed = set()
    for person in people:
        listed.add(person.slack_user_id)
        row = existing.get(person.slack_user_id)
        if row is None:
            row = OrgPerson(slack_user_id=person.slack_user_id)
            session.add(row)
        row.department = person.department
        row.manager_slack_id = person.manager_slack_id
        row.reporting_line = list(person.reporting_line)
        row.title = person.title
        row.location = person.location
        row.timezone = person.timezone
        row.experience_band = person.experience_band
        row.in_org_data = True
    gone = [sid for sid, row in existing.items() if sid not in listed and row.in_org_data]
    for start in range(0, len(gone), 1000):
        await session.execute(
            update(OrgPerson)
            .where(OrgPerson.slack_user_id.in_(gone[start : start + 1000]))
            .values(in_org_data=False)
        )
    return len(gone)


async def org_records(session: AsyncSession, slack_ids: Iterable[str]) -> dict[str, OrgPerson]:
    """Current org data of these people (those the latest import still lists)."""
    ids = sorted(set(slack_ids))
    found: dict[str, OrgPerson] = {}
    for start in range(0, len(ids), 1000):
        rows = await session.scalars(
            select(OrgPerson).where(
                OrgPerson.slack_user_id.in_(ids[start : start + 1000]), OrgPerson.in_org_data
            )
        )
        found.update((row.slack_user_id, row) for row in rows.all())
    return found


async def record_import(
    session: AsyncSession,
    *,
    at: dt.datetime,
    by: str | None,
    file: str,
    rows: int,
    matched: int,
    unmatched: int,
    cycles: int,
    managers_missing: int,
    no_longer: int,
) -> None:
    """Keep what an import's report said (counts only), in the import's own transaction."""
    session.add(
        OrgImport(
            imported_at=at,
            imported_by=by,
            file_name=file[:120],
            rows=rows,
            matched=matched,
            unmatched=unmatched,
            cycles=cycles,
            managers_missing=managers_missing,
            no_longer=no_longer,
        )
    )


async def last_import(session: AsyncSession) -> OrgImport | None:
    """The latest import, for HR admins' App Home."""
    return await session.scalar(
        select(OrgImport).order_by(OrgImport.imported_at.desc(), OrgImport.id.desc()).limit(1)
    )
