"""HR reports: which program, which channel, and the numbers (privacy enforced in `bot.reports`).

Reports go only into an HR channel: the program's own, or the configured default.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.models import Program, ProgramStatus
from bot.refusals import Refusal
from bot.reports import Report, program_report, weekly_csv
from bot.services import programs
from bot.services.outcomes import LearningGains, learning_gains


async def find_program(session: AsyncSession, name: str | None) -> Program:
    """The named program (exactly, any status), or the only active one; a Refusal listing
    the names otherwise, never a guess."""
    return await programs.resolve(session, name, none_key="reports.no_program")


async def learning(
    ctx: AppContext, session: AsyncSession, program: Program
) -> LearningGains | None:
    """The learning gain for the report, once anyone rated confidence twice or the program
    has closed (then it says if groups were too small)."""
    gains = await learning_gains(session, program.id, ctx.settings.privacy_min_group_size)
    return gains if gains.answered_both or program.status == ProgramStatus.CLOSED else None


async def open_programs(session: AsyncSession) -> list[Program]:
    return list(
        (await session.scalars(select(Program).where(Program.status == ProgramStatus.OPEN))).all()
    )


def hr_channel_for(ctx: AppContext, program: Program | None) -> str | None:
    return (program.hr_channel_id if program else None) or ctx.settings.hr_channel_id


async def hr_channel_of(
    ctx: AppContext, session: AsyncSession, program_id: int | None
) -> str | None:
    """Where HR hears about this program's pairs: its own HR channel, or the default."""
    program = await session.get(Program, program_id) if program_id is not None else None
    return hr_channel_for(ctx, program)


def check_report_channel(ctx: AppContext, program: Program, channel: str | None) -> str:
    """`channel` if a report on `program` may be posted there; else a Refusal naming where."""
    allowed = {c for c in (program.hr_channel_id, ctx.settings.hr_channel_id) if c}
    if not allowed:
        raise Refusal("reports.no_hr_channel")
    if channel not in allowed:
        raise Refusal("reports.wrong_channel", channel=hr_channel_for(ctx, program))
    return channel


async def summary(
    ctx: AppContext, session: AsyncSession, program: Program, *, weeks: int | None
) -> Report:
    """The report HR reads, small groups suppressed."""
    return await program_report(
        session,
        program.id,
        weeks=weeks,
        now=ctx.clock.now(),
        min_group=ctx.settings.privacy_min_group_size,
        prompts=ctx.prompts,
    )


async def weekly_table(ctx: AppContext, session: AsyncSession, program: Program) -> str:
    """The weekly CSV, small groups suppressed."""
    return await weekly_csv(
        session, program.id, min_group=ctx.settings.privacy_min_group_size, now=ctx.clock.now()
    )
