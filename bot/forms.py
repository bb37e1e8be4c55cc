"""Reading and validating modal submissions: plain functions, no Slack calls, no database.

A submission is parsed from `view.state.values` into a typed form plus a dict of errors keyed by
block id, exactly what `ack(response_action="errors", errors=...)` needs. Nothing in a payload is
trusted: values may be missing, of the wrong type, or longer than the modal allowed.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import available_timezones

from bot import ids
from bot.models import Program
from bot.refusals import Refusal
from bot.texts import codes, text
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, TimeOfDay, Weekday

MAX_DEPARTMENT = 80
MAX_DEPARTMENTS = 30  # in one program's eligibility list
MAX_PROGRAM_DEPARTMENTS = 1000  # characters of that list, as the modal field allows
MAX_DISPLAY_NAME = 120  # participants.display_name: a name from Slack is cut to fit
MAX_OTHER_TOPICS = 200
MAX_TOPIC_LABEL = 60
MAX_TOPICS = 15
MAX_GOAL_TEXT = 500

PROGRESS_STEPS = (0, 25, 50, 75, 100)


_Choice = TypeVar("_Choice", bound=enum.StrEnum)

MAX_DB_ID = 2**31 - 1  # ids are 32-bit integer columns: anything larger can only be forged
SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,30}")  # U012ABC, C0123456789: fits the String(32) columns


def small_int(value: object, max_digits: int = 4) -> int | None:
    """A short run of ASCII digits as an int, else None.

    `str.isdigit()` accepts "²" and 5,000-digit strings that `int()` then refuses with an
    exception; values in payloads are untrusted, so only plain digits are numbers here.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= max_digits:
        return int(value)
    return None


def db_id(value: object) -> int | None:
    """A row id from a payload (JSON number or digit string), or None if it cannot be one."""
    if isinstance(value, str):
        value = small_int(value, max_digits=10)
    if isinstance(value, bool) or not isinstance(value, int):  # JSON true is an int in Python
        return None
    return value if 1 <= value <= MAX_DB_ID else None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_timezone(name: object) -> bool:
    """An IANA zone name. ZoneInfo() itself raises OSError for over-long or directory names."""
    return isinstance(name, str) and name in _zones()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: str) -> str:
    """Text that can be stored and shown: a lone surrogate (JSON "\\ud800") becomes U+FFFD,
    and control characters other than tab and line breaks are dropped (PostgreSQL refuses NUL
    in text; the others are invisible and can hide what a message says)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return _CONTROL.sub("", value)


class StateReader:
    """Typed access to `view.state.values`, tolerant of anything missing or malformed."""

    def __init__(self, view: dict[str, Any]) -> None:
        state = view.get("state") if isinstance(view, dict) else None
        values = state.get("values") if isinstance(state, dict) else None
        self.values: dict[str, Any] = values if isinstance(values, dict) else {}

    def element(self, block_id: str, action_id: str) -> dict[str, Any]:
        block = self.values.get(block_id)
        element = block.get(action_id) if isinstance(block, dict) else None
        return element if isinstance(element, dict) else {}

    def text(self, block_id: str, action_id: str) -> str:
        value = self.element(block_id, action_id).get("value")
        return _clean(value.strip()) if isinstance(value, str) else ""

    def option(self, block_id: str, action_id: str) -> str | None:
        option = self.element(block_id, action_id).get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return _clean(value) if isinstance(value, str) else None

    def options(self, block_id: str, action_id: str) -> list[str]:
        options = self.element(block_id, action_id).get("selected_options")
        if not isinstance(options, list):
            return []
        found = [o.get("value") for o in options if isinstance(o, dict)]
        return [_clean(v) for v in found if isinstance(v, str)]

    def user(self, block_id: str, action_id: str) -> str | None:
        value = self.element(block_id, action_id).get("selected_user")
        return _clean(value) if isinstance(value, str) and value else None

    def files(self, block_id: str, action_id: str) -> list[dict[str, Any]]:
        """A file_input's files (Slack's file objects), those with an id only."""
        files = self.element(block_id, action_id).get("files")
        if not isinstance(files, list):
            return []
        return [f for f in files if isinstance(f, dict) and isinstance(f.get("id"), str)]

    def date(self, block_id: str, action_id: str) -> dt.date | None:
        """A date, or None when empty; a Refusal for a malformed one (a tampered payload)."""
        value = self.element(block_id, action_id).get("selected_date")
        if value in (None, ""):
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise Refusal("signup.errors.unknown_choice") from None


def split_topics(free_text: str) -> list[str]:
    """'Figma, podcasting' -> ['Figma', 'podcasting'] (deduplicated, order kept)."""
    seen: dict[str, str] = {}
    for part in free_text.replace(";", ",").replace("\n", ",").split(","):
        label = " ".join(part.split())
        if label and label.lower() not in seen:
            seen[label.lower()] = label[:MAX_TOPIC_LABEL]
    return list(seen.values())


def _merge_topics(chosen: list[str], other: str) -> list[str]:
    merged: dict[str, str] = {}
    for label in [*chosen, *split_topics(other)]:
        merged.setdefault(label.lower(), label)
    return list(merged.values())


@dataclass
class GoalInput:
    slot: int
    goal_id: int | None
    category: str
    description: str
    success_measure: str
    target_date: dt.date | None
    progress: int | None = None
    state: str = "open"


@dataclass
class SignupForm:
    role: Role
    experience_band: ExperienceBand
    department: str
    manager_id: str | None
    share_topics: list[str]
    learn_topics: list[str]
    share_other: str
    learn_other: str
    timezone: str
    available_days: list[Weekday]
    time_of_day: TimeOfDay
    meeting_minutes: int
    consent_quote: bool
    first_goal: GoalInput | None = None
    all_share_topics: list[str] = field(default_factory=list)
    all_learn_topics: list[str] = field(default_factory=list)


def _choice(
    errors: dict[str, str], block_id: str, kind: type[_Choice], value: str | None, fallback: _Choice
) -> _Choice:
    """The member a select menu's value names; an unknown value is a field error (the form is
    then not stored, so ``fallback`` only keeps the form's types whole)."""
    try:
        return kind(value or "")
    except ValueError:
        errors[block_id] = text("signup.errors.unknown_choice")
        return fallback


def _check_length(errors: dict[str, str], block_id: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[block_id] = text("signup.errors.too_long", limit=limit)


def _read_goal(
    reader: StateReader, slot: int, today: dt.date, errors: dict[str, str], goal_id: int | None
) -> GoalInput | None:
    """One goal slot; None when the slot is left empty. Errors land on the slot's own fields."""
    category = reader.option(ids.goal_block("category", slot), ids.A_GOAL["category"])
    description = reader.text(ids.goal_block("description", slot), ids.A_GOAL["description"])
    measure = reader.text(ids.goal_block("measure", slot), ids.A_GOAL["measure"])
    target_error = None
    try:
        target = reader.date(ids.goal_block("target", slot), ids.A_GOAL["target"])
    except Refusal as refusal:
        target, target_error = None, refusal.message
    progress_value = reader.option(ids.goal_block("progress", slot), ids.A_GOAL["progress"])
    state = reader.option(ids.goal_block("state", slot), ids.A_GOAL["state"]) or "open"
    if not any([category, description, measure, target, target_error]) and goal_id is None:
        return None
    if target_error:
        errors[ids.goal_block("target", slot)] = target_error
    if category is not None and category not in codes("catalogue.goal_categories"):
        errors[ids.goal_block("category", slot)] = text("signup.errors.unknown_choice")
    if not description:
        errors[ids.goal_block("description", slot)] = text("signup.errors.goal_description_needed")
    _check_length(errors, ids.goal_block("description", slot), description, MAX_GOAL_TEXT)
    _check_length(errors, ids.goal_block("measure", slot), measure, MAX_GOAL_TEXT)
    if target is not None and target < today and state == "open":
        errors[ids.goal_block("target", slot)] = text("signup.errors.target_past")
    progress: int | None = None
    if progress_value is not None:
        progress = small_int(progress_value)
        if progress not in PROGRESS_STEPS:
            progress = None
            errors[ids.goal_block("progress", slot)] = text("signup.errors.unknown_choice")
    if state not in codes("goals.states"):
        errors[ids.goal_block("state", slot)] = text("signup.errors.unknown_choice")
        state = "open"
    return GoalInput(
        slot=slot,
        goal_id=goal_id,
        category=category or "other",
        description=description,
        success_measure=measure,
        target_date=target if isinstance(target, dt.date) else None,
        progress=progress,
        state=state,
    )


def parse_signup(
    view: dict[str, Any], *, user_id: str, today: dt.date, catalogue: set[str], with_goal: bool
) -> tuple[SignupForm, dict[str, str]]:
    """Parse and validate the sign-up modal; `errors` is empty when the form may be stored."""
    r = StateReader(view)
    errors: dict[str, str] = {}
    role, band, department, manager = _read_about_you(r, user_id, errors)
    share, learn, share_other, learn_other = _read_topics(r, catalogue, errors)
    all_share = _merge_topics(share, share_other)
    all_learn = _merge_topics(learn, learn_other)
    _check_topics(role, all_share, all_learn, errors)
    timezone, days, time_of_day, minutes = _read_availability(r, errors)
    consent = ids.CONSENT_QUOTE in r.options(ids.B_CONSENT, ids.A_CONSENT)
    goal = _read_goal(r, 0, today, errors, None) if with_goal else None
    form = SignupForm(
        role=role,
        experience_band=band,
        department=department,
        manager_id=manager,
        share_topics=share,
        learn_topics=learn,
        share_other=share_other,
        learn_other=learn_other,
        timezone=timezone,
        available_days=days,
        time_of_day=time_of_day,
        meeting_minutes=minutes,
        consent_quote=consent,
        first_goal=goal,
        all_share_topics=all_share,
        all_learn_topics=all_learn,
    )
    return form, errors


def _read_about_you(
    r: StateReader, user_id: str, errors: dict[str, str]
) -> tuple[Role, ExperienceBand, str, str | None]:
    """(role, experience band, department, manager id); the manager may not be the person."""
    role = _choice(errors, ids.B_ROLE, Role, r.option(ids.B_ROLE, ids.A_ROLE), Role.EITHER)
    band = _choice(
        errors,
        ids.B_EXPERIENCE,
        ExperienceBand,
        r.option(ids.B_EXPERIENCE, ids.A_EXPERIENCE),
        ExperienceBand.YEARS_0_2,
    )
    department = r.text(ids.B_DEPARTMENT, ids.A_DEPARTMENT)
    _check_length(errors, ids.B_DEPARTMENT, department, MAX_DEPARTMENT)
    manager = r.user(ids.B_MANAGER, ids.A_MANAGER)
    if manager == user_id:
        errors[ids.B_MANAGER] = text("signup.errors.manager_self")
    elif manager is not None and not SLACK_ID.fullmatch(manager):
        errors[ids.B_MANAGER] = text("signup.errors.unknown_choice")
    return role, band, department, manager


def _read_topics(
    r: StateReader, catalogue: set[str], errors: dict[str, str]
) -> tuple[list[str], list[str], str, str]:
    """(share, learn) chosen from the catalogue and (share, learn) in the person's own words."""
    share = [t for t in r.options(ids.B_SHARE_TOPICS, ids.A_SHARE_TOPICS) if t in catalogue]
    learn = [t for t in r.options(ids.B_LEARN_TOPICS, ids.A_LEARN_TOPICS) if t in catalogue]
    share_other = r.text(ids.B_SHARE_OTHER, ids.A_SHARE_OTHER)
    learn_other = r.text(ids.B_LEARN_OTHER, ids.A_LEARN_OTHER)
    _check_length(errors, ids.B_SHARE_OTHER, share_other, MAX_OTHER_TOPICS)
    _check_length(errors, ids.B_LEARN_OTHER, learn_other, MAX_OTHER_TOPICS)
    return share, learn, share_other, learn_other


def _check_topics(
    role: Role, all_share: list[str], all_learn: list[str], errors: dict[str, str]
) -> None:
    """Not too many topics, some on each side the person's role needs, not the same both ways."""
    for block, topics in ((ids.B_SHARE_TOPICS, all_share), (ids.B_LEARN_TOPICS, all_learn)):
        if len(topics) > MAX_TOPICS:
            errors.setdefault(block, text("signup.errors.too_many_topics", limit=MAX_TOPICS))
    if role.can_share and not all_share:
        errors.setdefault(ids.B_SHARE_TOPICS, text("signup.errors.share_topics_needed"))
    if role.can_learn and not all_learn:
        errors.setdefault(ids.B_LEARN_TOPICS, text("signup.errors.learn_topics_needed"))
    if all_share and all_learn and {t.lower() for t in all_share} == {t.lower() for t in all_learn}:
        errors.setdefault(ids.B_LEARN_TOPICS, text("signup.errors.same_topics"))


def _read_availability(
    r: StateReader, errors: dict[str, str]
) -> tuple[str, list[Weekday], TimeOfDay, int]:
    """(time zone, days in week order, time of day, meeting minutes)."""
    timezone = r.option(ids.B_TIMEZONE, ids.A_TIMEZONE) or ""
    if not known_timezone(timezone):
        errors[ids.B_TIMEZONE] = text("signup.errors.unknown_choice")
    chosen = set(r.options(ids.B_DAYS, ids.A_DAYS))
    days = [d for d in WORKDAYS if d in chosen]
    if not days:
        errors[ids.B_DAYS] = text("signup.errors.days_needed")
    time_of_day = _choice(
        errors,
        ids.B_TIME_OF_DAY,
        TimeOfDay,
        r.option(ids.B_TIME_OF_DAY, ids.A_TIME_OF_DAY) or TimeOfDay.ANY,
        TimeOfDay.ANY,
    )
    length = r.option(ids.B_MEETING_LENGTH, ids.A_MEETING_LENGTH) or "30"
    minutes = small_int(length) or 0
    if minutes not in codes("catalogue.meeting_lengths"):
        errors[ids.B_MEETING_LENGTH] = text("signup.errors.unknown_choice")
    return timezone, days, time_of_day, minutes


def parse_goals(
    view: dict[str, Any], *, today: dt.date, slot_goal_ids: list[int | None]
) -> tuple[list[GoalInput], dict[str, str]]:
    """Parse the goals modal: one GoalInput per filled slot (existing goals keep their id)."""
    r = StateReader(view)
    errors: dict[str, str] = {}
    goals = []
    for slot in range(ids.MAX_GOALS):
        goal_id = slot_goal_ids[slot] if slot < len(slot_goal_ids) else None
        goal = _read_goal(r, slot, today, errors, goal_id)
        if goal is not None:
            goals.append(goal)
    return goals, errors


@dataclass
class ProgramForm:
    name: str
    start_date: dt.date
    length_weeks: int
    cadence_weeks: int
    checkin_weekday: str
    checkin_time: dt.time
    hr_channel_id: str | None
    eligible_departments: tuple[str, ...] = ()
    different_departments: bool = False


def parse_join_choices(view: dict[str, Any]) -> tuple[int | None, bool]:
    """(program chosen in the sign-up modal, if it asked; "invite me to the next round")."""
    r = StateReader(view)
    return db_id(r.option(ids.B_JOIN_PROGRAM, ids.A_JOIN_PROGRAM)), ids.NEXT_ROUND_YES in r.options(
        ids.B_NEXT_ROUND, ids.A_NEXT_ROUND
    )


def parse_confidence(view: dict[str, Any], topics: object) -> tuple[dict[str, int], dict[str, str]]:
    """{topic: 1-5} from the confidence modal (its topics come from private_metadata)."""
    r = StateReader(view)
    ratings: dict[str, int] = {}
    errors: dict[str, str] = {}
    if not isinstance(topics, list):
        return ratings, errors
    for index, topic in enumerate(topics[:MAX_TOPICS]):
        block = ids.confidence_block(index)
        value = small_int(r.option(block, ids.A_CONFIDENCE) or "")
        if not isinstance(topic, str) or value is None or not 1 <= value <= 5:
            errors[block] = text("programs.confidence_needed")
        else:
            ratings[topic] = value
    return ratings, errors


def parse_program(
    view: dict[str, Any], *, today: dt.date, existing: Program | None
) -> tuple[ProgramForm | None, dict[str, str]]:
    """Validate the program modal; a start date in the past is allowed only if unchanged."""
    r = StateReader(view)
    errors: dict[str, str] = {}
    name = r.text(ids.B_PROGRAM_NAME, ids.A_PROGRAM_NAME)
    if not name or len(name) > 80:
        errors[ids.B_PROGRAM_NAME] = text("admin.errors.name_needed")
    try:
        start = r.date(ids.B_PROGRAM_START, ids.A_PROGRAM_START)
    except Refusal:
        start = None
    if start is None:
        errors[ids.B_PROGRAM_START] = text("admin.errors.start_needed")
    elif start < today and not (existing and existing.start_date == start):
        errors[ids.B_PROGRAM_START] = text("admin.errors.start_past")
    length_text = r.text(ids.B_PROGRAM_LENGTH, ids.A_PROGRAM_LENGTH)
    length = small_int(length_text.lstrip("-")) if length_text else None
    if length_text.startswith("-") or length == 0:
        errors[ids.B_PROGRAM_LENGTH] = text("programs.end_before_start")
    elif length is None or not 2 <= length <= 52:
        errors[ids.B_PROGRAM_LENGTH] = text("admin.errors.length_range")
    elif (
        existing is not None
        and isinstance(start, dt.date)
        and start + dt.timedelta(weeks=length) <= today
    ):
        errors[ids.B_PROGRAM_LENGTH] = text("programs.end_past")
    cadence = r.option(ids.B_PROGRAM_CADENCE, ids.A_PROGRAM_CADENCE)
    if cadence not in ("1", "2"):
        errors[ids.B_PROGRAM_CADENCE] = text("signup.errors.unknown_choice")
    weekday = r.option(ids.B_PROGRAM_WEEKDAY, ids.A_PROGRAM_WEEKDAY)
    if weekday not in WORKDAYS:
        errors[ids.B_PROGRAM_WEEKDAY] = text("signup.errors.unknown_choice")
    raw_time = r.element(ids.B_PROGRAM_TIME, ids.A_PROGRAM_TIME).get("selected_time")
    try:
        checkin_time = dt.time.fromisoformat(str(raw_time))
    except ValueError:
        errors[ids.B_PROGRAM_TIME] = text("admin.errors.time_needed")
        checkin_time = dt.time(10)
    channel = r.element(ids.B_PROGRAM_CHANNEL, ids.A_PROGRAM_CHANNEL).get("selected_conversation")
    if channel not in (None, "") and not (isinstance(channel, str) and SLACK_ID.fullmatch(channel)):
        errors[ids.B_PROGRAM_CHANNEL] = text("signup.errors.unknown_choice")
    typed_departments = r.text(ids.B_PROGRAM_DEPARTMENTS, ids.A_PROGRAM_DEPARTMENTS) or ""
    departments = tuple(split_topics(typed_departments))
    if len(departments) > MAX_DEPARTMENTS:
        errors[ids.B_PROGRAM_DEPARTMENTS] = text("programs.too_many_departments")
    elif any(len(department) > MAX_DEPARTMENT for department in departments):
        errors[ids.B_PROGRAM_DEPARTMENTS] = text("signup.errors.too_long", limit=MAX_DEPARTMENT)
    _check_length(errors, ids.B_PROGRAM_DEPARTMENTS, typed_departments, MAX_PROGRAM_DEPARTMENTS)
    if errors:
        return None, errors
    assert isinstance(start, dt.date) and cadence and weekday and length
    return (
        ProgramForm(
            name=name,
            start_date=start,
            length_weeks=length,
            cadence_weeks=int(cadence),
            checkin_weekday=weekday,
            checkin_time=checkin_time,
            hr_channel_id=channel if isinstance(channel, str) and channel else None,
            eligible_departments=departments,
            different_departments=ids.RULE_DIFFERENT_DEPARTMENTS
            in r.options(ids.B_PROGRAM_RULES, ids.A_PROGRAM_RULES),
        ),
        {},
    )


MAX_FEEDBACK_TEXT = 1500


def _rating(
    reader: StateReader, block: str, action: str, low: int, high: int, errors: dict[str, str]
) -> int | None:
    value = reader.option(block, action)
    if value is None:
        return None
    number = small_int(value)
    if number is not None and low <= number <= high:
        return number
    errors[block] = text("feedback.errors.choice")
    return None


@dataclass
class FeedbackForm:
    attendance: str
    usefulness: int | None
    candour: int | None
    learned: str
    blockers: str
    quote_ok: bool
    goal_progress: dict[int, int]


def parse_feedback(
    view: dict[str, Any], goal_ids: list[int]
) -> tuple[FeedbackForm, dict[str, str]]:
    """Validate the private feedback modal; goal ids come from metadata and are re-checked later."""
    r = StateReader(view)
    errors: dict[str, str] = {}
    attendance = r.option(ids.B_FB_MET, ids.A_FB_MET) or ""
    if attendance not in codes("feedback.met_options"):
        errors[ids.B_FB_MET] = text("feedback.errors.met_needed")
    usefulness = _rating(r, ids.B_FB_USEFUL, ids.A_FB_USEFUL, 1, 5, errors)
    candour = _rating(r, ids.B_FB_CANDOUR, ids.A_FB_CANDOUR, 1, 5, errors)
    learned = r.text(ids.B_FB_LEARNED, ids.A_FB_LEARNED)
    blockers = r.text(ids.B_FB_BLOCKERS, ids.A_FB_BLOCKERS)
    for block, value in ((ids.B_FB_LEARNED, learned), (ids.B_FB_BLOCKERS, blockers)):
        if len(value) > MAX_FEEDBACK_TEXT:
            errors[block] = text("feedback.errors.too_long", limit=MAX_FEEDBACK_TEXT)
    progress: dict[int, int] = {}
    for goal_id in goal_ids:
        block = ids.feedback_goal_block(goal_id)
        chosen = r.option(block, ids.A_FB_GOAL)
        if chosen is None:
            continue
        step = small_int(chosen)
        if step is not None and step in PROGRESS_STEPS:
            progress[goal_id] = step
        else:
            errors[block] = text("feedback.errors.choice")
    form = FeedbackForm(
        attendance=attendance,
        usefulness=usefulness,
        candour=candour,
        learned=learned,
        blockers=blockers,
        quote_ok="quote" in r.options(ids.B_FB_QUOTE, ids.A_FB_QUOTE),
        goal_progress=progress,
    )
    return form, errors


def parse_repair(view: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The optional private reason for a re-pair request, or a field error if it is too long."""
    reason = StateReader(view).text(ids.B_REPAIR_REASON, ids.A_REPAIR_REASON)
    if len(reason) > MAX_FEEDBACK_TEXT:
        return "", {ids.B_REPAIR_REASON: text("feedback.errors.too_long", limit=MAX_FEEDBACK_TEXT)}
    return reason, {}


@dataclass
class SurveyForm:
    recommend: int
    attainment: int
    changed: str
    quote_ok: bool


def parse_survey(view: dict[str, Any]) -> tuple[SurveyForm | None, dict[str, str]]:
    r = StateReader(view)
    errors: dict[str, str] = {}
    recommend = _rating(r, ids.B_SV_RECOMMEND, ids.A_SV_RECOMMEND, 0, 10, errors)
    attainment = _rating(r, ids.B_SV_ATTAINMENT, ids.A_SV_ATTAINMENT, 1, 5, errors)
    if recommend is None:
        errors.setdefault(ids.B_SV_RECOMMEND, text("feedback.errors.choice"))
    if attainment is None:
        errors.setdefault(ids.B_SV_ATTAINMENT, text("feedback.errors.choice"))
    changed = r.text(ids.B_SV_CHANGED, ids.A_SV_CHANGED)
    if len(changed) > MAX_FEEDBACK_TEXT:
        errors[ids.B_SV_CHANGED] = text("feedback.errors.too_long", limit=MAX_FEEDBACK_TEXT)
    if errors or recommend is None or attainment is None:
        return None, errors
    quote_ok = "quote" in r.options(ids.B_SV_QUOTE, ids.A_SV_QUOTE)
    return SurveyForm(recommend, attainment, changed, quote_ok), {}


@dataclass
class MeetingPick:
    """What the meeting modal asked for: one of the offered times (``'tue@14:30'``, a weekday and
    start in the pair's anchor zone) or a weekday and a start time in the person's own zone."""

    offered: tuple[str, dt.time] | None = None
    day: str | None = None
    at: dt.time | None = None


def parse_offered(value: str) -> tuple[str, dt.time] | None:
    """'tue@14:30' -> ('tue', 14:30); None when malformed."""
    weekday, _, start = value.partition("@")
    try:
        return (weekday, dt.time.fromisoformat(start)) if weekday in WORKDAYS else None
    except ValueError:
        return None


def parse_meeting_pick(
    view: dict[str, Any], *, offers: bool
) -> tuple[MeetingPick | None, dict[str, str]]:
    """Parse the pick (``offers``: the modal listed alternatives) or say what is missing where."""
    r = StateReader(view)
    chosen = r.option(ids.B_MEETING_OPTION, ids.A_MEETING_OPTION) if offers else None
    if chosen and chosen != ids.MEETING_OTHER:
        offered = parse_offered(chosen)
        if offered is None:
            return None, {ids.B_MEETING_OPTION: text("signup.errors.unknown_choice")}
        return MeetingPick(offered=offered), {}
    day = r.option(ids.B_MEETING_DAY, ids.A_MEETING_DAY)
    raw_time = r.element(ids.B_MEETING_TIME, ids.A_MEETING_TIME).get("selected_time")
    if offers and not chosen and not day and not raw_time:
        return None, {ids.B_MEETING_OPTION: text("meeting.errors.pick_needed")}
    errors: dict[str, str] = {}
    if day not in WORKDAYS:
        errors[ids.B_MEETING_DAY] = text("meeting.errors.day_needed")
    at: dt.time | None = None
    try:
        at = dt.time.fromisoformat(str(raw_time))
    except ValueError:
        errors[ids.B_MEETING_TIME] = text("meeting.errors.time_needed")
    if errors or at is None:
        return None, errors
    return MeetingPick(day=day, at=at), {}
