"""HR summaries in a channel: `/mentoring report [program] [weeks]`, `report csv`, the digest.

Reports are posted only into the HR channel, and only for HR admins; anything else gets an
ephemeral refusal and nothing is posted. The numbers come from `bot.reports`, where the privacy
rules (small groups suppressed, unquotable text never read) are enforced in the queries.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from sqlalchemy import select

from bot.context import AppContext
from bot.forms import small_int
from bot.models import Program
from bot.notify import NotInChannel
from bot.scheduler.digest import hr_channel_for, post_csv, post_report
from bot.services.programs import open_program
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


async def find_program(ctx: AppContext, name: str | None) -> Program | str:
    """The named program (case-insensitive prefix), or the open one; a message if none."""
    async with ctx.db.session() as session:
        if name is None:
            program = await open_program(session)
            return program or text("reports.no_program")
        programs = (await session.scalars(select(Program).order_by(Program.id.desc()))).all()
    for program in programs:
        if program.name.lower().startswith(name.lower()):
            return program
    names = ", ".join(p.name for p in programs) or "none yet"
    return text("reports.unknown_program", name=name, names=names)


def register(app: AsyncApp, ctx: AppContext) -> dict[str, Any]:
    """Returns the `report` subcommand."""

    async def report(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        user_id, channel = command["user_id"], command.get("channel_id")
        if not ctx.is_admin(user_id):
            await respond(text=text("errors.not_admin"), response_type="ephemeral")
            return
        name, weeks, want_csv, problem = parse_report_args(args)
        if problem:
            await respond(text=problem, response_type="ephemeral")
            return
        program = await find_program(ctx, name)
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
        try:
            if want_csv:
                await post_csv(ctx, program, channel)
            elif not await post_report(ctx, program, channel, weeks=weeks):
                await respond(text=text("errors.try_again"), response_type="ephemeral")
        except NotInChannel:
            await respond(
                text=text("reports.not_in_channel", channel=channel), response_type="ephemeral"
            )

    return {"report": report}
