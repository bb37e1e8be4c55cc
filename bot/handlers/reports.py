"""HR summaries in a channel: `/mentoring report [csv] [program] [weeks]`.

Reports are posted only into the HR channel, and only for HR admins; anything else gets an
ephemeral refusal and nothing is posted. The numbers come from `bot.services.reports`, where the
privacy rules (small groups suppressed, unquotable text never read) are enforced in the queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot.forms import small_int
from bot.listeners import Routes, app_context, command_args
from bot.notify import NotInChannel
from bot.outbox import post_csv, post_report
from bot.refusals import Refusal
from bot.services import programs as cohorts
from bot.services import reports
from bot.texts import text


@dataclass(frozen=True)
class ReportRequest:
    program_name: str | None
    weeks: int | None
    csv: bool


def parse_report_args(args: list[str]) -> ReportRequest:
    """What `report [csv] [program] [weeks]` asks for; a Refusal for weeks out of 1..52."""
    words = list(args)
    want_csv = bool(words) and words[0].lower() == "csv"
    if want_csv:
        words = words[1:]
    weeks = None
    if words and small_int(words[-1]) is not None:
        weeks = small_int(words.pop())
        if weeks is None or not 1 <= weeks <= 52:
            raise Refusal("reports.bad_weeks")
    name = " ".join(words).strip().strip("\"“”'") or None
    return ReportRequest(program_name=name, weeks=weeks, csv=want_csv)


async def report(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    ctx = app_context(context)
    try:
        if not ctx.is_admin(command["user_id"]):
            raise Refusal("errors.not_admin")
        args = command_args(command)
        async with ctx.db.session() as session:
            # The whole text is tried as a name first: names may end in a number ("Spring 2027").
            words = args[1:] if args and args[0].lower() == "csv" else args
            whole = await cohorts.by_name(session, " ".join(words)) if words else None
            if whole is not None:
                asked = ReportRequest(whole.name, None, len(words) < len(args))
                program = whole
            else:
                asked = parse_report_args(args)
                program = await reports.find_program(session, asked.program_name)
            channel = reports.check_report_channel(ctx, program, command.get("channel_id"))
            if asked.csv:
                table = await reports.weekly_table(ctx, session, program)
            else:
                summary = await reports.summary(ctx, session, program, weeks=asked.weeks)
                learning = await reports.learning(ctx, session, program)
    except Refusal as refusal:
        await respond(text=refusal.message, response_type="ephemeral")
        return
    try:
        if asked.csv:
            await post_csv(ctx, channel, program.id, table)
        elif not await post_report(ctx, channel, summary, learning=learning):
            await respond(text=text("errors.try_again"), response_type="ephemeral")
    except NotInChannel:
        await respond(
            text=text("reports.not_in_channel", channel=channel), response_type="ephemeral"
        )


def register(routes: Routes) -> None:
    routes.command("report", report)
