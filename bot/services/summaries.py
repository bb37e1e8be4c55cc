"""What each check-in's answers came to, kept on the check-in row.

HR's report needs, per check-in, the outcome, how many gave feedback, the rating sums, the
thumbs and who cancelled. Aggregating every answer for each report took seconds once a program
held a million answers (bench/bench_report.py), so each change to an answer refreshes its
check-in's summary here, in the same transaction, and the report reads one row per check-in.

Answers are never deleted (erasing a person blanks their text only), so a check-in without
answers keeps the defaults: nobody answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import table_of
from bot.models import (
    PAIR_SUMMARY,
    WEEKLY_SUMMARY,
    Attendance,
    Checkin,
    Outcome,
    Pair,
    Response,
)


def outcome_code(attendance: Any) -> Any:
    """An answer's attendance as an Outcome code (NO_ANSWER when it has none)."""
    return case(
        (attendance == Attendance.MET, Outcome.MET.value),
        (attendance == Attendance.SCHEDULED, Outcome.SCHEDULED.value),
        (
            attendance.in_([Attendance.CANCELLED, Attendance.PARTNER_CANCELLED]),
            Outcome.CANCELLED.value,
        ),
        (attendance == Attendance.SKIPPED, Outcome.SKIPPED.value),
        else_=Outcome.NO_ANSWER.value,
    )


def _any(condition: Any) -> Any:
    return func.max(case((condition, 1), else_=0)) > 0


_RESPONSES, _CHECKINS, _PAIRS = table_of(Response), table_of(Checkin), table_of(Pair)


def _summaries() -> Any:
    """One row per answered check-in: its summary, computed from its answers. Written on the
    tables, not the models, so that the UPDATE built from it is Core: the ORM would annotate
    (and key anew) the whole statement on every execution."""
    answer, pair = _RESPONSES.c, _PAIRS.c
    said, author = answer.attendance, answer.participant_id
    gave_feedback = answer.feedback_submitted_at.is_not(None)
    return (
        select(
            answer.checkin_id,
            func.max(outcome_code(said)).label("outcome"),
            func.count(answer.feedback_submitted_at).label("answers"),
            func.coalesce(func.sum(answer.usefulness), 0).label("usefulness_sum"),
            func.count(answer.usefulness).label("usefulness_count"),
            func.coalesce(func.sum(answer.candour), 0).label("candour_sum"),
            func.count(answer.candour).label("candour_count"),
            func.count(case((answer.prompt_rating > 0, 1))).label("thumbs_up"),
            func.count(case((answer.prompt_rating < 0, 1))).label("thumbs_down"),
            _any(and_(author == pair.sharer_id, gave_feedback)).label("sharer_answered"),
            _any(and_(author == pair.learner_id, gave_feedback)).label("learner_answered"),
            # "I cancelled" from one, or "my partner cancelled" from the other: counted once.
            _any(
                or_(
                    and_(author == pair.sharer_id, said == Attendance.CANCELLED),
                    and_(author == pair.learner_id, said == Attendance.PARTNER_CANCELLED),
                )
            ).label("cancelled_by_sharer"),
            _any(
                or_(
                    and_(author == pair.learner_id, said == Attendance.CANCELLED),
                    and_(author == pair.sharer_id, said == Attendance.PARTNER_CANCELLED),
                )
            ).label("cancelled_by_learner"),
        )
        .select_from(
            _RESPONSES.join(_CHECKINS, _CHECKINS.c.id == answer.checkin_id).join(
                _PAIRS, pair.id == _CHECKINS.c.pair_id
            )
        )
        .group_by(answer.checkin_id)
    )


SUMMARY_COLUMNS = (*WEEKLY_SUMMARY, *PAIR_SUMMARY)


def _summarize(query: Any) -> Any:
    """UPDATE the check-ins `query` (a `_summaries()`, narrowed or not) computes."""
    fresh = query.subquery("fresh")
    return (
        update(_CHECKINS)
        .where(_CHECKINS.c.id == fresh.c.checkin_id)
        .values({name: fresh.c[name] for name in SUMMARY_COLUMNS})
    )


# Built once: every answer runs it (building and keying this statement anew was ~1 ms of CPU).
SUMMARIZE_SOME = _summarize(
    _summaries().where(_RESPONSES.c.checkin_id.in_(bindparam("checkin_ids", expanding=True)))
)


async def summarize_checkins(session: AsyncSession, checkin_ids: Iterable[int] | None) -> None:
    """Recompute the summaries of these check-ins from their answers; None: every check-in
    (after a bulk load). Pending ORM changes to answers are flushed first (the session's
    autoflush, as for any statement it executes)."""
    if checkin_ids is None:
        await session.execute(_summarize(_summaries()))
    else:
        await session.execute(SUMMARIZE_SOME, {"checkin_ids": list(checkin_ids)})
