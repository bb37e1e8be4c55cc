"""HR's CSV export: one row per pair per posted weekly check-in.

Only what HR may see: pair ids, weeks, dates, outcomes, answer counts, ratings and health; no
names, Slack ids or free text. A rating cell is filled only when both partners rated, so no cell
is one person's score that HR could attribute through the pair id.
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
    "answers",
    "avg_usefulness",
    "avg_candour",
    "health_so_far",
)
MIN_RATINGS_PER_CELL = 2  # both partners
PENDING = "pending"  # unanswered and less than a week old: not a miss yet


def _average(total: int | None, count: int) -> str:
    return f"{total / count:.2f}" if total is not None and count >= MIN_RATINGS_PER_CELL else ""


async def weekly_csv(
    session: AsyncSession,
    program_id: int,
    *,
    min_group: int = 5,
    now: dt.datetime | None = None,
) -> str:
    """The CSV text, oldest week first per pair; health is as it stood at the end of that week.

    `min_group` is checked like `program_report`'s so one setting drives both; a per-pair row has
    no group to suppress, which is why ratings need both partners instead.
    """
    check_min_group(min_group)
    program = await session.get(Program, program_id)
    if program is None:
        raise LookupError(f"no program {program_id}")
    now = now or dt.datetime.now(dt.UTC)
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
            facts.c.usefulness_sum,
            facts.c.usefulness_count,
            facts.c.candour_sum,
            facts.c.candour_count,
            Pair.created_at,
        )
        .join(Pair, Pair.id == facts.c.pair_id)
        .order_by(facts.c.pair_id, facts.c.week)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    tails: dict[int, deque[int]] = {}
    for row in rows:
        pair_id, week, period, sent_at, outcome, is_open, answers = row[:7]
        u_sum, u_n, c_sum, c_n, created = row[7:]
        tail = tails.setdefault(pair_id, deque(maxlen=HEALTH_TAIL))
        if not is_open:
            tail.append(outcome)
        as_of = min(week_start(program, week + 1), now.date())
        writer.writerow(
            [
                pair_id,
                week,
                period,
                sent_at.date().isoformat() if sent_at else "",
                PENDING if is_open else OUTCOMES[outcome],
                "true" if outcome == MET else "false",
                answers,
                _average(u_sum, u_n),
                _average(c_sum, c_n),
                health(list(tail), weeks_elapsed(program, created, as_of)),
            ]
        )
    return out.getvalue()
