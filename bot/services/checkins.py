"""Check-in answers: attendance clicks, private feedback, prompt ratings, surveys, goal progress.

A person may only answer their own pair's check-in; every function here takes the acting
participant, found from the Slack user who clicked or submitted, never from the payload's ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db import UPSERT_INSERTS, dialect_of, session_now, table_of, upsert_insert
from bot.forms import FeedbackForm, SurveyForm
from bot.models import (
    Attendance,
    Checkin,
    CheckinStatus,
    GoalProgress,
    GoalStatus,
    Pair,
    PairStatus,
    Participant,
    Response,
    SurveyResponse,
)
from bot.refusals import Refusal
from bot.services import participants as people
from bot.services.pairing import fit_question_asked
from bot.services.summaries import summarize_checkins

SURVEY_KINDS = ("mid", "end")


@dataclass
class CheckinScope:
    checkin: Checkin
    pair: Pair
    me: Participant
    partner: Participant
    fit_asked: bool  # the pair has been asked whether the pairing works (`pairing`)


_SHARER, _LEARNER = aliased(Participant), aliased(Participant)
# Built once: every click runs it, and SQLAlchemy then reuses its compiled form.
# It also locks the check-in row until commit (PostgreSQL; SQLite has one writer at a time and
# renders no lock), so that the two people's answers to one check-in are summarized one after
# the other: without it each transaction would summarize without the other's uncommitted
# answer. NO KEY UPDATE: answers and goal progress may still reference the row meanwhile.
SCOPE = (
    select(Checkin, Pair, _SHARER, _LEARNER, fit_question_asked(Checkin.pair_id))
    .outerjoin(Pair, Pair.id == Checkin.pair_id)
    .outerjoin(_SHARER, _SHARER.id == Pair.sharer_id)
    .outerjoin(_LEARNER, _LEARNER.id == Pair.learner_id)
    .where(Checkin.id == bindparam("checkin_id"))
    .with_for_update(of=Checkin, key_share=True)
)


async def scope_for(session: AsyncSession, checkin_id: int | None, user_id: str) -> CheckinScope:
    """The check-in as seen by `user_id`, locked for answering (`SCOPE`); a Refusal when it is
    gone or not theirs to answer.

    One statement reads the check-in, its pair, both people and whether the pair has been
    asked about its fit, and takes the lock (it was six).
    """
    row = (
        (await session.execute(SCOPE, {"checkin_id": checkin_id})).one_or_none()
        if checkin_id is not None
        else None
    )
    if row is None or row[0].status != CheckinStatus.POSTED:
        raise Refusal("checkin.gone")
    checkin, pair, sharer, learner, fit_asked = row
    people_in_pair = [p for p in (sharer, learner) if p is not None]
    me = next((p for p in people_in_pair if p.slack_user_id == user_id), None)
    if pair is None or me is None:
        raise Refusal("checkin.not_yours")
    if pair.status != PairStatus.ACTIVE:
        raise Refusal("checkin.gone")
    partner = learner if me is sharer else sharer
    assert partner is not None
    return CheckinScope(checkin, pair, me, partner, bool(fit_asked))


async def ensure_response(session: AsyncSession, scope: CheckinScope) -> Response:
    """The person's one response row for the scope's check-in, created if missing (race-safe
    upsert). Callers change it and then call `summarize_checkins`: `scope_for` locked the
    check-in."""
    checkin_id, participant_id = scope.checkin.id, scope.me.id
    now = session_now(session)
    await session.execute(
        upsert_insert(session)(Response)
        .values(
            checkin_id=checkin_id,
            participant_id=participant_id,
            quote_ok=False,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["checkin_id", "participant_id"])
    )
    response = await session.scalar(
        select(Response)
        .where(Response.checkin_id == checkin_id, Response.participant_id == participant_id)
        .execution_options(populate_existing=True)
    )
    assert response is not None
    return response


# Built once: every answer redraws its check-in with who has answered.
_ANSWERED = select(Response.participant_id).where(
    Response.checkin_id == bindparam("checkin_id"),
    Response.attendance.is_not(None) | Response.feedback_submitted_at.is_not(None),
)


async def answered_status(session: AsyncSession, checkin: Checkin) -> list[tuple[str, bool]]:
    """[(slack id, answered?)] for the sharer then the learner: who, never what."""
    pair = await session.get(Pair, checkin.pair_id)
    assert pair is not None
    answered = set((await session.scalars(_ANSWERED, {"checkin_id": checkin.id})).all())
    result = []
    for pid in (pair.sharer_id, pair.learner_id):
        person = await session.get(Participant, pid)
        assert person is not None
        result.append((person.slack_user_id, pid in answered))
    return result


def _attendance_upsert(dialect: str) -> Any:
    """INSERT the person's answer with `attendance`, or UPDATE it if it says something else."""
    insert = UPSERT_INSERTS[dialect]
    statement = insert(table_of(Response)).values(  # Core: see `table_of`
        checkin_id=bindparam("checkin_id"),
        participant_id=bindparam("participant_id"),
        attendance=bindparam("attendance"),
        quote_ok=False,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["checkin_id", "participant_id"],
        set_={
            "attendance": statement.excluded.attendance,
            "updated_at": statement.excluded.updated_at,
        },
        where=Response.attendance.is_distinct_from(statement.excluded.attendance),
    )


ATTENDANCE_UPSERT = {dialect: _attendance_upsert(dialect) for dialect in UPSERT_INSERTS}


async def record_attendance(
    session: AsyncSession, scope: CheckinScope, attendance: Attendance
) -> bool:
    """Store the click; True when the pair is to be asked whether the pairing works (it
    records their first meeting, `fit_question_due`).

    One upsert (it was an insert, a read back and an update); the row changes only when the
    answer does, as the ORM did.
    """
    await session.execute(
        ATTENDANCE_UPSERT[dialect_of(session)],
        {
            "checkin_id": scope.checkin.id,
            "participant_id": scope.me.id,
            "attendance": attendance,
            "now": session_now(session),
        },
    )
    await summarize_checkins(session, [scope.checkin.id])
    return await fit_question_due(session, scope, attendance)


async def rate_prompt(session: AsyncSession, scope: CheckinScope, rating: int) -> None:
    response = await ensure_response(session, scope)
    response.prompt_rating = 1 if rating > 0 else -1
    await summarize_checkins(session, [scope.checkin.id])


async def save_feedback(
    session: AsyncSession, scope: CheckinScope, data: FeedbackForm, now: dt.datetime
) -> bool:
    """Store (or replace) the person's answer; goal progress goes into each goal's history.

    True when the pair is to be asked whether the pairing works (`fit_question_due`).
    """
    response = await ensure_response(session, scope)
    response.attendance = Attendance(data.attendance)
    response.usefulness = data.usefulness
    response.candour = data.candour
    response.learned_text = data.learned or None
    response.blockers_text = data.blockers or None
    response.quote_ok = data.quote_ok
    response.feedback_submitted_at = now
    await summarize_checkins(session, [scope.checkin.id])
    own_goals = {g.id: g for g in await people.open_goals(session, scope.me)}
    for goal_id, progress in data.goal_progress.items():
        goal = own_goals.get(goal_id)  # ids from the payload are checked against the author's
        if goal is None or goal.progress == progress:
            continue
        goal.progress = progress
        if progress == 100:
            goal.status = GoalStatus.ACHIEVED
        session.add(
            GoalProgress(
                goal_id=goal.id,
                progress=progress,
                source="checkin",
                checkin_id=scope.checkin.id,
                recorded_at=now,
            )
        )
    return await fit_question_due(session, scope, response.attendance)


async def fit_question_due(
    session: AsyncSession, scope: CheckinScope, attendance: Attendance | None
) -> bool:
    """True when this 'met' answer records the pair's first meeting (exactly one check-in of
    the pair has a 'met' answer) and the pair has not been asked yet: once it has, counting
    its meetings again is work whose answer is already known."""
    if attendance != Attendance.MET or scope.fit_asked:
        return False
    met = await session.scalars(
        select(Response.checkin_id)
        .join(Checkin, Checkin.id == Response.checkin_id)
        .where(Checkin.pair_id == scope.pair.id, Response.attendance == Attendance.MET)
        .distinct()
    )
    return len(met.all()) == 1


def survey_kind(kind: object) -> str:
    """A survey kind from a payload: 'mid' or 'end', anything else is a check-in that is gone."""
    if kind in SURVEY_KINDS:
        return str(kind)
    raise Refusal("checkin.gone")


async def survey_answer(
    session: AsyncSession, scope: CheckinScope, kind: str
) -> SurveyResponse | None:
    """The person's earlier answer to this program's `kind` survey, to prefill the modal."""
    found: SurveyResponse | None = await session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.program_id == scope.pair.program_id,
            SurveyResponse.participant_id == scope.me.id,
            SurveyResponse.kind == kind,
        )
    )
    return found


async def save_survey(
    session: AsyncSession, scope: CheckinScope, kind: str, form: SurveyForm
) -> None:
    """Store (or replace) the person's answer to the `kind` survey."""
    existing = await survey_answer(session, scope, kind)
    if existing is None:
        existing = SurveyResponse(
            program_id=scope.pair.program_id, participant_id=scope.me.id, kind=kind
        )
        session.add(existing)
    existing.recommend = form.recommend
    existing.goal_attainment = form.attainment
    existing.what_changed = form.changed or None
    existing.quote_ok = form.quote_ok
