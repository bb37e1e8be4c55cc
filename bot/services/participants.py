"""Participants: sign-up, goals and self-service (pause, resume, leave, erase).

Every function takes the session it works in; the caller owns the transaction, so a multi-row
change (ending a pair when someone leaves) commits or rolls back as one.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import NewRow, insert_new
from bot.forms import GoalInput, SignupForm
from bot.ids import MAX_GOALS
from bot.models import (
    Goal,
    GoalProgress,
    GoalStatus,
    MatchProposal,
    OrgPerson,
    Pair,
    PairingFeedback,
    PairStatus,
    Participant,
    ParticipantStatus,
    Program,
    Response,
    SurveyResponse,
    Topic,
)
from bot.refusals import Refusal
from bot.services import enrolments, meetings
from bot.texts import raw, until

ERASED_PREFIX = "erased:"
GONE = (ParticipantStatus.LEFT, ParticipantStatus.DELETED)  # no longer in any program


async def get_participant(session: AsyncSession, user_id: str) -> Participant | None:
    return await session.scalar(select(Participant).where(Participant.slack_user_id == user_id))


async def topic_catalogue(session: AsyncSession) -> list[str]:
    """The built-in topics plus those HR added, in a stable order."""
    added = (await session.scalars(select(Topic.label).order_by(Topic.id))).all()
    seen: dict[str, str] = {}
    for label in [*raw("catalogue.topics"), *added]:
        seen.setdefault(label.lower(), label)
    return list(seen.values())


#: Which topics HR has added so far, as (highest id, count): topics are only ever added
#: (`add_topics`), so any addition changes it. Read as columns of a statement the caller sends
#: anyway (`signups.joining`), to know whether `TopicCatalogue` must read the labels again.
TOPICS_VERSION = (
    select(func.max(Topic.id)).scalar_subquery().label("topics_max_id"),
    select(func.count(Topic.id)).scalar_subquery().label("topics_count"),
)


class TopicCatalogue:
    """The topic catalogue as this process last read it, read again when HR has added a topic.

    The sign-up modal shows the catalogue on every `/mentoring join`, and it changes only when
    HR adds a topic, perhaps from another process: so the caller reads the catalogue's version
    (`TOPICS_VERSION`) in a statement it sends anyway, and the labels are read only when that
    differs from the version they were read at. One per database (`AppContext.topics`).
    """

    def __init__(self) -> None:
        self._version: tuple[int | None, int] | None = None
        self._labels: list[str] = []

    async def labels(self, session: AsyncSession, version: tuple[int | None, int]) -> list[str]:
        if version != self._version:
            # Read after `version` in the same transaction: never older than it says.
            self._labels, self._version = await topic_catalogue(session), version
        return list(self._labels)


async def add_topics(session: AsyncSession, labels: list[str], added_by: str) -> list[str]:
    """Add new labels to the catalogue; returns those that were new."""
    existing = {t.lower() for t in await topic_catalogue(session)}
    new = [label for label in labels if label.lower() not in existing]
    session.add_all(Topic(label=label, added_by=added_by) for label in new)
    return new


def signup_profile(form: SignupForm, org: OrgPerson | None, next_round: bool) -> dict[str, Any]:
    """The profile columns a sign-up sets. With HR's org data the modal does not ask
    department and manager: they come from it."""
    return {
        "role": form.role,
        "experience_band": form.experience_band,
        "department": (org.department if org else None) or form.department or None,
        "manager_slack_id": org.manager_slack_id if org else form.manager_id,
        "share_topics": form.all_share_topics,
        "learn_topics": form.all_learn_topics,
        "share_other": form.share_other or None,
        "learn_other": form.learn_other or None,
        "timezone": form.timezone,
        "available_days": [str(day) for day in form.available_days],
        "time_of_day": form.time_of_day,
        "meeting_minutes": form.meeting_minutes,
        "consent_quote": form.consent_quote,
        "next_round": next_round,
    }


async def save_signup(
    session: AsyncSession,
    *,
    user_id: str,
    current: Participant | None,
    display_name: str | None,
    form: SignupForm,
    program: Program | None,
    now: dt.datetime,
    next_round: bool = False,
    org: OrgPerson | None = None,
) -> tuple[Participant, bool, list[Goal]]:
    """Create or update the person's one profile row (`current`, the caller's read of it);
    returns (participant, created, the goals this sign-up added)."""
    profile = signup_profile(form, org, next_round)
    if current is None:
        participant, added = await save_newcomer(
            session, user_id, display_name, profile, form.first_goal, program, now
        )
        return participant, True, added
    participant = current
    # Profile and goals carry over between programs; a person is in one running pair at a
    # time, so someone still paired stays in their program until that pair ends. Someone
    # moving leaves their program before this sign-up changes their profile: it keeps them
    # as they were there.
    moving = False
    if program and participant.program_id not in (None, program.id):
        moving = await active_pair(session, participant) is None
        if moving:
            await enrolments.move_out(session, participant, now)
    participant.display_name = display_name or participant.display_name
    for column, value in profile.items():
        setattr(participant, column, value)
    if participant.status == ParticipantStatus.LEFT:
        participant.status = ParticipantStatus.ACTIVE  # re-joining after leaving
    if program is not None and (participant.program_id in (None, program.id) or moving):
        await enrolments.enrol(session, participant, program, now)
    goals_added: list[Goal] = []
    if form.first_goal is not None:
        goals = await open_goals(session, participant)
        if not goals:
            goals_added = await save_goals(
                session, participant, [form.first_goal], now, open_now=goals
            )
    return participant, False, goals_added


async def save_newcomer(
    session: AsyncSession,
    user_id: str,
    display_name: str | None,
    profile: dict[str, Any],
    first_goal: GoalInput | None,
    program: Program | None,
    now: dt.datetime,
) -> tuple[Participant, list[Goal]]:
    """A first sign-up's rows: the profile, the place in `program`, the first goal and its
    history's first entry. Nothing to read back (no pair, goals or enrolments yet), and the
    rows go in together (`insert_new`: one statement on PostgreSQL)."""
    participant = Participant(
        slack_user_id=user_id,
        display_name=display_name,
        status=ParticipantStatus.ACTIVE,
        program_id=program.id if program else None,
        **profile,
    )
    rows: list[NewRow] = [(participant, {})]
    if program is not None:
        enrolment = enrolments.new_enrolment(participant, program, now)
        rows.append((enrolment, {"participant_id": participant}))
    added: list[Goal] = []
    if first_goal is not None:
        goal, progress = new_goal(participant, first_goal, now)
        rows += [(goal, {"participant_id": participant}), (progress, {"goal_id": goal})]
        added.append(goal)
    await insert_new(session, *rows)
    return participant, added


async def open_goals(session: AsyncSession, participant: Participant) -> list[Goal]:
    return list(
        (
            await session.scalars(
                select(Goal)
                .where(Goal.participant_id == participant.id, Goal.status == GoalStatus.OPEN)
                .order_by(Goal.id)
            )
        ).all()
    )


async def goals_in_view(
    session: AsyncSession, participant: Participant
) -> tuple[list[Goal], list[Goal], dict[int, list[int]]]:
    """(open goals, goals the person reached, each reached goal's progress history, oldest
    first): reaching a goal keeps it in view, with the way it got there. One query reads both
    kinds of goal (App Home and the goals modal show both)."""
    shown = (
        await session.scalars(
            select(Goal)
            .where(
                Goal.participant_id == participant.id,
                Goal.status.in_([GoalStatus.OPEN, GoalStatus.ACHIEVED]),
            )
            .order_by(Goal.id)
        )
    ).all()
    open_ = [g for g in shown if g.status == GoalStatus.OPEN]
    achieved = [g for g in shown if g.status == GoalStatus.ACHIEVED]
    history: dict[int, list[int]] = {}
    if achieved:
        updates = await session.execute(
            select(GoalProgress.goal_id, GoalProgress.progress)
            .where(GoalProgress.goal_id.in_([g.id for g in achieved]))
            .order_by(GoalProgress.id)
        )
        for goal_id, progress in updates:
            history.setdefault(goal_id, []).append(progress)
    return open_, achieved, history


def goal_fields(item: GoalInput) -> dict[str, Any]:
    """What the goals modal (or the sign-up's first goal) says about a goal."""
    return {
        "category": item.category,
        "description": item.description,
        "success_measure": item.success_measure or None,
        "target_date": item.target_date,
        "status": GoalStatus(item.state),
    }


def new_goal(
    participant: Participant, item: GoalInput, now: dt.datetime
) -> tuple[Goal, GoalProgress]:
    """A new open goal and the first entry of its history (its `goal_id` is the caller's to
    set once the goal has one)."""
    progress = item.progress if item.progress is not None else 0
    goal = Goal(participant_id=participant.id, progress=progress, **goal_fields(item))
    first = GoalProgress(progress=progress, source="goal_modal", checkin_id=None, recorded_at=now)
    return goal, first


async def save_goals(
    session: AsyncSession,
    participant: Participant,
    goals: list[GoalInput],
    now: dt.datetime,
    *,
    open_now: list[Goal] | None = None,
) -> list[Goal]:
    """Create, edit, achieve or close goals; each progress change is kept as history.

    Goal ids come from the modal's private_metadata, which a person could tamper with: an id
    that is not one of this person's goals is treated as a new goal, never as someone else's.
    `open_now`: the person's open goals, when the caller has just read them.
    """
    current = open_now if open_now is not None else await open_goals(session, participant)
    own = {g.id: g for g in current}
    room_for_new = MAX_GOALS - len(own)
    saved = []
    for item in goals:
        goal = own.get(item.goal_id) if item.goal_id is not None else None
        if goal is None:
            if item.state != "open" or room_for_new <= 0:
                continue
            room_for_new -= 1
            goal, first = new_goal(participant, item, now)
            session.add(goal)
            await session.flush()
            first.goal_id = goal.id
            session.add(first)
        else:
            for column, value in goal_fields(item).items():
                setattr(goal, column, value)
            progress = 100 if item.state == "achieved" else item.progress
            if progress is not None and progress != goal.progress:
                goal.progress = progress
                session.add(
                    GoalProgress(
                        goal_id=goal.id, progress=progress, source="goal_modal", recorded_at=now
                    )
                )
        saved.append(goal)
    return saved


async def active_pair(session: AsyncSession, participant: Participant) -> Pair | None:
    return await session.scalar(
        select(Pair)
        .where(
            Pair.status == PairStatus.ACTIVE,
            or_(Pair.sharer_id == participant.id, Pair.learner_id == participant.id),
        )
        .order_by(Pair.id.desc())
        .limit(1)
    )


async def partner_in(session: AsyncSession, pair: Pair, participant: Participant) -> Participant:
    other_id = pair.learner_id if pair.sharer_id == participant.id else pair.sharer_id
    partner = await session.get(Participant, other_id)
    assert partner is not None
    return partner


def refresh_pause(participant: Participant, today: dt.date) -> bool:
    """A timed pause ends by itself; returns True if the person was resumed."""
    if (
        participant.status == ParticipantStatus.PAUSED
        and participant.paused_until is not None
        and participant.paused_until <= today
    ):
        participant.status = ParticipantStatus.ACTIVE
        participant.paused_until = None
        return True
    return False


def pause(participant: Participant, weeks: int | None, today: dt.date) -> None:
    participant.status = ParticipantStatus.PAUSED
    participant.paused_until = today + dt.timedelta(weeks=weeks) if weeks else None


def resume(participant: Participant) -> None:
    participant.status = ParticipantStatus.ACTIVE
    participant.paused_until = None


async def current_partner(session: AsyncSession, participant: Participant) -> Participant | None:
    """The other person of their running pair, if they are in one."""
    pair = await active_pair(session, participant)
    return await partner_in(session, pair, participant) if pair else None


async def pause_self(
    session: AsyncSession, user_id: str, weeks: int | None, today: dt.date
) -> tuple[Participant, Participant | None]:
    """`/mentoring pause [weeks]` or the home tab's button; returns (them, their partner).
    Refused for someone not in a program, or paused already."""
    participant = await get_participant(session, user_id)
    if participant is None or participant.status in GONE:
        raise Refusal("self_service.need_profile")
    if participant.status == ParticipantStatus.PAUSED:
        raise Refusal("self_service.already_paused", until=until(participant.paused_until))
    pause(participant, weeks, today)
    return participant, await current_partner(session, participant)


async def resume_self(session: AsyncSession, user_id: str) -> Participant | None:
    """`/mentoring resume` or the home tab's button; returns their partner. Refused for
    someone who is not paused."""
    participant = await get_participant(session, user_id)
    if participant is None or participant.status != ParticipantStatus.PAUSED:
        raise Refusal("self_service.not_paused")
    resume(participant)
    return await current_partner(session, participant)


async def active_pair_members(
    session: AsyncSession, pair_id: int
) -> tuple[Pair, Participant, Participant] | None:
    """An active pair with its reverse mentor and senior partner, or None if it has ended."""
    pair = await session.get(Pair, pair_id)
    if pair is None or pair.status != PairStatus.ACTIVE:
        return None
    sharer = await session.get(Participant, pair.sharer_id)
    learner = await session.get(Participant, pair.learner_id)
    assert sharer is not None and learner is not None
    return pair, sharer, learner


async def end_pair(session: AsyncSession, pair: Pair, reason: str, now: dt.datetime) -> None:
    pair.status = PairStatus.ENDED
    pair.end_reason = reason
    pair.ended_at = now
    await meetings.end_series(session, pair.id, now)


async def leave(
    session: AsyncSession, participant: Participant, now: dt.datetime
) -> Participant | None:
    """No-fault exit: the pair ends and the partner goes back to the pool. Returns the partner."""
    partner = None
    pair = await active_pair(session, participant)
    if pair is not None:
        partner = await partner_in(session, pair, participant)
        await end_pair(session, pair, "left", now)
    participant.status = ParticipantStatus.LEFT
    return partner


@dataclass(frozen=True)
class Exit:
    """Who was left behind by someone leaving: the partner (back to the pool) and the pair, and
    the program they were in (whose HR channel hears about it)."""

    partner: Participant | None
    pair_id: int | None
    program_id: int | None


async def exit_self(
    session: AsyncSession, user_id: str, now: dt.datetime, *, erase_data: bool
) -> Exit | None:
    """The person confirmed leaving (`erase_data`: and deleting their data). None when there is
    nothing to do: no profile, or gone already (a confirmation submitted twice)."""
    participant = await get_participant(session, user_id)
    if participant is None or (not erase_data and participant.status in GONE):
        return None
    pair = await active_pair(session, participant)
    partner = await (erase if erase_data else leave)(session, participant, now)
    return Exit(partner, pair.id if pair else None, participant.program_id)


FORMER_PARTICIPANT = "a former participant"


def _redact(value: Any, replacements: dict[str, str]) -> Any:
    """`value` (JSON) with every occurrence of each key replaced, in strings at any depth."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_redact(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, replacements) for key, item in value.items()}
    return value


async def _scrub_matching_records(session: AsyncSession, participant: Participant) -> None:
    """Matching wrote the person's name, department and typed topics into pair reasons and kept
    their Slack id and name in proposals: erase those too, or deleting would leave them behind.
    """
    slack_id, erased_id = participant.slack_user_id, f"{ERASED_PREFIX}{participant.id}"
    await session.execute(
        update(Pair)
        .where(or_(Pair.sharer_id == participant.id, Pair.learner_id == participant.id))
        .values(reasons=[])
    )
    names = {participant.display_name: FORMER_PARTICIPANT} if participant.display_name else {}
    for proposal in (await session.scalars(select(MatchProposal))).all():
        data = copy.deepcopy(proposal.proposal or {})  # edited in place below
        for item in data.get("pairs", []):
            for side in ("sharer", "learner"):
                if item.get(side) == slack_id:
                    item[side], item[f"{side}_name"], item["reasons"] = erased_id, None, []
        for item in data.get("unmatched", []):
            if item.get("user") == slack_id:
                item["user"], item["reason"] = erased_id, ""
        scrubbed = _redact(data, names)  # others' reasons may name them ("can't pair with ...")
        excluded = [
            ":".join(erased_id if part == slack_id else part for part in key.split(":"))
            for key in proposal.excluded or []
        ]
        if scrubbed != proposal.proposal or excluded != proposal.excluded:
            proposal.proposal, proposal.excluded = scrubbed, excluded  # new objects: JSON changed


async def erase(
    session: AsyncSession, participant: Participant, now: dt.datetime
) -> Participant | None:
    """Delete personal data and free text; keep anonymous rows so aggregate counts stay true."""
    partner = await leave(session, participant, now)
    await _scrub_matching_records(session, participant)
    participant.slack_user_id = f"{ERASED_PREFIX}{participant.id}"
    participant.display_name = None
    participant.department = None
    participant.manager_slack_id = None
    participant.share_topics = []
    participant.learn_topics = []
    participant.share_other = None
    participant.learn_other = None
    participant.available_days = []
    participant.consent_quote = False
    participant.status = ParticipantStatus.DELETED
    await enrolments.forget(session, participant)
    await session.execute(
        update(Goal)
        .where(Goal.participant_id == participant.id)
        .values(description="", success_measure=None, status=GoalStatus.CLOSED)
    )
    await session.execute(
        update(Response)
        .where(Response.participant_id == participant.id)
        .values(learned_text=None, blockers_text=None, quote_ok=False)
    )
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.participant_id == participant.id)
        .values(what_changed=None, quote_ok=False)
    )
    await session.execute(
        update(PairingFeedback)
        .where(PairingFeedback.participant_id == participant.id)
        .values(private_reason=None)
    )
    return partner
