"""Program lifecycle views: HR's list of programs, the close confirmation, a pair's wrap-up and
the next-round invitation."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.forms import MAX_TOPIC_LABEL, MAX_TOPICS
from bot.models import Program
from bot.services.outcomes import LearningGains
from bot.services.programs import ProgramLine, last_day
from bot.texts import raw, text
from bot.texts.mrkdwn import escape
from bot.views import blocks as b

MAX_RATED_TOPICS = MAX_TOPICS


def programs_blocks(lines: list[ProgramLine]) -> list[dict[str, Any]]:
    """`/mentoring admin programs`: one line per program, newest last."""
    if not lines:
        return [b.section(text("programs.list_empty"))]
    rendered = [
        text(
            "programs.list_line",
            name=escape(line.program.name),
            status=text(f"programs.statuses.{line.status}"),
            enrolled=line.enrolled,
            pairs=line.pairs,
            start=f"{line.program.start_date:%-d %b %Y}",
            end=f"{last_day(line.program):%-d %b %Y}",
        )
        for line in lines
    ]
    blocks: list[dict[str, Any]] = [b.header(text("programs.list_header"))]
    chunk: list[str] = []
    for item in rendered:  # a section holds up to 3,000 characters
        if sum(len(x) + 1 for x in chunk) + len(item) > 2900:
            blocks.append(b.section("\n".join(chunk)))
            chunk = []
        chunk.append(item)
    blocks.append(b.section("\n".join(chunk)))
    blocks.append(b.context(text("programs.list_hint")))
    return blocks


def close_modal(program: Program, channel: str | None) -> dict[str, Any]:
    """Confirmation before closing a program early: what happens, and that it is final."""
    report_line = (
        text("programs.close_report_line", channel=channel)
        if channel
        else text("programs.close_no_channel")
    )
    body = text("programs.close_body", name=escape(program.name), report_line=report_line)
    return b.modal(
        ids.CLOSE_CALLBACK,
        text("programs.close_title"),
        [b.section(body)],
        submit=text("programs.close_submit"),
        private_metadata={"program_id": program.id},
    )


def wrapup_blocks(
    *,
    program_name: str,
    sharer: str,
    learner: str,
    goals: list[tuple[str, str, bool]],
) -> list[dict[str, Any]]:
    """The wrap-up a pair gets when its program closes: what they set out to do (their goals,
    by person), how many they reached, thanks, and what next."""
    blocks: list[dict[str, Any]] = [
        b.header(text("programs.wrapup_header", name=program_name)[:150]),
        b.section(text("programs.wrapup_intro", name=program_name, sharer=sharer, learner=learner)),
    ]
    if goals:
        lines = [
            text(
                "programs.wrapup_goal_line",
                user=user,
                goal=description,
                reached=text("programs.wrapup_reached") if reached else "",
            )
            for user, description, reached in goals
        ]
        reached = sum(1 for *_, done in goals if done)
        blocks.append(b.section((text("programs.wrapup_goals") + "\n" + "\n".join(lines))[:2900]))
        blocks.append(
            b.section(text("programs.wrapup_reached_count", reached=reached, total=len(goals)))
        )
    else:
        blocks.append(b.section(text("programs.wrapup_no_goals")))
    blocks.append(b.section(text("programs.wrapup_next")))
    blocks.append(
        b.actions(b.button(text("programs.next_round_option"), ids.NEXT_ROUND_OPT_IN, "yes"))
    )
    return blocks


def invite_blocks(program: Program) -> list[dict[str, Any]]:
    """A next-round invitation with its Join button."""
    return [
        b.section(
            text(
                "programs.invite_dm",
                name=escape(program.name),
                start=f"{program.start_date:%-d %b %Y}",
                weeks=program.length_weeks,
            )
        ),
        b.actions(
            b.button(
                text("programs.invite_join", name=program.name)[:75],
                ids.NEXT_ROUND_JOIN,
                str(program.id),
                style="primary",
            )
        ),
    ]


def confidence_modal(program_id: int, phase: str, topics: list[str]) -> dict[str, Any]:
    """Confidence 1-5 in each topic, at sign-up ("before") or in the end survey ("after")."""
    heading = (
        "programs.confidence_heading" if phase == "before" else "programs.confidence_after_heading"
    )
    choices = b.options(raw("programs.confidence_options"))
    blocks: list[dict[str, Any]] = [b.section(text(heading))]
    for index, topic in enumerate(topics[:MAX_RATED_TOPICS]):
        blocks.append(
            b.input_block(
                ids.confidence_block(index),
                topic[:MAX_TOPIC_LABEL],
                {"type": "radio_buttons", "action_id": ids.A_CONFIDENCE, "options": choices},
            )
        )
    return b.modal(
        ids.CONFIDENCE_CALLBACK,
        text("programs.confidence_title"),
        blocks,
        submit=text("programs.confidence_submit"),
        private_metadata={"p": program_id, "phase": phase, "topics": topics[:MAX_RATED_TOPICS]},
    )


def confidence_prompt_blocks(program_id: int, phase: str) -> list[dict[str, Any]]:
    value = json.dumps({"p": program_id, "phase": phase}, separators=(",", ":"))
    return [
        b.section(text("programs.confidence_ask")),
        b.actions(b.button(text("programs.confidence_button"), ids.CONFIDENCE_OPEN, value)),
    ]


def _score(value: float) -> str:
    return f"{value:.1f}"


def gains_lines(gains: LearningGains, min_group: int) -> list[str]:
    """The report's learning gain: per side, then per topic (only groups of `min_group`+)."""
    if not gains.by_side and not gains.by_topic:
        return [text("programs.gains_heading"), text("programs.gains_none", min_group=min_group)]
    lines: list[str] = [text("programs.gains_heading")]
    for gain in gains.by_side:
        lines.append(
            text(
                "programs.gains_side_line",
                side=raw("programs.sides").get(gain.group, gain.group),
                before=_score(gain.before),
                after=_score(gain.after),
                change=f"{gain.change:+.1f}",
                people=gain.people,
            )
        )
    for gain in gains.by_topic:
        lines.append(
            text(
                "programs.gains_topic_line",
                topic=escape(gain.group),
                before=_score(gain.before),
                after=_score(gain.after),
                change=f"{gain.change:+.1f}",
                people=gain.people,
            )
        )
    if gains.suppressed:
        lines.append(text("programs.gains_suppressed", count=gains.suppressed))
    return lines
