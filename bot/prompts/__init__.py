"""Weekly discussion prompts for reverse-mentoring pairs: the YAML library and how one is chosen."""

from bot.prompts.library import (
    GOAL_TAGS,
    MAX_TEXT_CHARS,
    PHASES,
    PROMPTS_DIR,
    SIDES,
    THEMES,
    Choice,
    Prompt,
    PromptFileError,
    choose_prompt,
    load_prompts,
    phase_for_week,
)

__all__ = [
    "GOAL_TAGS",
    "MAX_TEXT_CHARS",
    "PHASES",
    "PROMPTS_DIR",
    "SIDES",
    "THEMES",
    "Choice",
    "Prompt",
    "PromptFileError",
    "choose_prompt",
    "load_prompts",
    "phase_for_week",
]
