"""Every free-text field: past the length its modal allows (what Slack's client enforces), a
forged submission gets a field error on that field; at the limit it is accepted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import forms
from bot.views.admin import program_modal
from bot.views.checkin import feedback_modal, repair_modal, survey_modal
from bot.views.goals import goals_modal
from bot.views.signup import signup_modal

TODAY = dt.date(2026, 1, 5)
MODALS = {
    "signup": (
        signup_modal(
            catalogue=["AI"],
            timezone="UTC",
            participant=None,
            program_name=None,
            ask_first_goal=True,
        ),
        lambda view: forms.parse_signup(
            view, user_id="U1", today=TODAY, catalogue={"AI"}, with_goal=True
        )[1],
    ),
    "goals": (
        goals_modal([]),
        lambda view: forms.parse_goals(view, today=TODAY, slot_goal_ids=[])[1],
    ),
    "program": (
        program_modal(None, None),
        lambda view: forms.parse_program(view, today=TODAY, existing=None)[1],
    ),
    "feedback": (
        feedback_modal(checkin_id=1, response=None, goals=[], quote_default=False),
        lambda view: forms.parse_feedback(view, [])[1],
    ),
    "survey": (
        survey_modal(checkin_id=1, kind="mid", existing=None),
        lambda view: forms.parse_survey(view)[1],
    ),
    "repair": (repair_modal(1), lambda view: forms.parse_repair(view)[1]),
}
FIELDS = [
    (name, block["block_id"], block["element"]["action_id"], block["element"]["max_length"])
    for name, (view, _) in MODALS.items()
    for block in view["blocks"]
    if block.get("type") == "input" and block["element"]["type"] == "plain_text_input"
]


def submitted(block_id: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "state": {"values": {block_id: {action_id: {"type": "plain_text_input", "value": value}}}}
    }


def test_every_free_text_field_is_covered():
    assert {name for name, *_ in FIELDS} == set(MODALS)
    assert len(FIELDS) >= 12


@pytest.mark.parametrize(("modal", "block_id", "action_id", "limit"), FIELDS)
def test_over_the_limit_is_a_field_error_at_the_limit_is_not(modal, block_id, action_id, limit):
    parse = MODALS[modal][1]
    assert block_id in parse(submitted(block_id, action_id, "x" * (limit + 1)))
    assert block_id not in parse(submitted(block_id, action_id, "x" * limit))
