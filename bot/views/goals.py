"""The goals modal (`/mentoring goals`): up to three goals, with progress and status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.models import Goal
from bot.texts import raw, text
from bot.views import blocks as b
from bot.views.signup import goal_fields


def goals_modal(
    goals: list[Goal],
    achieved: Sequence[Goal] = (),
    history: dict[int, list[int]] | None = None,
) -> dict[str, Any]:
    """Goals already achieved (read only, with their history), then the open goals (editable,
    with progress and status), then empty slots."""
    blocks: list[dict[str, Any]] = [b.section(text("goals.intro"))]
    if achieved:
        lines = [achieved_line(g, (history or {}).get(g.id, [])) for g in achieved]
        blocks.append(b.section("\n".join([text("goals.achieved_heading"), *lines])))
    for slot in range(ids.MAX_GOALS):
        goal = goals[slot] if slot < len(goals) else None
        blocks += [
            b.divider(),
            b.section(text("goals.slot_header", number=slot + 1)),
            *goal_fields(slot, goal, with_progress=True),
        ]
    return b.modal(
        ids.GOALS_CALLBACK,
        text("goals.title"),
        blocks,
        submit=text("goals.submit"),
        private_metadata={"goal_ids": [g.id for g in goals[: ids.MAX_GOALS]]},
    )


def category_label(code: str) -> str:
    """The one spelling of a goal category (the sign-up and goals modals' option label)."""
    return dict(raw("catalogue.goal_categories")).get(code, code)


def goal_line(goal: Goal, *, bold: bool = True) -> b.Mrkdwn:
    """'*Tech upskilling*: Use Copilot daily ▰▰▰▰▰▱▱▱▱▱ 50%, by 1 Mar' for DMs, status and
    App Home; the description is what the person typed, so it is escaped."""
    label = category_label(goal.category)
    bar = progress_bar(goal.progress)
    due = f", by {goal.target_date:%-d %b %Y}" if goal.target_date else ""
    heading = f"*{label}*" if bold else label
    return b.Mrkdwn(f"{heading}: {b.escape(goal.description)} {bar} {goal.progress}%{due}")


def achieved_line(goal: Goal, history: list[int]) -> b.Mrkdwn:
    """An achieved goal stays in view, with the way it got there: '0% → 50% → 100%'."""
    steps = [p for i, p in enumerate(history) if i == 0 or history[i - 1] != p]
    path = " → ".join(f"{p}%" for p in steps) or f"{goal.progress}%"
    return text(
        "goals.achieved_line",
        category=category_label(goal.category),
        description=goal.description,
        path=b.Mrkdwn(path),
    )


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent / 100 * width)))
    return "▰" * filled + "▱" * (width - filled)
