"""HR's CSV export: one row per pair per posted weekly check-in or week cancelled ahead.

Only facts about meetings: pair id, week, dates, what happened (met, scheduled, skipped,
cancelled, no answer, or ``cancelled_ahead``: the pair said "We can't meet this week", so there
was no check-in and it is not a miss), how many of the two gave feedback, the pair's health and
status. Never a rating, a survey answer or anything else computed from fewer than
PRIVACY_MIN_GROUP_SIZE people: a pair is two people, so an average of two ratings still reveals
each (a 5.00 reveals both).
No names, Slack ids or free text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import deque

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import scheduling
from bot.models import Pair, Program
from bot.reports.metrics import (
    HEALTH_TAIL,
    MET,
    OUTCOMES,
    cancelled_weeks,
    check_min_group,
    checkin_facts,
    health,
    week_start,
    weeks_elapsed,
)
from bot.services.programs import calendar

HEADER = (
    "pair_id",
    "week",
    "period",
    "sent_on",
    "outcome",
    "met",
    "answered",
    "health_so_far",
    "pair_status",
)
PENDING = "pending"  # unanswered and less than a week old: not a miss yet
CANCELLED_AHEAD = "cancelled_ahead"  # "We can't meet this week": no check-in, not a miss


async def weekly_csv(
    session: AsyncSession,
    program_id: int,
    *,
    min_group: int = 5,
    now: dt.datetime | None = None,
) -> str:
    """The CSV text, oldest week first per pair; health is as it stood at the end of that week.

    `min_group` is checked like `program_report`'s so one setting drives both; a per-pair row is
    always under it, which is why no row carries anything computed from answers.
    """
    check_min_group(min_group)
    program = await session.get(Program, program_id)
    if program is None:
        raise LookupError(f"no program {program_id}")
    now = now or dt.datetime.now(dt.UTC)
    facts = checkin_facts(program_id, now).subquery("facts")
    rows = (
        await session.execute(
            select(
                facts.c.pair_id,
                facts.c.week,
                facts.c.period_key,
                facts.c.sent_at,
                facts.c.outcome,
                facts.c.open,
                facts.c.answers,
                Pair.created_at,
                Pair.status,
            )
            .join(Pair, Pair.id == facts.c.pair_id)
            .order_by(facts.c.pair_id, facts.c.week)
        )
    ).all()
    cancelled = await cancelled_weeks(session, program_id)
    pairs = {row.pair_id: (row.created_at, row.status) for row in rows}
    if unseen := {pair_id for pair_id, _ in cancelled} - set(pairs):
        found = await session.execute(
            select(Pair.id, Pair.created_at, Pair.status).where(Pair.id.in_(unseen))
        )
        pairs.update({pair_id: (created, status) for pair_id, created, status in found})
    # Oldest week first per pair; a cancelled week has no check-in, so no row of `rows`.
    weeks = sorted(
        [(row.pair_id, row.week, row) for row in rows]
        + [(pair_id, week, None) for pair_id, week in cancelled],
        key=lambda item: item[:2],
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    tails: dict[int, deque[int]] = {}
    for pair_id, week, row in weeks:
        created, status = pairs[pair_id]
        tail = tails.setdefault(pair_id, deque(maxlen=HEALTH_TAIL))
        if row is None:  # cancelled ahead: not a miss, so the health tail leaves it out
            period = scheduling.period_key(calendar(program), week)
            cells = [period, "", CANCELLED_AHEAD, "false", ""]
        else:
            if not row.open:
                tail.append(row.outcome)
            cells = [
                row.period_key,
                row.sent_at.date().isoformat() if row.sent_at else "",
                PENDING if row.open else OUTCOMES[row.outcome],
                "true" if row.outcome == MET else "false",
                f"{row.answers} of 2",
            ]
        as_of = min(week_start(program, week + 1), now.date())
        health_so_far = health(list(tail), weeks_elapsed(program, created, as_of))
        writer.writerow([pair_id, week, *cells, health_so_far, status])  # status: today's
    return out.getvalue()
