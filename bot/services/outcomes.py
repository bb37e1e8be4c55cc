"""Measured outcomes: confidence (1-5) in each topic someone wants to learn, at sign-up and in
the end survey, and the learning gain HR's final report shows per topic and per side.

Gains are computed only from people who answered both times, and a group (a topic, a side)
is shown only with at least `min_group` such people, so no figure comes from fewer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import ConfidenceRating, Enrolment, Participant
from bot.vocabulary import Role

BEFORE, AFTER = "before", "after"
PHASES = (BEFORE, AFTER)


async def topics_to_rate(
    session: AsyncSession, participant: Participant, program_id: int, phase: str
) -> list[str]:
    """What to ask about: the person's learn topics at sign-up; at the end, the topics they
    rated at the start of this program (so before and after compare the same things)."""
    if phase == BEFORE:
        return list(participant.learn_topics or [])
    rows = await session.scalars(
        select(ConfidenceRating.topic)
        .where(
            ConfidenceRating.program_id == program_id,
            ConfidenceRating.participant_id == participant.id,
            ConfidenceRating.phase == BEFORE,
        )
        .order_by(ConfidenceRating.id)
    )
    return list(rows.all())


async def save_ratings(
    session: AsyncSession,
    participant: Participant,
    program_id: int,
    phase: str,
    ratings: dict[str, int],
) -> None:
    """Replace this person's ratings of this phase in this program (answering again updates)."""
    await session.execute(
        delete(ConfidenceRating).where(
            ConfidenceRating.program_id == program_id,
            ConfidenceRating.participant_id == participant.id,
            ConfidenceRating.phase == phase,
        )
    )
    session.add_all(
        ConfidenceRating(
            program_id=program_id,
            participant_id=participant.id,
            topic=topic[:60],
            phase=phase,
            rating=rating,
        )
        for topic, rating in ratings.items()
    )


@dataclass(frozen=True)
class Gain:
    group: str  # a topic, or a side ("share" / "learn")
    people: int
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class LearningGains:
    by_topic: list[Gain]
    by_side: list[Gain]
    answered_both: int
    suppressed: int  # groups left out for being smaller than the privacy minimum


async def learning_gains(session: AsyncSession, program_id: int, min_group: int) -> LearningGains:
    """Average confidence before and after, per topic and per side, over people who rated a
    topic both times; groups under `min_group` people are suppressed. The side is the role a
    person had in this program, which a later program does not change."""
    before, after = aliased(ConfidenceRating), aliased(ConfidenceRating)
    rows = (
        await session.execute(
            select(before.participant_id, Enrolment.role, before.topic, before.rating, after.rating)
            .join(
                after,
                (after.program_id == before.program_id)
                & (after.participant_id == before.participant_id)
                & (after.topic == before.topic)
                & (after.phase == AFTER),
            )
            .join(
                Enrolment,
                (Enrolment.program_id == before.program_id)
                & (Enrolment.participant_id == before.participant_id),
            )
            .where(before.program_id == program_id, before.phase == BEFORE)
        )
    ).all()
    topics: dict[str, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    sides: dict[str, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for person, role, topic, was, now in rows:
        topics[topic][person].append((was, now))
        side = role.value if isinstance(role, Role) else str(role)
        sides[side][person].append((was, now))

    def gains(groups: dict[str, dict[int, list[tuple[int, int]]]]) -> tuple[list[Gain], int]:
        shown, hidden = [], 0
        for name, by_person in sorted(groups.items()):
            if len(by_person) < min_group:
                hidden += 1
                continue
            pairs = [p for answers in by_person.values() for p in answers]
            shown.append(
                Gain(
                    group=name,
                    people=len(by_person),
                    before=sum(w for w, _ in pairs) / len(pairs),
                    after=sum(n for _, n in pairs) / len(pairs),
                )
            )
        return shown, hidden

    by_topic, hidden_topics = gains(topics)
    by_side, hidden_sides = gains(sides)
    people = {person for person, *_ in rows}
    return LearningGains(by_topic, by_side, len(people), hidden_topics + hidden_sides)
