"""The end-of-program survey when a cancelled week takes away the check-in that would carry it.

The end survey rides on a pair's last check-in. When the pair cancels the last week after the
check-in before it went out (without the survey: it was not the last then), no check-in is left
to carry it, and HR's final report would lose the pair's recommendation, goal attainment and
"after" confidence. The cancellation's own transaction then stores a delivery row of its own
(period "end-survey", already claimed by the click that stores it), so the message is posted once
through `bot.scheduler.delivery`: by the click right after the commit, or, if that process died
or Slack failed, by the next check-in pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import scheduling
from bot.models import (
    Checkin,
    CheckinStatus,
    Pair,
    PairStatus,
    Program,
    ProgramStatus,
)
from bot.refusals import Refusal
from bot.services.meetings import MeetingState, send_times
from bot.services.programs import calendar

END_SURVEY_PERIOD = "end-survey"
END_SURVEY_KIND = "survey_end"  # not a weekly check-in: reports and reminders leave it out
END = "end"


@dataclass(frozen=True)
class EndSurvey:
    """Where the pair answers the end survey after a cancellation.

    `checkin_id`: the pair's latest posted check-in, whose id the survey button carries (the
    survey flow needs a posted check-in of the pair; the answer is keyed by program, person and
    kind, not by check-in). `claim_id`: the claimed delivery row of a message of its own, when
    one is owed.
    """

    checkin_id: int
    claim_id: int | None


def offered(row: Checkin) -> bool:
    """A row that carries the end survey to the pair: posted with it, on its way with it, or
    posted with it and cancelled since (its redraw keeps the survey button). A check-in cancelled
    while its post was on the way never counts: the message that lands is redrawn without it."""
    return row.survey == END and (row.status != CheckinStatus.CANCELLED or row.sent_at is not None)


async def after_cancel(
    session: AsyncSession, state: MeetingState, now: dt.datetime
) -> EndSurvey | None:
    """After a week's cancellation (in its transaction): where the end survey can be answered,
    claiming a message of its own when the pair has not been offered it and no check-in still
    to come will carry it. None when the pair has no posted check-in to answer it on."""
    rows = (await session.scalars(select(Checkin).where(Checkin.pair_id == state.pair.id))).all()
    posted = [r for r in rows if r.kind == "checkin" and r.status == CheckinStatus.POSTED]
    if not posted:
        return None
    latest = max(posted, key=lambda r: r.week)
    cal = calendar(state.program)
    weeks_left = send_times(cal, state.sharer, state.learner, state)  # cancelled weeks left out
    keys = {r.period_key for r in rows}
    coming = bool(weeks_left) and scheduling.period_key(cal, max(weeks_left)) not in keys
    if coming or any(offered(r) for r in rows):
        return EndSurvey(latest.id, None)
    claim = Checkin.new_claim(
        pair_id=state.pair.id,
        program_id=state.pair.program_id,
        period_key=END_SURVEY_PERIOD,
        week=latest.week,
        kind=END_SURVEY_KIND,
        survey=END,
        due_at=now,
        now=now,
    )
    session.add(claim)
    await session.flush()
    return EndSurvey(latest.id, claim.id)


@dataclass(frozen=True)
class OwedSurvey:
    """An end-survey message stored but not yet posted (its click's process died, or Slack
    failed): the pair, its group DM and the check-in id its button carries."""

    pair_id: int
    channel: str
    week: int
    checkin_id: int


async def owed_end_surveys(session: AsyncSession) -> list[OwedSurvey]:
    """End-survey messages not yet posted, of running pairs in open programs (a closed program
    takes no more answers)."""
    rows = (
        await session.execute(
            select(Checkin.pair_id, Checkin.week, Pair.dm_channel_id)
            .join(Pair, Pair.id == Checkin.pair_id)
            .join(Program, Program.id == Pair.program_id)
            .where(
                Checkin.period_key == END_SURVEY_PERIOD,
                Checkin.status != CheckinStatus.POSTED,
                Pair.status == PairStatus.ACTIVE,
                Pair.dm_channel_id.is_not(None),
                Program.status == ProgramStatus.OPEN,
            )
            .order_by(Checkin.pair_id)
        )
    ).all()
    owed = []
    for pair_id, week, channel in rows:
        checkin_id = await latest_posted_checkin(session, pair_id)
        if checkin_id is not None and channel:
            owed.append(OwedSurvey(pair_id, channel, week, checkin_id))
    return owed


async def latest_posted_checkin(session: AsyncSession, pair_id: int) -> int | None:
    found: int | None = await session.scalar(
        select(Checkin.id)
        .where(
            Checkin.pair_id == pair_id,
            Checkin.kind == "checkin",
            Checkin.status == CheckinStatus.POSTED,
        )
        .order_by(Checkin.week.desc())
        .limit(1)
    )
    return found


async def require_answerable(session: AsyncSession, checkin: Checkin, kind: str) -> None:
    """A Refusal unless the pair was given the `kind` survey to answer on this check-in: it
    carried it, or it is the pair's latest posted check-in and the end survey reached the pair
    another way (its own message, or a cancelled last check-in that kept its button). Survey
    buttons name a check-in in their value, which a person could edit: an end survey answered
    in week 2 would count in HR's final figures."""
    if checkin.survey == kind:
        return
    if kind == END and await latest_posted_checkin(session, checkin.pair_id) == checkin.id:
        rows = await session.scalars(
            select(Checkin).where(Checkin.pair_id == checkin.pair_id, Checkin.survey == END)
        )
        if any(offered(row) for row in rows.all()):
            return
    raise Refusal("checkin.survey_not_here")
