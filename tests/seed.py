"""A small seeded program for tests that need a pair: no Slack, just rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from bot.db import Database
from bot.models import Checkin, CheckinStatus, Enrolment, Pair, Participant, Program
from tests.conftest import START

NOW = START + dt.timedelta(days=9)
PAIR_CHANNEL = "G0PAIR001"


def participant(user_id: str, role: str, program_id: int | None) -> Participant:
    return Participant(
        slack_user_id=user_id,
        program_id=program_id,
        role=role,
        experience_band="0-2",
        share_topics=["AI"],
        learn_topics=["Figma"],
    )


def enrolments(people: Iterable[Participant]) -> list[Enrolment]:
    """What joining writes next to each profile with a program: its place there (ids flushed)."""
    return [
        Enrolment(program_id=p.program_id, participant_id=p.id, role=p.role, enrolled_at=START)
        for p in people
        if p.program_id is not None
    ]


async def seed_pair(db: Database) -> int:
    """One program ('Spring cohort') with one active pair (U0SHARE01, U0LEARN01) kicked off in
    PAIR_CHANNEL, and its posted week-2 check-in; plus U0OTHER01 in the program, not in the pair.
    Returns the pair's id."""
    async with db.session() as s:
        program = Program(name="Spring cohort", start_date=START.date(), length_weeks=12)
        s.add(program)
        await s.flush()
        sharer = participant("U0SHARE01", "share", program.id)
        learner = participant("U0LEARN01", "learn", program.id)
        people = [sharer, learner, participant("U0OTHER01", "learn", program.id)]
        s.add_all(people)
        await s.flush()
        s.add_all(enrolments(people))
        pair = Pair(
            program_id=program.id,
            sharer_id=sharer.id,
            learner_id=learner.id,
            dm_channel_id=PAIR_CHANNEL,
            kickoff_ts="1.1",
            created_at=START,
        )
        s.add(pair)
        await s.flush()
        s.add(
            Checkin(
                program_id=program.id,
                pair_id=pair.id,
                period_key="w02",
                week=2,
                kind="checkin",
                status=CheckinStatus.POSTED,
                message_ts="2.1",
                due_at=NOW,
                sent_at=NOW,
            )
        )
        return pair.id


async def checkin_id_of(db: Database, pair_id: int) -> int:
    async with db.session() as s:
        found = await s.scalar(select(Checkin.id).where(Checkin.pair_id == pair_id))
    assert found is not None
    return found
