"""`/mentoring` with no subcommand, `help`, or one the bot does not know: the help text.

Each flow module registers its own subcommands (see `bot.listeners.subcommand`); this catch-all
is registered last, so it answers only what no flow claimed.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot import ids
from bot.listeners import app_context, parse_command
from bot.views.help import help_blocks, help_fallback_text


async def help_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    """Help is answered in the ack itself: one round trip, instant."""
    name, _ = parse_command(command.get("text"))
    blocks = help_blocks(
        is_admin=app_context(context).is_admin(command["user_id"]),
        unknown=None if name == "help" else name,
    )
    await ack(text=help_fallback_text(), blocks=blocks, response_type="ephemeral")


def register(app: AsyncApp) -> None:
    """Register after every flow module: Bolt runs the first listener whose matchers agree."""
    app.command(ids.COMMAND)(help_command)
