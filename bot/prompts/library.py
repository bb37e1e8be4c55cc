"""The weekly discussion-prompt library and the rule that picks one prompt per pair per week.

Prompts live in YAML files next to this module, split by theme or phase, so HR can review and
extend them without touching code: every `*.yaml` here is loaded, plus those of an optional extra
directory. Each file is a list of entries::

    - id: tools-genai-first-task   # unique kebab-case; deliveries store it, so never rename it
      text: "..."                  # Slack mrkdwn, at most 2000 characters
      theme: new_tools_and_trends  # one of THEMES
      phase: early                 # one of PHASES
      addresses: sharer            # one of SIDES: who does the teaching or reflecting
      tags: [tech_upskilling]      # goal categories from GOAL_TAGS; [] fits any goal
      short: true                  # optional: works as a 15-minute check-in

Everything here is pure (no Slack, no database) so the scheduler can call it freely and tests can
check the choice rules directly.
"""

from __future__ import annotations

import hashlib
import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent

THEMES = (
    "goal_alignment",
    "mutual_learning",
    "structured_interaction",
    "new_tools_and_trends",
    "leadership_and_strategy",
    "cross_generational_communication",
    "resistance_to_change",
    "power_dynamics",
    "skill_gaps",
    "time_constraints",
)
PHASES = ("kickoff", "early", "middle", "late", "closing")
SIDES = ("sharer", "learner", "both")
GOAL_TAGS = (
    "tech_upskilling",
    "leadership_development",
    "cross_generational_awareness",
    "inclusion",
    "other",
)

# A section block's text may hold 3000 characters; keeping prompts to 2000 leaves room for the
# greeting and week number the check-in message puts around them.
MAX_TEXT_CHARS = 2000

# How strongly choose_prompt leans: a prompt tagged with one of the pair's goals is three times as
# likely, one addressed to this week's side (or to both) twice as likely.
GOAL_MATCH_WEIGHT = 3.0
SIDE_MATCH_WEIGHT = 2.0

_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REQUIRED_FIELDS = ("id", "text", "theme", "phase", "addresses", "tags")
_OPTIONAL_FIELDS = ("short",)


@dataclass(frozen=True)
class Prompt:
    """One discussion prompt, as validated from a YAML file."""

    id: str
    text: str
    theme: str
    phase: str
    addresses: str
    tags: tuple[str, ...]
    short: bool


@dataclass(frozen=True)
class Choice:
    """The prompt picked for a pair's week and a plain-words reason, stored with the delivery
    (PromptDelivery.reason) so anyone checking the library's choices can see why."""

    prompt: Prompt
    reason: str


class PromptFileError(ValueError):
    """A prompt file is unreadable or invalid; the message names the file, prompt and problem."""


def load_prompts(extra_dir: Path | None = None) -> tuple[Prompt, ...]:
    """Load and validate every `*.yaml` in this folder, then in `extra_dir` (HR's own prompts).

    Files are read in name order so the result is stable. Fails loudly with `PromptFileError` on
    the first problem rather than skipping a prompt, so a typo never silently shrinks the library.
    """
    paths = sorted(PROMPTS_DIR.glob("*.yaml"))
    if extra_dir is not None:
        extra_dir = Path(extra_dir)
        if not extra_dir.is_dir():
            raise PromptFileError(f"{extra_dir}: the extra prompt directory does not exist")
        paths += sorted(extra_dir.glob("*.yaml"))
    # Pointing the extra directory at this folder must not report every prompt as a duplicate.
    paths = list(dict.fromkeys(path.resolve() for path in paths))

    defined_in: dict[str, Path] = {}
    prompts: list[Prompt] = []
    for path in paths:
        for prompt in _load_file(path):
            if prompt.id in defined_in:
                raise PromptFileError(
                    f"{path}: prompt {prompt.id!r}: duplicate id, already defined in "
                    f"{defined_in[prompt.id]}; ids must be unique across all prompt files"
                )
            defined_in[prompt.id] = path
            prompts.append(prompt)
    return tuple(prompts)


def _load_file(path: Path) -> list[Prompt]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PromptFileError(f"{path}: cannot read prompts: {exc}") from exc
    if not isinstance(data, list):
        raise PromptFileError(
            f"{path}: expected a YAML list of prompts (entries starting with '- id: ...')"
        )
    return [_parse_entry(path, index, entry) for index, entry in enumerate(data, start=1)]


def _parse_entry(path: Path, index: int, entry: Any) -> Prompt:
    where = f"{path}: prompt #{index}"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        where = f"{path}: prompt {entry['id']!r} (#{index})"

    def fail(problem: str) -> PromptFileError:
        return PromptFileError(f"{where}: {problem}")

    if not isinstance(entry, dict):
        raise fail("expected a mapping with " + ", ".join(_REQUIRED_FIELDS))
    missing = [name for name in _REQUIRED_FIELDS if name not in entry]
    if missing:
        raise fail("missing " + ", ".join(missing))
    unknown = [str(name) for name in entry if name not in _REQUIRED_FIELDS + _OPTIONAL_FIELDS]
    if unknown:
        allowed = ", ".join(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)
        raise fail(f"unknown field {', '.join(unknown)} (allowed: {allowed})")

    prompt_id = entry["id"]
    if not isinstance(prompt_id, str) or not _ID_PATTERN.fullmatch(prompt_id):
        raise fail(f"id {prompt_id!r} must be kebab-case, like tools-genai-first-task")
    text = entry["text"]
    if not isinstance(text, str) or not text.strip():
        raise fail("text must be a non-empty string")
    text = text.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise fail(f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    for name, allowed_values in (("theme", THEMES), ("phase", PHASES), ("addresses", SIDES)):
        if entry[name] not in allowed_values:
            raise fail(f"{name} {entry[name]!r} is not one of {', '.join(allowed_values)}")
    tags = entry["tags"]
    if not isinstance(tags, list):
        raise fail("tags must be a list like [tech_upskilling] ([] fits any goal)")
    unknown_tags = [str(tag) for tag in tags if tag not in GOAL_TAGS]
    if unknown_tags:
        raise fail(f"unknown tag {', '.join(unknown_tags)} (allowed: {', '.join(GOAL_TAGS)})")
    short = entry.get("short", False)
    if not isinstance(short, bool):
        raise fail(f"short must be true or false, not {short!r}")
    return Prompt(
        id=prompt_id,
        text=text,
        theme=entry["theme"],
        phase=entry["phase"],
        addresses=entry["addresses"],
        tags=tuple(dict.fromkeys(tags)),
        short=short,
    )


def phase_for_week(week: int, total_weeks: int) -> str:
    """Map a program week (1-based) to the phase whose prompts fit it.

    Week 1 is `kickoff` (set goals and ground rules) and the last week is `closing` (review them);
    the weeks between are split into thirds, `early`, `middle` and `late`, with the earlier thirds
    taking any spare week. A one-week program is just a kickoff. Weeks past the end (a program HR
    extended) count as `closing`.
    """
    if total_weeks < 1 or week < 1:
        raise ValueError(f"week {week} of {total_weeks}: both must be 1 or more")
    if week == 1:
        return "kickoff"
    if week >= total_weeks:
        return "closing"
    third = (week - 2) * 3 // (total_weeks - 2)
    return ("early", "middle", "late")[third]


def choose_prompt(
    prompts: Iterable[Prompt],
    *,
    pair_key: str,
    week: int,
    total_weeks: int,
    goal_categories: Iterable[str],
    used_ids: Iterable[str],
    ratings: Mapping[str, float] | None = None,
    at_risk: bool = False,
    preferred_side: str | None = None,
) -> Choice | None:
    """Pick this week's prompt for one pair, or None once the pair has used every prompt.

    Candidates are the pair's unused prompts of the week's phase, else of the neighbouring phases,
    else any unused prompt. An at-risk pair first gets the short ones (`short: true` or the
    time_constraints theme) of the phase and its neighbours. Among the candidates, weights favour
    the pair's goal categories, the side whose turn it is (odd weeks the sharer, even weeks the
    learner, `both` always; `preferred_side` overrides) and prompts other pairs rated well.

    The pick is deterministic: a SHA-256 of (pair_key, week) selects the weighted candidate, so a
    retried or re-run job sends the same prompt, and the order of `prompts` does not matter.
    """
    if preferred_side is not None and preferred_side not in SIDES:
        raise ValueError(f"preferred_side {preferred_side!r} is not one of {', '.join(SIDES)}")
    phase = phase_for_week(week, total_weeks)
    used = set(used_ids)
    unused = sorted((p for p in prompts if p.id not in used), key=lambda p: p.id)
    if not unused:
        return None

    pool = _candidate_pool(unused, phase, at_risk)
    goals = set(goal_categories)
    favoured = preferred_side or ("sharer" if week % 2 else "learner")
    ratings = ratings or {}
    weights = [
        (GOAL_MATCH_WEIGHT if goals.intersection(p.tags) else 1.0)
        * (SIDE_MATCH_WEIGHT if p.addresses in (favoured, "both") else 1.0)
        * _rating_multiplier(ratings.get(p.id, 0.0))
        for p in pool
    ]
    digest = hashlib.sha256(f"{week}:{pair_key}".encode()).digest()
    point = (int.from_bytes(digest[:8], "big") >> 11) / 2**53 * sum(weights)
    # min() guards against float rounding landing exactly on the total.
    index = min(bisect_right(list(accumulate(weights)), point), len(pool) - 1)
    prompt = pool[index]
    reason = _reason(
        prompt,
        week=week,
        total_weeks=total_weeks,
        phase=phase,
        goals=goals,
        at_risk=at_risk,
        favoured=favoured,
        requested=preferred_side is not None,
        rating=ratings.get(prompt.id, 0.0),
    )
    return Choice(prompt=prompt, reason=reason)


def _is_light(prompt: Prompt) -> bool:
    """Fits a 15-minute check-in: what a pair that is falling behind needs most."""
    return prompt.short or prompt.theme == "time_constraints"


def _candidate_pool(unused: list[Prompt], phase: str, at_risk: bool) -> list[Prompt]:
    """The nearest non-empty tier: this phase, then its neighbours, then anything unused."""
    position = PHASES.index(phase)
    neighbours = {PHASES[i] for i in (position - 1, position + 1) if 0 <= i < len(PHASES)}
    same = [p for p in unused if p.phase == phase]
    near = [p for p in unused if p.phase in neighbours]
    tiers = [same, near, unused]
    if at_risk:
        tiers = [[p for p in same if _is_light(p)], [p for p in near if _is_light(p)], *tiers]
    return next(tier for tier in tiers if tier)


def _rating_multiplier(rating: float) -> float:
    """1 + 0.75 * rating: 1.75 for all thumbs up, 0.25 (never zero) for all thumbs down.

    A prompt that one cohort disliked may suit another, so it stays in play at a quarter weight.
    Out-of-range ratings are clamped and non-numbers (NaN) count as unrated.
    """
    if not math.isfinite(rating):
        return 1.0
    return 1.0 + 0.75 * max(-1.0, min(1.0, rating))


def _reason(
    prompt: Prompt,
    *,
    week: int,
    total_weeks: int,
    phase: str,
    goals: set[str],
    at_risk: bool,
    favoured: str,
    requested: bool,
    rating: float,
) -> str:
    light = at_risk and _is_light(prompt)
    if prompt.phase == phase:
        parts = [f"week {week} of {total_weeks} ({phase} phase)"]
    else:
        kind = "short " if light else ""
        parts = [
            f"week {week} of {total_weeks} ({phase} phase); taken from the {prompt.phase} phase "
            f"because no unused {kind}{phase} prompts were left"
        ]
    if light:
        parts.append("a short prompt that fits a 15-minute check-in while time is tight")
    matched = [tag.replace("_", " ") for tag in prompt.tags if tag in goals]
    if matched:
        parts.append("matches your goal categories " + ", ".join(matched))
    side = {
        "sharer": "the reverse mentor leads this one",
        "learner": "the senior partner leads this one",
        "both": "for both of you equally",
    }[prompt.addresses]
    if prompt.addresses == favoured:
        side += ", as requested" if requested else ", as sides take turns week by week"
    parts.append(side)
    if math.isfinite(rating) and rating > 0:
        parts.append("rated well by other pairs")
    parts.append("not used before by this pair")
    return "; ".join(parts)
