"""What every listener module shares: its dependencies from Bolt's `context`, and subcommands.

Listeners are module-level functions so that each can be read (and tested) alone. They get the
process's `AppContext` the way Bolt's own examples share a client: one middleware, installed
first, puts it into each request's `context`, and a listener asks for `context` by name.

`/mentoring <sub>` is one Slack command; each subcommand is its own Bolt listener, chosen by a
matcher on the command's first word, so a flow module registers its subcommands itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.context import AppContext

APP_CONTEXT = "mentorbot"

Matcher = Callable[..., Awaitable[bool]]


def provide_app_context(app: AsyncApp, ctx: AppContext) -> None:
    """Install the middleware that hands `ctx` to every listener (register it before the rest)."""

    async def put_app_context(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context[APP_CONTEXT] = ctx
        return await next()

    app.use(put_app_context)


def app_context(context: AsyncBoltContext) -> AppContext:
    """The bot's dependencies inside a listener.

    Asking for them also enrols the listener's task (Bolt runs each listener in its own task,
    which carries on after the ack) in `ctx.tasks`, so that shutdown lets its work finish.
    """
    ctx: AppContext = context[APP_CONTEXT]
    ctx.tasks.enrol_current()
    return ctx


def parse_command(text: str | None) -> tuple[str, list[str]]:
    """Split '/mentoring pause 2' text into ('pause', ['2']); empty text means help."""
    words = (text or "").strip().split()
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def command_args(command: dict[str, Any]) -> list[str]:
    """The words after the subcommand's name."""
    return parse_command(command.get("text"))[1]


def subcommand(name: str) -> list[Matcher]:
    """Bolt `matchers` that select `/mentoring <name> ...`."""

    async def is_named(command: dict[str, Any]) -> bool:
        return parse_command(command.get("text"))[0] == name

    return [is_named]
