"""The sign-up modal (`/mentoring join`), prefilled when someone updates their profile."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.forms import MAX_DEPARTMENT, MAX_GOAL_TEXT, MAX_OTHER_TOPICS
from bot.models import Participant
from bot.texts import raw, text
from bot.views import blocks as b


def _topic_options(catalogue: list[str]) -> list[dict[str, Any]]:
    return [b.option(label, label) for label in catalogue[:100]]


def _timezone_options(current: str) -> list[dict[str, Any]]:
    zones = list(raw("catalogue.timezones"))
    if current and current not in zones:
        zones.insert(0, current)
    return [b.option(z, z.replace("_", " ")) for z in zones[:100]]


def goal_fields(slot: int, goal: Any | None = None, *, with_progress: bool = False) -> list[dict]:
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
) -> dict[str, Any]:
    """All the fields of a profile; `participant` prefills them when updating.

    `display_name` (Slack's, looked up when the modal opens) rides in the metadata so that the
    submission is saved in one transaction with no Slack call of its own.
    """
    intro: str = text("signup.intro")
    if program_name:
        intro += "\n" + text("signup.program", program=program_name)
    blocks = [
        b.section(intro),
        *_about_you_fields(participant),
        *_topic_fields(participant, catalogue),
        *_availability_fields(participant, timezone),
    ]
    if ask_first_goal:
        blocks += [b.divider(), b.section(text("signup.goal_header")), *goal_fields(0)]
    blocks += [b.divider(), _consent_field(participant)]
    title = text("signup.update_title") if participant else text("signup.title")
    return b.modal(
        ids.SIGNUP_CALLBACK,
        title,
        blocks,
        submit=text("signup.submit"),
        private_metadata={"first_goal": ask_first_goal, "name": display_name},
    )


def _about_you_fields(p: Participant | None) -> list[dict[str, Any]]:
    """Role, experience band, department and manager."""
    role_options = b.options(raw("catalogue.roles"))
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
    return [
        b.input_block(ids.B_ROLE, text("signup.role_label"), role_element),
        b.input_block(
            ids.B_EXPERIENCE,
            text("signup.experience_label"),
            b.select(
                ids.A_EXPERIENCE,
                b.options(raw("catalogue.experience_bands")),
                initial=p.experience_band if p else None,
            ),
            hint=text("signup.experience_hint"),
        ),
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
                b.options(raw("catalogue.days")),
                initial=p.available_days if p else ("mon", "tue", "wed", "thu", "fri"),
                kind="checkboxes",
            ),
        ),
        b.input_block(
            ids.B_TIME_OF_DAY,
            text("signup.time_of_day_label"),
            b.select(
                ids.A_TIME_OF_DAY,
                b.options(raw("catalogue.times_of_day")),
                initial=p.time_of_day if p else "any",
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
    return b.input_block(
        ids.B_CONSENT,
        text("signup.consent_label"),
        b.multi(
            ids.A_CONSENT,
            [b.option(ids.CONSENT_QUOTE, text("signup.consent_option"))],
            initial=[ids.CONSENT_QUOTE] if p and p.consent_quote else [],
            kind="checkboxes",
        ),
        optional=True,
        hint=text("signup.consent_hint"),
    )
