"""Words that agree: the two role names are the only role words, everywhere people read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.models import Goal, Pair, Participant, Program
from bot.prompts.library import load_prompts
from bot.services.dashboard import PersonalView
from bot.texts import raw
from bot.views.help import help_blocks
from bot.views.home import home_view
from bot.views.kickoff import first_meeting_suggestion, kickoff_blocks
from bot.views.signup import signup_modal

ROOT = Path(__file__).parent.parent
SHARER, LEARNER = "reverse mentor", "senior partner"
# Other words for the two roles that crept in before: never again.
OTHER_ROLE_WORDS = re.compile(
    r"\bmentees?\b|\blearners?\b|\bsharers?\b|either side|which side|"
    r"sharing with|\bseniors?\b(?! partner)|(?<!reverse )\bmentors?\b",
    re.IGNORECASE,
)


def strings(node: Any) -> list[str]:
    """Every string value in a YAML tree or a Block Kit payload (keys and ids left out)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        skip = {"action_id", "block_id", "callback_id", "value", "type", "private_metadata"}
        return [s for k, v in node.items() if k not in skip for s in strings(v)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def role_words(texts: list[str]) -> list[str]:
    found = []
    for said in texts:
        readable = re.sub(r"\{[a-z_]+[^}]*\}", "", " ".join(said.split()))  # placeholders
        found += [f"{m.group(0)!r} in {said[:80]!r}" for m in OTHER_ROLE_WORDS.finditer(readable)]
    return found


def person(pid: int, user: str, role: str, tz: str = "Europe/London") -> Participant:
    return Participant(
        id=pid,
        slack_user_id=user,
        role=role,
        experience_band="21+" if role == "learn" else "0-2",
        department="Finance",
        timezone=tz,
        share_topics=["strategic planning"],
        learn_topics=["generative AI tools"],
        available_days=["tue", "wed"],
        time_of_day="midday",
        meeting_minutes=30,
        status="active",
    )


def test_the_two_role_names_are_defined_once():
    assert raw("roles") == {"sharer": SHARER, "learner": LEARNER}


def test_no_other_role_words_in_texts_prompts_or_readme():
    said = []
    for path in sorted((ROOT / "bot" / "texts").glob("*.yaml")):
        said += strings(yaml.safe_load(path.read_text("utf-8")))
    said += [prompt.text for prompt in load_prompts()]
    readme = (ROOT / "README.md").read_text("utf-8")
    said += [line for line in readme.splitlines() if not line.startswith(("|", "`", " "))]
    assert role_words(said) == []


def test_views_use_the_role_names_and_the_kickoff_says_who_is_who():
    program = Program(id=1, name="Spring", length_weeks=12, cadence_weeks=1)
    sharer = person(1, "U0SHARE01", "share")
    learner = person(2, "U0LEARN01", "learn", tz="Asia/Kolkata")
    goal = Goal(
        id=1, participant_id=2, category="tech_upskilling", description="Use AI", progress=0
    )
    kickoff = kickoff_blocks(
        program=program,
        sharer=sharer,
        learner=learner,
        reasons=["Different departments"],
        goals={2: [goal]},
        prompt_text=load_prompts()[0].text,
    )
    pair = Pair(id=1, program_id=1, sharer_id=1, learner_id=2, dm_channel_id="G1")
    shown = [
        *strings(kickoff),
        *strings(
            signup_modal(
                catalogue=["AI"],
                timezone="UTC",
                participant=None,
                program_name="Spring",
                ask_first_goal=True,
            )
        ),
        *strings(help_blocks(is_admin=True)),
        *strings(home_view(PersonalView(learner, program, sharer, pair, [goal]), None)),
        *strings(home_view(PersonalView(None, program, None, None), None)),
    ]
    assert role_words(shown) == []
    kickoff_text = " ".join(strings(kickoff))
    assert "<@U0SHARE01> is the *reverse mentor*" in kickoff_text
    assert "<@U0LEARN01> is the *senior partner*" in kickoff_text
    assert "You're the *senior partner*" in " ".join(
        strings(home_view(PersonalView(learner, program, sharer, pair, [goal]), None))
    )


def test_a_time_of_day_across_time_zones_says_whose():
    """'Around lunch' is two different hours in London and Kolkata: the kickoff says whose."""
    sharer = person(1, "U0SHARE01", "share")
    learner = person(2, "U0LEARN01", "learn", tz="Asia/Kolkata")
    assert "around lunch for <@U0SHARE01> (Europe/London time)" in first_meeting_suggestion(
        sharer, learner
    )
    learner.timezone = "Europe/London"
    assert "Tuesday or Wednesday, around lunch, 30 minutes" in first_meeting_suggestion(
        sharer, learner
    )


def test_no_kickoff_prompt_calls_itself_a_check_in():
    kickoff = [p for p in load_prompts() if p.phase == "kickoff"]
    assert kickoff and not [p.id for p in kickoff if "first check-in" in p.text.lower()]
