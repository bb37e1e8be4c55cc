"""HR's CSV export: one row per pair per posted weekly check-in.

Only facts about meetings: pair id, week, dates, what happened (met, scheduled, skipped,
cancelled, no answer), how many of the two gave feedback, the pair's health and status. Never a
rating, a survey answer or anything else computed from fewer than PRIVACY_MIN_GROUP_SIZE people:
a pair is two people, so an average of two ratings still reveals each (a 5.00 reveals both).
No names, Slack ids or free text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import deque

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Pair, Program
from bot.reports.metrics import (
    HEALTH_TAIL,
    MET,
    OUTCOMES,
    as_of,
    check_min_group,
    checkin_facts,
    health,
    week_start,
    weeks_elapsed,
)

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
    now = as_of(program, now or dt.datetime.now(dt.UTC))
    facts = checkin_facts(program_id, now).subquery("facts")
    rows = await session.execute(
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    tails: dict[int, deque[int]] = {}
    for row in rows:
        pair_id, week, period, sent_at, outcome, is_open, answers, created, status = row
        tail = tails.setdefault(pair_id, deque(maxlen=HEALTH_TAIL))
        if not is_open:
            tail.append(outcome)
        week_end = min(week_start(program, week + 1), now.date())
        writer.writerow(
            [
                pair_id,
                week,
                period,
                sent_at.date().isoformat() if sent_at else "",
                PENDING if is_open else OUTCOMES[outcome],
                "true" if outcome == MET else "false",
                f"{answers} of 2",
                health(list(tail), weeks_elapsed(program, created, week_end)),
                status,  # today's: active or ended
            ]
        )
    return out.getvalue()
