"""The sign-up modal (`/mentoring join`), prefilled when someone updates their profile."""

from __future__ import annotations

import functools
from typing import Any

from bot import ids, vocabulary
from bot.forms import MAX_DEPARTMENT, MAX_GOAL_TEXT, MAX_OTHER_TOPICS
from bot.models import OrgPerson, Participant
from bot.texts import raw, text
from bot.texts.mrkdwn import mention
from bot.views import blocks as b
from bot.views.programs import confidence_prompt_blocks
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, TimeOfDay

# The modal's menus are the same for everyone: built once, not on every `/mentoring join` (a
# third of the modal's building time). Option dicts are shared between views and never changed.


@functools.lru_cache(maxsize=4)
def _topic_choices(catalogue: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    return tuple(b.option(label, label) for label in catalogue[:100])


def _topic_options(catalogue: list[str]) -> list[dict[str, Any]]:
    return list(_topic_choices(tuple(catalogue)))


@functools.cache
def _zone_choices() -> tuple[dict[str, Any], ...]:
    return tuple(b.option(z, z.replace("_", " ")) for z in raw("catalogue.timezones"))


def _timezone_options(current: str) -> list[dict[str, Any]]:
    zones = list(_zone_choices())
    if current and current not in raw("catalogue.timezones"):
        zones.insert(0, b.option(current, current.replace("_", " ")))
    return zones[:100]


@functools.cache
def _vocabulary_choices(members: Any) -> tuple[dict[str, Any], ...]:
    return tuple(b.options(vocabulary.options(members)))


def _vocabulary_options(members: Any) -> list[dict[str, Any]]:
    return list(_vocabulary_choices(members))


def goal_fields(
    slot: int, goal: Any | None = None, *, with_progress: bool = False
) -> list[b.Block]:
    """The input blocks of one goal slot (shared by the sign-up and the goals modals)."""
    categories = b.options(raw("catalogue.goal_categories"))
    fields = [
        b.input_block(
            ids.goal_block("category", slot),
            text("goals.category_label"),
            b.select(ids.A_GOAL["category"], categories, initial=goal.category if goal else None),
            optional=True,
        ),
        b.input_block(
            ids.goal_block("description", slot),
            text("goals.description_label"),
            b.text_input(
                ids.A_GOAL["description"],
                initial=goal.description if goal else None,
                max_length=MAX_GOAL_TEXT,
                multiline=True,
            ),
            optional=True,
        ),
        b.input_block(
            ids.goal_block("measure", slot),
            text("goals.measure_label"),
            b.text_input(
                ids.A_GOAL["measure"],
                initial=goal.success_measure if goal else None,
                max_length=MAX_GOAL_TEXT,
            ),
            optional=True,
        ),
        b.input_block(
            ids.goal_block("target", slot),
            text("goals.target_label"),
            {"type": "datepicker", "action_id": ids.A_GOAL["target"]}
            | ({"initial_date": goal.target_date.isoformat()} if goal and goal.target_date else {}),
            optional=True,
        ),
    ]
    if with_progress:
        steps = [(str(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
        fields.append(
            b.input_block(
                ids.goal_block("progress", slot),
                text("goals.progress_label"),
                b.select(
                    ids.A_GOAL["progress"],
                    b.options(steps),
                    initial=str(goal.progress) if goal else "0",
                ),
                optional=True,
            )
        )
        if goal is not None:
            fields.append(
                b.input_block(
                    ids.goal_block("state", slot),
                    text("goals.state_label"),
                    {
                        "type": "radio_buttons",
                        "action_id": ids.A_GOAL["state"],
                        "options": b.options(raw("goals.states")),
                        "initial_option": b.options(raw("goals.states"))[0],
                    },
                    optional=True,
                )
            )
    return fields


def signup_modal(
    *,
    catalogue: list[str],
    timezone: str,
    participant: Participant | None,
    program_name: str | None,
    ask_first_goal: bool,
    display_name: str | None = None,
    program_choices: list[tuple[int, str]] | None = None,
    program_id: int | None = None,
    org: OrgPerson | None = None,
) -> dict[str, Any]:
    """All the fields of a profile; `participant` prefills them when updating. With several
    programs open to the person, `program_choices` asks which; `program_id` is the one an
    invitation was for. HR's org data (`org`) gives the department and manager (shown, not
    asked) and a first band.

    `display_name` (Slack's, looked up when the modal opens) rides in the metadata so that the
    submission is saved in one transaction with no Slack call of its own.
    """
    intro: str = text("signup.intro")
    if program_name:
        intro += "\n" + text("signup.program", program=program_name)
    blocks = [b.section(intro)]
    if program_choices:
        blocks.append(_program_field(participant, program_choices))
    blocks += [
        *_about_you_fields(participant, org),
        *_topic_fields(participant, catalogue),
        *_availability_fields(participant, timezone),
    ]
    if ask_first_goal:
        blocks += [b.divider(), b.section(text("signup.goal_header")), *goal_fields(0)]
    blocks += [b.divider(), _consent_field(participant), _next_round_field(participant)]
    title = text("signup.update_title") if participant else text("signup.title")
    return b.modal(
        ids.SIGNUP_CALLBACK,
        title,
        blocks,
        submit=text("signup.submit"),
        private_metadata={"first_goal": ask_first_goal, "name": display_name}
        | ({"program_id": program_id} if program_id else {}),
    )


def _program_field(p: Participant | None, choices: list[tuple[int, str]]) -> dict[str, Any]:
    """Which program to join, when several are open to the person."""
    return b.input_block(
        ids.B_JOIN_PROGRAM,
        text("programs.choose_label"),
        b.select(
            ids.A_JOIN_PROGRAM,
            [b.option(str(pid), name[:75]) for pid, name in choices],
            initial=str(p.program_id) if p and p.program_id else None,
        ),
    )


def _next_round_field(p: Participant | None) -> dict[str, Any]:
    """ "Invite me to the next round": a new program DMs them a Join button."""
    return b.tick_box(
        ids.B_NEXT_ROUND,
        text("programs.next_round_label"),
        ids.A_NEXT_ROUND,
        b.option(ids.NEXT_ROUND_YES, text("programs.next_round_option")),
        ticked=bool(p and p.next_round),
    )


def _about_you_fields(p: Participant | None, org: OrgPerson | None) -> list[dict[str, Any]]:
    """Role, experience band, department and manager; what HR's org data knows is shown as a
    fact instead of a field (the person may change their band, never their manager)."""
    role_options = _vocabulary_options(Role)
    role_element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ids.A_ROLE,
        "options": role_options,
    }
    if p:
        role_element["initial_option"] = next(o for o in role_options if o["value"] == p.role)
    manager: dict[str, Any] = {"type": "users_select", "action_id": ids.A_MANAGER}
    if p and p.manager_slack_id:
        manager["initial_user"] = p.manager_slack_id
    fields = [
        b.input_block(ids.B_ROLE, text("signup.role_label"), role_element),
        b.input_block(
            ids.B_EXPERIENCE,
            text("signup.experience_label"),
            b.select(
                ids.A_EXPERIENCE,
                _vocabulary_options(ExperienceBand),
                initial=p.experience_band if p else (org.experience_band if org else None),
            ),
            hint=text("signup.experience_hint"),
        ),
    ]
    if org is not None:
        facts = [
            text("signup.from_hr_department", department=org.department or "—"),
            text("signup.from_hr_manager", manager=mention(org.manager_slack_id))
            if org.manager_slack_id
            else text("signup.from_hr_no_manager"),
        ]
        return [*fields, b.context(text("signup.from_hr", facts=b.Mrkdwn(" · ".join(facts))))]
    return [
        *fields,
        b.input_block(
            ids.B_DEPARTMENT,
            text("signup.department_label"),
            b.text_input(
                ids.A_DEPARTMENT, initial=p.department if p else None, max_length=MAX_DEPARTMENT
            ),
        ),
        b.input_block(
            ids.B_MANAGER,
            text("signup.manager_label"),
            manager,
            optional=True,
            hint=text("signup.manager_hint"),
        ),
    ]


def _topic_fields(p: Participant | None, catalogue: list[str]) -> list[dict[str, Any]]:
    """What the person can share and wants to learn: catalogue choices plus their own words."""
    choices = _topic_options(catalogue)
    blocks = []
    for kind, chosen in (
        ("share", p.share_topics if p else []),
        ("learn", p.learn_topics if p else []),
    ):
        listed = [t for t in chosen if t in set(catalogue)]
        extra = ", ".join(t for t in chosen if t not in set(catalogue))
        blocks += [
            b.input_block(
                TOPIC_IDS[kind][0],
                text(f"signup.{kind}_label"),
                b.multi(TOPIC_IDS[kind][1], choices, initial=listed),
                optional=True,
            ),
            b.input_block(
                TOPIC_IDS[kind][2],
                text(f"signup.{kind}_other_label"),
                b.text_input(
                    TOPIC_IDS[kind][3],
                    initial=extra or None,
                    max_length=MAX_OTHER_TOPICS,
                    placeholder=text("signup.other_placeholder"),
                ),
                optional=True,
            ),
        ]
    return blocks


TOPIC_IDS = {  # (choices block, choices action, own words block, own words action)
    "share": (ids.B_SHARE_TOPICS, ids.A_SHARE_TOPICS, ids.B_SHARE_OTHER, ids.A_SHARE_OTHER),
    "learn": (ids.B_LEARN_TOPICS, ids.A_LEARN_TOPICS, ids.B_LEARN_OTHER, ids.A_LEARN_OTHER),
}


def _availability_fields(p: Participant | None, timezone: str) -> list[dict[str, Any]]:
    """Time zone, days, time of day and meeting length."""
    return [
        b.input_block(
            ids.B_TIMEZONE,
            text("signup.timezone_label"),
            b.select(ids.A_TIMEZONE, _timezone_options(timezone), initial=timezone),
        ),
        b.input_block(
            ids.B_DAYS,
            text("signup.days_label"),
            b.multi(
                ids.A_DAYS,
                _vocabulary_options(WORKDAYS),
                initial=p.available_days if p else WORKDAYS,
                kind="checkboxes",
            ),
        ),
        b.input_block(
            ids.B_TIME_OF_DAY,
            text("signup.time_of_day_label"),
            b.select(
                ids.A_TIME_OF_DAY,
                _vocabulary_options(TimeOfDay),
                initial=p.time_of_day if p else TimeOfDay.ANY,
            ),
        ),
        b.input_block(
            ids.B_MEETING_LENGTH,
            text("signup.meeting_length_label"),
            b.select(
                ids.A_MEETING_LENGTH,
                [b.option(str(m), f"{m} minutes") for m in raw("catalogue.meeting_lengths")],
                initial=str(p.meeting_minutes) if p else "30",
            ),
        ),
    ]


def _consent_field(p: Participant | None) -> dict[str, Any]:
    return b.tick_box(
        ids.B_CONSENT,
        text("signup.consent_label"),
        ids.A_CONSENT,
        b.option(ids.CONSENT_QUOTE, text("signup.consent_option")),
        ticked=bool(p and p.consent_quote),
        hint=text("signup.consent_hint"),
    )


def confirmation_dm(message: str, rate_in_program: int | None) -> tuple[str, list[b.Block] | None]:
    """The DM after a sign-up: (its text, its blocks). When the person joined a program with
    topics to learn, the button that rates their confidence before it starts comes in the same
    message: one notification, not two."""
    if rate_in_program is None:
        return message, None
    ask = text("programs.confidence_ask")
    blocks = [b.section(message), *confidence_prompt_blocks(rate_in_program, "before")]
    return f"{message}\n\n{ask}", blocks
