"""Program lifecycle views: HR's list of programs, the close confirmation, a pair's wrap-up and
the next-round invitation."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.models import Program
from bot.services.programs import ProgramLine, last_day
from bot.texts import text
from bot.views import blocks as b


def programs_blocks(lines: list[ProgramLine]) -> list[dict[str, Any]]:
    """`/mentoring admin programs`: one line per program, newest last."""
    if not lines:
        return [b.section(text("programs.list_empty"))]
    rendered = [
        text(
            "programs.list_line",
            name=line.program.name,
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
    body = text("programs.close_body", name=program.name, report_line=report_line)
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
    return blocks


def invite_blocks(program: Program) -> list[dict[str, Any]]:
    """A next-round invitation with its Join button."""
    return [
        b.section(
            text(
                "programs.invite_dm",
                name=program.name,
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
