"""The prompt library loads and validates, covers the practice, and is chosen fairly and stably."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import SectionBlock

from bot.prompts import (
    GOAL_TAGS,
    MAX_TEXT_CHARS,
    PHASES,
    PROMPTS_DIR,
    THEMES,
    Prompt,
    PromptFileError,
    choose_prompt,
    load_prompts,
    phase_for_week,
)

PROMPTS = load_prompts()
PAIR_KEYS = [f"T0123:pair-{n}" for n in range(400)]
# What a check-in message might put before the prompt; 200 characters is the budget we allow.
FRAMING = (
    "*Week 26 of 26 check-in* :seedling: Hi <@U0123456789> and <@U9876543210>! "
    "Here is this week's prompt for your conversation, picked for your goals:"
).ljust(198, ".") + "\n\n"

TEXT_LINE = 'text: "What is one thing our company should start doing for new joiners?"'
VALID_ENTRY = f"""\
- id: hr-custom-prompt
  {TEXT_LINE}
  theme: cross_generational_communication
  phase: middle
  addresses: both
  tags: [inclusion]
"""


def _is_light(prompt: Prompt) -> bool:
    return prompt.short or prompt.theme == "time_constraints"


def _choose(**overrides):
    args = {
        "pair_key": "T0123:pair-0",
        "week": 6,
        "total_weeks": 12,
        "goal_categories": [],
        "used_ids": [],
    } | overrides
    return choose_prompt(PROMPTS, **args)


def _run_program(pair_key: str, total_weeks: int, **kwargs) -> list[Prompt]:
    used: list[str] = []
    chosen = []
    for week in range(1, total_weeks + 1):
        choice = choose_prompt(
            PROMPTS, pair_key=pair_key, week=week, total_weeks=total_weeks, used_ids=used, **kwargs
        )
        assert choice is not None
        used.append(choice.prompt.id)
        chosen.append(choice.prompt)
    return chosen


# --- the shipped library ---


def test_shipped_files_load_with_unique_ids_and_short_texts():
    assert len(PROMPTS) >= 70
    assert len({p.id for p in PROMPTS}) == len(PROMPTS)
    assert all(10 <= len(p.text) <= 600 for p in PROMPTS)
    assert len(list(PROMPTS_DIR.glob("*.yaml"))) >= 5


def test_every_theme_phase_side_and_goal_is_covered():
    themes = Counter(p.theme for p in PROMPTS)
    phases = Counter(p.phase for p in PROMPTS)
    sides = Counter(p.addresses for p in PROMPTS)
    tags = Counter(tag for p in PROMPTS for tag in p.tags)
    assert all(themes[theme] >= 5 for theme in THEMES), themes
    assert phases["kickoff"] >= 6 and phases["closing"] >= 6, phases
    # A 26-week program spends 8 weeks in each of early, middle and late.
    assert all(phases[phase] >= 16 for phase in ("early", "middle", "late")), phases
    assert all(sides[side] >= 20 for side in ("sharer", "learner", "both")), sides
    assert all(tags[tag] >= 10 for tag in GOAL_TAGS), tags
    sharer_tools = [p for p in PROMPTS if p.addresses == "sharer" and "tech_upskilling" in p.tags]
    learner_strategy = [
        p for p in PROMPTS if p.addresses == "learner" and "leadership_development" in p.tags
    ]
    assert len(sharer_tools) >= 10 and len(learner_strategy) >= 10


def test_short_prompts_exist_in_every_phase_for_pairs_short_on_time():
    assert sum(p.short for p in PROMPTS) >= 8
    assert all(p.short for p in PROMPTS if p.theme == "time_constraints")
    for phase in PHASES:
        assert sum(_is_light(p) for p in PROMPTS if p.phase == phase) >= 3, phase


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: p.id)
def test_every_prompt_fits_a_section_block_with_framing(prompt):
    assert len(FRAMING) == 200
    block = SectionBlock(text=FRAMING + prompt.text).to_dict()
    assert block["text"]["type"] == "mrkdwn"


def test_the_text_limit_leaves_room_for_framing_and_the_block_check_is_real():
    SectionBlock(text=FRAMING + "x" * MAX_TEXT_CHARS).to_dict()
    with pytest.raises(SlackObjectFormationError):
        SectionBlock(text="x" * 3001).to_dict()


# --- validation of HR's files ---


def _write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (f"  {TEXT_LINE}\n", "", "missing text"),
        ("theme: cross_generational_communication", "theme: vibes", "theme 'vibes' is not one of"),
        ("phase: middle", "phase: week-3", "phase 'week-3' is not one of"),
        ("addresses: both", "addresses: manager", "addresses 'manager' is not one of"),
        ("tags: [inclusion]", "tags: [ai]", "unknown tag ai"),
        ("tags: [inclusion]", "tags: inclusion", "tags must be a list"),
        (TEXT_LINE, 'text: "   "', "text must be a non-empty string"),
        (
            TEXT_LINE,
            f"text: {'a' * (MAX_TEXT_CHARS + 1)}",
            f"text is {MAX_TEXT_CHARS + 1} characters",
        ),
        ("tags: [inclusion]", "tags: [inclusion]\n  shrot: true", "unknown field shrot"),
        ("tags: [inclusion]", "tags: [inclusion]\n  short: maybe", "short must be true or false"),
    ],
)
def test_schema_errors_name_the_file_the_prompt_and_the_problem(tmp_path, old, new, problem):
    assert old in VALID_ENTRY
    path = _write(tmp_path, "hr.yaml", VALID_ENTRY.replace(old, new))
    with pytest.raises(PromptFileError) as error:
        load_prompts(extra_dir=tmp_path)
    message = str(error.value)
    assert str(path) in message and "'hr-custom-prompt' (#1)" in message and problem in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (VALID_ENTRY + "- text: no id here\n", "prompt #2: missing id"),
        (VALID_ENTRY.replace("id: hr-custom-prompt", "id: HR_Custom"), "must be kebab-case"),
        ("- just a sentence\n", "prompt #1: expected a mapping"),
        ("id: not-a-list\n", "expected a YAML list of prompts"),
        ("", "expected a YAML list of prompts"),
        ("- id: [unclosed\n", "cannot read prompts"),
    ],
)
def test_structural_errors_name_the_file_and_position(tmp_path, content, problem):
    path = _write(tmp_path, "hr.yaml", content)
    with pytest.raises(PromptFileError) as error:
        load_prompts(extra_dir=tmp_path)
    assert str(path) in str(error.value) and problem in str(error.value)


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    first = _write(tmp_path, "a.yaml", VALID_ENTRY)
    second = _write(tmp_path, "b.yaml", VALID_ENTRY)
    with pytest.raises(PromptFileError) as error:
        load_prompts(extra_dir=tmp_path)
    message = str(error.value)
    assert "'hr-custom-prompt'" in message and str(first) in message and str(second) in message


def test_reusing_a_shipped_id_is_rejected(tmp_path):
    _write(tmp_path, "hr.yaml", VALID_ENTRY.replace("hr-custom-prompt", PROMPTS[0].id))
    with pytest.raises(PromptFileError, match="duplicate id"):
        load_prompts(extra_dir=tmp_path)


def test_missing_extra_dir_is_reported(tmp_path):
    with pytest.raises(PromptFileError, match="does not exist"):
        load_prompts(extra_dir=tmp_path / "nope")


def test_extra_dir_pointing_at_the_shipped_folder_is_harmless():
    assert load_prompts(extra_dir=PROMPTS_DIR) == PROMPTS


def test_hr_extra_dir_prompts_are_loaded_and_chosen(tmp_path):
    _write(tmp_path, "our-company.yaml", VALID_ENTRY)
    _write(tmp_path, "notes.txt", "not a prompt file")
    prompts = load_prompts(extra_dir=tmp_path)
    assert len(prompts) == len(PROMPTS) + 1
    hr_prompt = prompts[-1]
    assert hr_prompt.id == "hr-custom-prompt" and hr_prompt.tags == ("inclusion",)
    assert not hr_prompt.short
    choice = choose_prompt(
        prompts,
        pair_key="p",
        week=6,
        total_weeks=12,
        goal_categories=["inclusion"],
        used_ids=[p.id for p in PROMPTS],
    )
    assert choice is not None and choice.prompt == hr_prompt


# --- phases ---


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (1, ["kickoff"]),
        (2, ["kickoff", "closing"]),
        (5, ["kickoff", "early", "middle", "late", "closing"]),
        (12, ["kickoff"] + ["early"] * 4 + ["middle"] * 3 + ["late"] * 3 + ["closing"]),
    ],
)
def test_phase_for_week_examples(total, expected):
    assert [phase_for_week(week, total) for week in range(1, total + 1)] == expected


@given(total=st.integers(min_value=2, max_value=104))
def test_phases_run_in_order_with_balanced_thirds(total):
    phases = [phase_for_week(week, total) for week in range(1, total + 1)]
    assert phases[0] == "kickoff" and phases[-1] == "closing"
    assert phases == sorted(phases, key=PHASES.index)
    sizes = [phases.count(phase) for phase in ("early", "middle", "late")]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == total - 2


def test_phase_for_week_past_the_end_is_closing_and_bad_input_raises():
    assert phase_for_week(14, 12) == "closing"
    with pytest.raises(ValueError):
        phase_for_week(0, 12)
    with pytest.raises(ValueError):
        phase_for_week(1, 0)


# --- choosing ---


def test_choice_is_deterministic_and_independent_of_input_order():
    used = [p.id for p in PROMPTS[::7]]
    args = {
        "pair_key": "T0123:U1:U2",
        "week": 7,
        "total_weeks": 12,
        "goal_categories": ["tech_upskilling", "inclusion"],
        "ratings": {PROMPTS[3].id: 0.5},
    }
    first = choose_prompt(PROMPTS, used_ids=used, **args)
    shuffled = list(PROMPTS)
    random.Random(1).shuffle(shuffled)
    again = choose_prompt(shuffled, used_ids=reversed(used), **args)
    assert first == again
    assert len({_choose(pair_key=key).prompt.id for key in PAIR_KEYS[:50]}) > 5


@pytest.mark.parametrize("total_weeks", [12, 26])
def test_never_repeats_and_stays_in_phase_over_a_program(total_weeks):
    for n, pair_key in enumerate(PAIR_KEYS[:40]):
        chosen = _run_program(
            pair_key,
            total_weeks,
            goal_categories=[GOAL_TAGS[n % len(GOAL_TAGS)]],
            at_risk=n % 3 == 0,
        )
        assert len({p.id for p in chosen}) == total_weeks
        if n % 3:
            assert [p.phase for p in chosen] == [
                phase_for_week(week, total_weeks) for week in range(1, total_weeks + 1)
            ]


def test_returns_none_once_every_prompt_is_used():
    used: list[str] = []
    week = 1
    while (choice := _choose(week=week, total_weeks=52, used_ids=used)) is not None:
        used.append(choice.prompt.id)
        week += 1
    assert sorted(used) == sorted(p.id for p in PROMPTS)


@settings(max_examples=60)
@given(
    pair_key=st.text(max_size=20),
    total=st.integers(min_value=1, max_value=60),
    data=st.data(),
)
def test_choice_is_always_an_unused_prompt(pair_key, total, data):
    week = data.draw(st.integers(min_value=1, max_value=total))
    used = data.draw(st.sets(st.sampled_from([p.id for p in PROMPTS])))
    choice = _choose(pair_key=pair_key, week=week, total_weeks=total, used_ids=used)
    assert choice is not None and choice.prompt.id not in used and choice.prompt in PROMPTS


def test_goal_categories_shift_choices_toward_tagged_prompts():
    def share_tagged(goals: list[str]) -> float:
        picks = [_choose(pair_key=key, goal_categories=goals).prompt for key in PAIR_KEYS]
        return sum("inclusion" in p.tags for p in picks) / len(picks)

    without, with_goal = share_tagged([]), share_tagged(["inclusion"])
    assert with_goal >= 1.5 * without and with_goal - without >= 0.15, (without, with_goal)


def test_sides_alternate_by_week_and_preferred_side_overrides():
    def sides(week: int, preferred: str | None = None) -> Counter:
        return Counter(
            _choose(pair_key=key, week=week, preferred_side=preferred).prompt.addresses
            for key in PAIR_KEYS
        )

    odd, even = sides(5), sides(6)
    assert odd["sharer"] > odd["learner"] and even["learner"] > even["sharer"], (odd, even)
    assert sides(5, "learner")["learner"] > odd["learner"]
    with pytest.raises(ValueError):
        _choose(preferred_side="manager")


def test_at_risk_pairs_get_short_prompts():
    for total_weeks in (12, 26):
        for week in range(1, total_weeks + 1):
            for key in PAIR_KEYS[:20]:
                choice = _choose(pair_key=key, week=week, total_weeks=total_weeks, at_risk=True)
                assert _is_light(choice.prompt), (week, choice.prompt.id)
    choice = _choose(week=6, at_risk=True)
    assert "15-minute" in choice.reason


def test_at_risk_borrows_a_short_prompt_from_a_neighbouring_phase():
    used = [p.id for p in PROMPTS if p.phase == "middle" and _is_light(p)]
    choice = _choose(week=6, at_risk=True, used_ids=used)
    assert _is_light(choice.prompt) and choice.prompt.phase in ("early", "late")
    assert "no unused short middle prompts were left" in choice.reason


def test_down_rated_prompts_are_chosen_less_but_not_never():
    middle = sorted(p.id for p in PROMPTS if p.phase == "middle")
    disliked = set(middle[::2])

    def picks_of_disliked(ratings: dict[str, float]) -> int:
        picks = [_choose(pair_key=key, ratings=ratings).prompt.id for key in PAIR_KEYS]
        return sum(pick in disliked for pick in picks)

    unrated = picks_of_disliked({})
    rated = picks_of_disliked(dict.fromkeys(disliked, -1.0))
    assert 0 < rated <= unrated / 2, (unrated, rated)
    everything_disliked = dict.fromkeys((p.id for p in PROMPTS), -1.0)
    assert _choose(ratings=everything_disliked) == _choose()
    assert _choose(ratings={middle[0]: float("nan")}) is not None


def test_reason_explains_the_choice_in_plain_words():
    choice = _choose(
        week=5,
        goal_categories=["tech_upskilling", "leadership_development", "inclusion"],
        ratings={p.id: 1.0 for p in PROMPTS},
    )
    reason = choice.reason
    assert reason.startswith("week 5 of 12 (early phase)")
    assert "matches your goal categories" in reason and "_" not in reason
    assert "rated well by other pairs" in reason and reason.endswith("not used before by this pair")
