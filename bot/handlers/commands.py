"""`/mentoring` and its subcommands: parse the text, dispatch, answer ephemerally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import ids
from bot.context import AppContext
from bot.views.help import help_blocks, help_fallback_text

Subcommand = Callable[..., Awaitable[None]]


def parse(text: str) -> tuple[str, list[str]]:
    """Split '/mentoring pause 2' text into ('pause', ['2']); empty text means help."""
    words = (text or "").strip().split()
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def register(app: AsyncApp, ctx: AppContext, subcommands: dict[str, Subcommand]) -> None:
    """Route `/mentoring <sub>` to the flow modules' functions (passed in by `bot.app`)."""

    @app.command(ids.COMMAND)
    async def mentoring(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        name, args = parse(command.get("text", ""))
        handler = subcommands.get(name)
        if handler is None:
            # Help is answered in the ack itself: one round trip, instant.
            blocks = help_blocks(
                is_admin=ctx.is_admin(command["user_id"]),
                unknown=None if name == "help" else name,
            )
            await ack(text=help_fallback_text(), blocks=blocks, response_type="ephemeral")
            return
        await ack()
        await handler(command=command, args=args, respond=respond)
