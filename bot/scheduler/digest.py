"""The weekly HR digest: the same summary HR can ask for, posted to each open program's channel."""

from __future__ import annotations

from bot import notify
from bot.context import AppContext
from bot.models import Program
from bot.notify import NotInChannel
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
            learning = await reports.learning(ctx, session, program)
        intro = text("reports.digest_intro")
        try:
            posted = await post_report(ctx, channel, report, intro=intro, learning=learning)
        except NotInChannel:
            await tell_admins_to_invite(ctx, program, channel)
            counts.failed += 1
            continue
        if posted:
            counts.sent += 1
        else:
            counts.failed += 1
    return counts


async def tell_admins_to_invite(ctx: AppContext, program: Program, channel: str) -> None:
    """Nobody reads a digest that never arrived: each HR admin hears privately what to do."""
    message = text("reports.digest_not_in_channel", program=program.name, channel=channel)
    for admin in ctx.settings.hr_admin_ids:
        await notify.dm(ctx, admin, message)
