"""HR summaries in a channel: `/mentoring report [program] [weeks]`, `report csv`, the digest.

Reports are posted only into the HR channel, and only for HR admins; anything else gets an
ephemeral refusal and nothing is posted. The numbers come from `bot.reports`, where the privacy
rules (small groups suppressed, unquotable text never read) are enforced in the queries.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from bot.context import AppContext
from bot.forms import small_int
from bot.models import Program
from bot.scheduler.digest import hr_channel_for, post_csv, post_report
from bot.services import programs as cohorts
from bot.texts import text


def parse_report_args(args: list[str]) -> tuple[str | None, int | None, bool, str | None]:
    """(program name or None, weeks or None, csv?, error) from `report [csv] [program] [weeks]`."""
    words = list(args)
    want_csv = bool(words) and words[0].lower() == "csv"
    if want_csv:
        words = words[1:]
    weeks = None
    if words and small_int(words[-1]) is not None:
        weeks = small_int(words.pop())
        if weeks is None or not 1 <= weeks <= 52:
            return None, None, want_csv, text("reports.bad_weeks")
    name = " ".join(words).strip().strip("\"“”'") or None
    return name, weeks, want_csv, None


async def find_program(ctx: AppContext, args: list[str]) -> tuple[Program | str, int | None, bool]:
    """(program or what to say instead, weeks, csv?) for `report [csv] [program] [weeks]`.

    The whole text after `csv` is tried as a name first (names may end in a number, like
    "Spring 2027"); otherwise a trailing number is the weeks. Without a name, the only active
    program; with several, their names rather than a guess."""
    name, weeks, want_csv, problem = parse_report_args(args)
    words = args[1:] if want_csv else args
    async with ctx.db.session() as session:
        whole = await cohorts.by_name(session, " ".join(words)) if words else None
        if whole is not None:
            return whole, None, want_csv
        if problem:
            return problem, None, want_csv
        found = await cohorts.resolve(session, name)
    if found == text("admin.no_program"):
        found = text("reports.no_program")
    return found, weeks, want_csv


def register(app: AsyncApp, ctx: AppContext) -> dict[str, Any]:
    """Returns the `report` subcommand."""

    async def report(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        user_id, channel = command["user_id"], command.get("channel_id")
        if not ctx.is_admin(user_id):
            await respond(text=text("errors.not_admin"), response_type="ephemeral")
            return
        program, weeks, want_csv = await find_program(ctx, args)
        if isinstance(program, str):
            await respond(text=program, response_type="ephemeral")
            return
        allowed = {c for c in (program.hr_channel_id, ctx.settings.hr_channel_id) if c}
        if not allowed:
            await respond(text=text("reports.no_hr_channel"), response_type="ephemeral")
            return
        if channel not in allowed:
            target = hr_channel_for(ctx, program)
            await respond(
                text=text("reports.wrong_channel", channel=target), response_type="ephemeral"
            )
            return
        if want_csv:
            await post_csv(ctx, program, channel)
        elif not await post_report(ctx, program, channel, weeks=weeks):
            await respond(text=text("errors.try_again"), response_type="ephemeral")

    return {"report": report}
