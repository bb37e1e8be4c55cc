"""The weekly HR digest, and posting a report (summary, chart, CSV) into an HR channel."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot import notify
from bot.context import AppContext
from bot.models import Program, ProgramStatus
from bot.reports import program_report, report_blocks, report_text, weekly_csv
from bot.scheduler.kickoffs import PassCounts
from bot.texts import text

log = logging.getLogger(__name__)


async def upload(
    ctx: AppContext, channel: str, *, content: bytes | str, filename: str, title: str, comment: str
) -> None:
    """files.getUploadURLExternal -> upload -> files.completeUploadExternal, via slack_sdk."""
    try:
        await ctx.client.files_upload_v2(
            channel=channel,
            content=content if isinstance(content, str) else None,
            file=content if isinstance(content, bytes) else None,
            filename=filename,
            title=title,
            initial_comment=comment,
        )
    except (SlackApiError, OSError, TimeoutError) as exc:
        log.warning(
            "file not uploaded", extra={"channel": channel, "error_type": type(exc).__name__}
        )


async def post_report(
    ctx: AppContext, program: Program, channel: str, *, weeks: int | None, intro: str | None = None
) -> bool:
    """Summary message plus the weekly chart; returns False if the message did not go out."""
    async with ctx.db.session() as session:
        report = await program_report(
            session,
            program.id,
            weeks=weeks,
            now=ctx.clock.now(),
            min_group=ctx.settings.privacy_min_group_size,
        )
    blocks = report_blocks(report)
    fallback = report_text(report)
    if intro:
        fallback = f"{intro}\n{fallback}"
    ts = await notify.post(ctx, channel, fallback[:3900], blocks)
    if ts is None:
        return False
    # matplotlib (about 40 MB) loads with the first chart, not when `mentorbot serve` starts
    from bot.reports.chart import weekly_chart_png

    chart = weekly_chart_png(report)
    await upload(
        ctx,
        channel,
        content=chart,
        filename=f"mentoring-week-{report.current_week or 0}.png",
        title=text("reports.chart_title"),
        comment=text("reports.chart_comment"),
    )
    return True


async def post_csv(ctx: AppContext, program: Program, channel: str) -> None:
    async with ctx.db.session() as session:
        csv_text = await weekly_csv(
            session,
            program.id,
            min_group=ctx.settings.privacy_min_group_size,
            now=ctx.clock.now(),
        )
    await upload(
        ctx,
        channel,
        content=csv_text,
        filename=f"mentoring-{program.id}-weekly.csv",
        title=text("reports.csv_title"),
        comment=text("reports.csv_comment", min_group=ctx.settings.privacy_min_group_size),
    )


def hr_channel_for(ctx: AppContext, program: Program | None) -> str | None:
    return (program.hr_channel_id if program else None) or ctx.settings.hr_channel_id


async def run_digest(ctx: AppContext) -> PassCounts:
    """The weekly digest: the same summary, posted to each open program's HR channel."""
    counts = PassCounts()
    async with ctx.db.session() as session:
        programs = (
            await session.scalars(select(Program).where(Program.status == ProgramStatus.OPEN))
        ).all()
    for program in programs:
        channel = hr_channel_for(ctx, program)
        if channel is None:
            counts.skipped += 1
            continue
        posted = await post_report(
            ctx, program, channel, weeks=4, intro=text("reports.digest_intro")
        )
        if posted:
            counts.sent += 1
        else:
            counts.failed += 1
    return counts
