"""The data model: SQLAlchemy 2 typed models on one declarative base.

Idempotency lives in unique constraints: one participant per Slack user, one check-in per pair per
period, one response per person per check-in, one delivery of a prompt per pair. Jobs rely on them
so that a rerun or a second process cannot post twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    case,
    event,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot.vocabulary import ExperienceBand, Role, TimeOfDay

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """Store enums as short strings (portable, readable in SQL, no native PG enum to migrate)."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class ProgramStatus(enum.StrEnum):
    """Stored state. What HR reads (enrolling / running / closed) also depends on the date:
    an open program is enrolling until its start date and running from then on."""

    OPEN = "open"
    CLOSED = "closed"


class ParticipantStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    DELETED = "deleted"


class GoalStatus(enum.StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    CLOSED = "closed"


class PairStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


COMPLETED = "completed"  # end reason of a pair that ran until its program closed


class CheckinStatus(enum.StrEnum):
    CLAIMED = "claimed"  # row exists, Slack post not yet confirmed
    POSTED = "posted"
    FAILED = "failed"  # Slack refused the post: nothing was posted
    UNSURE = "unsure"  # the post's answer was lost: it may have landed (look before posting)
    # The pair said "We can't meet this week": the week's check-in is never posted (a claim on
    # it finds this row and stops), or, if it was posted already, it is redrawn as cancelled and
    # its message ts cleared, so that reports, reminders and at-risk flags leave it out.
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    MET = "met"
    SCHEDULED = "scheduled"  # "meeting later this week"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # this person cancelled the meeting
    PARTNER_CANCELLED = "partner_cancelled"  # this person says their partner cancelled


class Outcome(enum.IntEnum):
    """What a check-in came to, ranked so that the higher of the two answers wins: if one
    person says they met and the other says "later this week", the pair met."""

    NO_ANSWER = 0
    SKIPPED = 1
    CANCELLED = 2
    SCHEDULED = 3
    MET = 4


class Timestamped:
    """`created_at` comes from the bot's clock when the session has one (`Database.stamp_with`):
    reports compare it with a program's dates, which follow that clock (the demo's simulated
    weeks, a test's fixed instant). The machine's time is only the fallback."""

    created_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=lambda: dt.datetime.now(dt.UTC), onupdate=lambda: dt.datetime.now(dt.UTC)
    )


@event.listens_for(Session, "before_flush")
def _stamp_new_rows_with_the_clock(session: Session, _context: Any, _instances: Any) -> None:
    clock = session.info.get("clock")
    if clock is None:
        return
    now = None
    for row in session.new:
        if isinstance(row, Timestamped) and row.created_at is None:
            now = now or clock.now()
            row.created_at = row.updated_at = now


class Program(Timestamped, Base):
    """A cohort: dates, cadence, who may join and where HR hears about it. Several run at once,
    so every admin command names one; names are unique."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    length_weeks: Mapped[int] = mapped_column(Integer, default=12)
    cadence_weeks: Mapped[int] = mapped_column(Integer, default=1)
    checkin_weekday: Mapped[str] = mapped_column(String(3), default="tue")
    checkin_time: Mapped[dt.time] = mapped_column(Time, default=dt.time(10, 0))
    hr_channel_id: Mapped[str | None] = mapped_column(String(32))
    # HR's per-program hard rule: never pair two people of the same department.
    different_departments: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    status: Mapped[ProgramStatus] = mapped_column(_enum(ProgramStatus), default=ProgramStatus.OPEN)
    created_by: Mapped[str | None] = mapped_column(String(32))
    # Departments whose people may join; empty means everyone.
    eligible_departments: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    closed_at: Mapped[dt.datetime | None]


class Participant(Timestamped, Base):
    """One employee's profile. One row per Slack user, updated in place on re-joining."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(_enum(Role))
    experience_band: Mapped[ExperienceBand] = mapped_column(_enum(ExperienceBand, 8))  # never age
    department: Mapped[str | None] = mapped_column(String(80))
    manager_slack_id: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    share_topics: Mapped[list[str]] = mapped_column(default=list)
    learn_topics: Mapped[list[str]] = mapped_column(default=list)
    share_other: Mapped[str | None] = mapped_column(Text)
    learn_other: Mapped[str | None] = mapped_column(Text)
    available_days: Mapped[list[str]] = mapped_column(default=list)
    time_of_day: Mapped[TimeOfDay] = mapped_column(_enum(TimeOfDay, 12), default=TimeOfDay.ANY)
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[ParticipantStatus] = mapped_column(
        _enum(ParticipantStatus), default=ParticipantStatus.ACTIVE
    )
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    consent_quote: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Invite me to the next round": a new program DMs them a Join button.
    next_round: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Why they are waiting for a partner, as they were told; their App Home repeats it.
    waiting_reason: Mapped[str | None] = mapped_column(Text)


class Enrolment(Base):
    """A person's place in one program, kept after they move on.

    ``participants.program_id`` is the program someone is in *now*; this row says they were in
    this one, in which role, and, once their time in it is over (the program closed, or they
    joined another while it ran), what HR counts them as there: ``final_status`` freezes their
    status of that moment, so a closed program's figures never change afterwards. While it is
    null the person's status now is the one that counts (`Enrolment.status_in_program`).

    The same moment keeps what the report groups them by and could change later: their
    department (HR's org data first, as reports choose it: `reported_department`) and the
    topics they offered and wanted. These are read only once ``ended_at`` is set; a running
    program reads the person's latest values.
    """

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("program_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    enrolled_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    final_status: Mapped[ParticipantStatus | None] = mapped_column(_enum(ParticipantStatus))
    department: Mapped[str | None] = mapped_column(String(80))
    share_topics: Mapped[list[str] | None]
    learn_topics: Mapped[list[str] | None]

    @classmethod
    def status_in_program(cls) -> ColumnElement[Any]:
        """The person's status as their program counts it (a query joining Participant)."""
        return func.coalesce(cls.final_status, Participant.status)


class OrgPerson(Timestamped, Base):
    """One person as HR's latest people import describes them (``mentorbot org import``).

    Only people found in Slack are kept, and no email: the chain above each person is resolved
    through the whole file at import time and stored as Slack ids (``reporting_line``, nearest
    first), so a manager missing from Slack still links their reports to their own manager.
    People missing from a newer file stay, with ``in_org_data`` false.
    """

    __tablename__ = "org_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    department: Mapped[str | None] = mapped_column(String(80))
    manager_slack_id: Mapped[str | None] = mapped_column(String(32))
    reporting_line: Mapped[list[str]] = mapped_column(default=list)
    title: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(64))
    experience_band: Mapped[ExperienceBand | None] = mapped_column(_enum(ExperienceBand, 8))
    in_org_data: Mapped[bool] = mapped_column(Boolean, default=True)


def reported_department(person: Any, org: Any) -> ColumnElement[Any]:
    """The department reports group someone by: the one HR's latest org import gives, else the
    one they typed (`person` and `org`: Participant and OrgPerson, or aliases of them). Kept on
    an enrolment when it ends, so it is defined once, here."""
    return func.coalesce(case((org.in_org_data, org.department)), person.department)


class OrgImport(Base):
    """One import of HR's people file, with what its report said: HR admins' App Home shows the
    latest (when, by whom, the counts), whichever process or command made it."""

    __tablename__ = "org_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[dt.datetime]
    imported_by: Mapped[str | None] = mapped_column(String(32))  # None: `mentorbot org import`
    file_name: Mapped[str] = mapped_column(String(120))
    rows: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[int] = mapped_column(Integer)
    cycles: Mapped[int] = mapped_column(Integer)
    managers_missing: Mapped[int] = mapped_column(Integer)
    no_longer: Mapped[int] = mapped_column(Integer)


class Invitation(Base):
    """HR invited this person to this program (`/mentoring admin invite`): at most once each."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("program_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    invited_by: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime]


class Topic(Base):
    """Topics HR added to the catalogue (the built-in catalogue ships with the code)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(60), unique=True)
    added_by: Mapped[str | None] = mapped_column(String(32))


class Goal(Timestamped, Base):
    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    success_measure: Mapped[str | None] = mapped_column(Text)
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[GoalStatus] = mapped_column(_enum(GoalStatus), default=GoalStatus.OPEN)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent, latest value


class GoalProgress(Base):
    """Every progress update is kept: HR sees movement over time, people see their trend."""

    __tablename__ = "goal_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    progress: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # "goal_modal" | "checkin"
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class MatchProposal(Timestamped, Base):
    """A matching run awaiting HR review; approving it creates the pairs."""

    __tablename__ = "match_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|approved|superseded
    requested_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    proposal: Mapped[dict[str, Any]] = mapped_column(default=dict)  # pairs, reasons, unmatched
    excluded: Mapped[list[str]] = mapped_column(default=list)  # "U1:U2" keys HR excluded


class Pair(Timestamped, Base):
    """Two participants in a program: the sharer (reverse mentor) and the learner."""

    __tablename__ = "pairs"
    __table_args__ = (UniqueConstraint("program_id", "sharer_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    status: Mapped[PairStatus] = mapped_column(_enum(PairStatus), default=PairStatus.ACTIVE)
    dm_channel_id: Mapped[str | None] = mapped_column(String(32))
    kickoff_ts: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))


class MeetingStatus(enum.StrEnum):
    PROPOSED = "proposed"  # offered in the group DM, nobody has said "Works for us" yet
    CONFIRMED = "confirmed"


class Meeting(Timestamped, Base):
    """A pair's regular meeting time: a weekday and wall-clock start in ``tz`` (the anchor
    person's zone, so DST keeps their local time), proposed by the bot or one of them.

    ``version`` is raised by every change and carried by every button, so a button drawn before a
    change is recognised as stale; ``sequence`` is the calendar's SEQUENCE, raised on every change
    after confirmation so imported invites update in place.
    """

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), unique=True)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus), default=MeetingStatus.PROPOSED
    )
    weekday: Mapped[str] = mapped_column(String(3))
    start_time: Mapped[dt.time] = mapped_column(Time)
    minutes: Mapped[int] = mapped_column(Integer)
    tz: Mapped[str] = mapped_column(String(64))
    fit: Mapped[str] = mapped_column(String(12))  # preferred | working | closest (bot.slots)
    version: Mapped[int] = mapped_column(Integer, default=1)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    proposed_by: Mapped[str | None] = mapped_column(String(32))  # None: the bot's proposal
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    confirmed_at: Mapped[dt.datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the latest proposal message


class MeetingChange(Base):
    """Every change to a meeting, unique per (meeting, version it replaced): inserting it is the
    claim, so two people clicking at once change it once and the second is told it is done.
    Moved and cancelled weeks are the ``move``/``cancel`` rows since the last series change."""

    __tablename__ = "meeting_changes"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # propose | confirm | series | move | cancel
    week: Mapped[int | None] = mapped_column(Integer)
    original_start: Mapped[dt.datetime | None]
    new_start: Mapped[dt.datetime | None]
    by_user: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


# What a check-in's answers add up to, kept on the check-in itself (`bot.services.summaries`
# writes them) so that HR's report reads one row per check-in: the week's numbers, then who
# answered and who cancelled. Each report index below covers one group.
WEEKLY_SUMMARY = (
    "outcome",
    "answers",
    "usefulness_sum",
    "usefulness_count",
    "candour_sum",
    "candour_count",
    "thumbs_up",
    "thumbs_down",
)
PAIR_SUMMARY = (
    "sharer_answered",
    "learner_answered",
    "cancelled_by_sharer",
    "cancelled_by_learner",
)


class Checkin(Timestamped, Base):
    """One weekly check-in (or survey) posted into a pair's group DM."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))  # the pair's, for reports
    period_key: Mapped[str] = mapped_column(String(16))
    week: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(
        String(12), default="checkin"
    )  # checkin|survey_mid|survey_end
    prompt_id: Mapped[str | None] = mapped_column(String(80))
    survey: Mapped[str | None] = mapped_column(String(8))  # "mid" | "end" on survey weeks
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[CheckinStatus] = mapped_column(
        _enum(CheckinStatus), default=CheckinStatus.CLAIMED
    )
    due_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]  # a claim older than the lease may be retaken
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What its answers came to, refreshed by bot.services.summaries whenever an answer changes,
    # so that HR's report reads one row per check-in instead of every answer.
    outcome: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # Outcome
    answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # feedback given
    usefulness_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    usefulness_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    candour_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    candour_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    thumbs_up: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    thumbs_down: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sharer_answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    learner_answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancelled_by_sharer: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    cancelled_by_learner: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    @classmethod
    def new_claim(
        cls,
        *,
        pair_id: int,
        program_id: Any,
        period_key: str,
        week: int,
        kind: str,
        due_at: dt.datetime,
        now: dt.datetime,
        survey: str | None = None,
    ) -> Checkin:
        """A post's row, owned by whoever adds it (its first attempt): the claim/deliver
        protocol of `bot.scheduler.delivery`, which the end survey's own message follows too
        (`bot.services.surveys`). `program_id`: an id, or a query giving the pair's."""
        return cls(
            pair_id=pair_id,
            program_id=program_id,
            period_key=period_key,
            week=week,
            kind=kind,
            survey=survey,
            due_at=due_at,
            claimed_at=now,
            attempts=1,
            status=CheckinStatus.CLAIMED,
        )

    # HR's report reads posted check-ins of one program by week and by pair: these two indexes
    # hold every column it reads, in that order, so neither database sorts or visits the table.
    __table_args__ = (
        UniqueConstraint("pair_id", "period_key"),
        Index(
            "ix_checkins_report_by_week",
            "program_id",
            "kind",
            "week",
            "prompt_id",
            *WEEKLY_SUMMARY,
            sqlite_where=text("message_ts IS NOT NULL"),
            postgresql_where=text("message_ts IS NOT NULL"),
        ),
        Index(
            "ix_checkins_report_by_pair",
            "program_id",
            "kind",
            "pair_id",
            "week",
            "outcome",
            "sent_at",
            *PAIR_SUMMARY,
            sqlite_where=text("message_ts IS NOT NULL"),
            postgresql_where=text("message_ts IS NOT NULL"),
        ),
    )


class Response(Timestamped, Base):
    """One person's answer to one check-in: buttons and the private feedback modal."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("checkin_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    attendance: Mapped[Attendance | None] = mapped_column(_enum(Attendance))
    usefulness: Mapped[int | None] = mapped_column(Integer)  # 1-5
    candour: Mapped[int | None] = mapped_column(Integer)  # 1-5: how safe it felt to be candid
    learned_text: Mapped[str | None] = mapped_column(Text)
    blockers_text: Mapped[str | None] = mapped_column(Text)
    quote_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_rating: Mapped[int | None] = mapped_column(Integer)  # +1 / -1
    feedback_submitted_at: Mapped[dt.datetime | None]


class SurveyResponse(Timestamped, Base):
    """Mid- and end-of-program survey answers."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("program_id", "participant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # mid|end
    recommend: Mapped[int | None] = mapped_column(Integer)  # 0-10
    goal_attainment: Mapped[int | None] = mapped_column(Integer)  # 1-5
    what_changed: Mapped[str | None] = mapped_column(Text)
    quote_ok: Mapped[bool] = mapped_column(Boolean, default=False)


class PairingFeedback(Timestamped, Base):
    """'Does this pairing work?' asked privately after the first meeting."""

    __tablename__ = "pairing_feedback"
    __table_args__ = (UniqueConstraint("pair_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    works: Mapped[bool | None] = mapped_column(Boolean)
    repair_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    private_reason: Mapped[str | None] = mapped_column(Text)  # seen by HR only


class ConfidenceRating(Base):
    """How confident someone felt (1-5) in a topic they wanted to learn, at sign-up ("before")
    and in the end survey ("after"): the final report shows the gain per topic and side."""

    __tablename__ = "confidence_ratings"
    __table_args__ = (UniqueConstraint("program_id", "participant_id", "topic", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    topic: Mapped[str] = mapped_column(String(60))
    phase: Mapped[str] = mapped_column(String(8))  # before|after
    rating: Mapped[int] = mapped_column(Integer)


class PromptDelivery(Base):
    """Which prompt a pair got and why; unique so a prompt never repeats for a pair."""

    __tablename__ = "prompt_deliveries"
    __table_args__ = (UniqueConstraint("pair_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    prompt_id: Mapped[str] = mapped_column(String(80))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    week: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class Nudge(Base):
    """A reminder or at-risk note, recorded so it is sent once."""

    __tablename__ = "nudges"
    __table_args__ = (UniqueConstraint("pair_id", "kind", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # at_risk_note | fit_question | ...
    period_key: Mapped[str] = mapped_column(String(16))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class JobRun(Base):
    """Each scheduler pass, with counts, so operators can see what happened and when."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_name", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(40), index=True)
    # "2026-01-13T10:00Z" for a scheduled slot, up to 54 characters for a manual pass
    # (bot.scheduler.jobs.manual_slot)
    period_key: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="running")
    sent: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedRequest(Base):
    """Event ids and interaction keys already handled: Slack retries are acked and dropped."""

    __tablename__ = "processed_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))
