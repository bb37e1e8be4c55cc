"""The weekly HR digest: the same summary HR can ask for, posted to each open program's channel."""

from __future__ import annotations

from bot.context import AppContext
from bot.outbox import post_report
from bot.scheduler.kickoffs import PassCounts
from bot.services import reports
from bot.texts import text


async def run_digest(ctx: AppContext) -> PassCounts:
    counts = PassCounts()
    async with ctx.db.session() as session:
        programs = await reports.open_programs(session)
    for program in programs:
        channel = reports.hr_channel_for(ctx, program)
        if channel is None:
            counts.skipped += 1
            continue
        async with ctx.db.session() as session:
            report = await reports.summary(ctx, session, program, weeks=4)
        if await post_report(ctx, channel, report, intro=text("reports.digest_intro")):
            counts.sent += 1
        else:
            counts.failed += 1
    return counts
