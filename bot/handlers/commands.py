"""`/mentoring` with no subcommand, `help`, or one the bot does not know: the help text.

Each flow module names its own subcommands in its `register(routes)` table; this one answers
whatever word none of them names (see `bot.listeners.Routes`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.listeners import Replay, Routes, app_context, parse_command
from bot.views.help import help_blocks, help_fallback_text


async def help_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    """Help is answered in the ack itself: one round trip, instant."""
    name, _ = parse_command(command.get("text"))
    blocks = help_blocks(
        is_admin=app_context(context).is_admin(command["user_id"]),
        unknown=None if name == "help" else name,
    )
    await ack(text=help_fallback_text(), blocks=blocks, response_type="ephemeral")


def register(routes: Routes) -> None:
    routes.otherwise(help_command, Replay.HARMLESS)
