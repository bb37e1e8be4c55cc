"""What every listener module shares: its dependencies from Bolt's `context`, and the routes.

Listeners are module-level functions so that each can be read (and tested) alone. They get the
process's `AppContext` the way Bolt's own examples share a client: one middleware, installed
first, puts it into each request's `context`, and a listener asks for `context` by name.

Routing: each flow module ends with `register(routes)`, a table naming what it answers (a
`/mentoring` subcommand, an action id, a modal's callback id, an event type). `Routes.install`
gives Bolt one listener per kind of request, which finds the flow's function in a dict and calls
it with the Bolt arguments it names (`ack`, `body`, `context`, ...), as Bolt itself would. One
listener per kind, not one per id: Bolt evaluates every listener's matchers in turn, building
its keyword arguments for each, and with ~60 listeners that was most of a request's routing CPU.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.response import BoltResponse

from bot import ids
from bot.context import AppContext

APP_CONTEXT = "mentorbot"

Listener = Callable[..., Awaitable[None]]

# The Bolt arguments our listeners may ask for (names Bolt injects; see `AsyncArgs`).
BOLT_ARGUMENTS = frozenset({"ack", "body", "command", "context", "event", "respond", "view"})


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


class Replay(Enum):
    """What happens when a delivery comes again (Slack retrying an event, a replayed request).

    `bot.middleware.process_once` records each delivery before the ack and drops a repeat
    (`DROPPED`, the default): a transaction of its own for every request. A listener whose
    effect is the same however often it runs (showing help, opening a modal) skips it
    (`HARMLESS`); a hot listener records the delivery inside the transaction that stores its
    effect (`IN_TRANSACTION`, `bot.middleware.record_delivery`): one transaction does both.
    """

    DROPPED = "dropped"
    HARMLESS = "harmless"
    IN_TRANSACTION = "in_transaction"


class Call:
    """A listener with the names of the Bolt arguments it takes (read once, at registration)."""

    def __init__(self, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        self.listener, self.replay = listener, replay
        self.names = tuple(inspect.signature(listener).parameters)
        unknown = set(self.names) - BOLT_ARGUMENTS
        if unknown:
            raise TypeError(f"{listener.__qualname__} asks for {sorted(unknown)}: not Bolt's")

    async def __call__(self, args: AsyncArgs) -> None:
        await self.listener(**{name: getattr(args, name) for name in self.names})


def _exactly(keys: dict[str, Call]) -> re.Pattern[str]:
    """Bolt's constraint for 'one of these ids': what no flow answers stays unhandled."""
    return re.compile("^(?:" + "|".join(re.escape(key) for key in sorted(keys)) + ")$")


def _action_id(body: dict[str, Any]) -> str:
    """The id Bolt's `app.action` matched on: a block action's id, else the callback id."""
    actions = body.get("actions")
    if body.get("type") == "block_actions" and isinstance(actions, list) and actions:
        first = actions[0]
        return str(first.get("action_id") if isinstance(first, dict) else None)
    return str(body.get("callback_id"))


def _field(body: dict[str, Any], part: str, key: str) -> str:
    """`body[part][key]` as a string, whatever shape an untrusted body has."""
    value = body.get(part)
    return str(value.get(key) if isinstance(value, dict) else None)


class Routes:
    """Which listener answers which subcommand, action id, modal and event."""

    def __init__(self) -> None:
        self.commands: dict[str, Call] = {}
        self.actions: dict[str, Call] = {}
        self.views: dict[str, Call] = {}
        self.events: dict[str, Call] = {}
        self.help: Call | None = None

    @staticmethod
    def _add(table: dict[str, Call], key: str, listener: Listener, replay: Replay) -> None:
        if key in table:
            raise ValueError(f"{key!r} is answered twice")
        table[key] = Call(listener, replay)

    def command(self, word: str, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        """`/mentoring <word> ...`."""
        self._add(self.commands, word, listener, replay)

    def otherwise(self, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        """`/mentoring` with a word no flow answers (help, or nothing at all)."""
        self.help = Call(listener, replay)

    def action(self, action_id: str, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        self._add(self.actions, action_id, listener, replay)

    def view(self, callback_id: str, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        """A submitted modal."""
        self._add(self.views, callback_id, listener, replay)

    def event(self, event_type: str, listener: Listener, replay: Replay = Replay.DROPPED) -> None:
        self._add(self.events, event_type, listener, replay)

    def replay(self, body: dict[str, Any]) -> Replay:
        """How the listener that will answer `body` treats a repeat (DROPPED if none will)."""
        call: Call | None
        if body.get("command") is not None:
            call = self.commands.get(parse_command(body.get("text"))[0], self.help)
        elif body.get("type") == "view_submission":
            call = self.views.get(_field(body, "view", "callback_id"))
        elif body.get("type") == "event_callback":
            call = self.events.get(_field(body, "event", "type"))
        else:
            call = self.actions.get(_action_id(body))
        return call.replay if call is not None else Replay.DROPPED

    def install(self, app: AsyncApp) -> None:
        """One Bolt listener per kind of request, dispatching through the tables."""
        commands, actions, views, events, help_ = (
            self.commands,
            self.actions,
            self.views,
            self.events,
            self.help,
        )
        if help_ is None:
            raise ValueError("no listener answers an unknown subcommand")

        async def on_command(args: AsyncArgs) -> None:
            word, _ = parse_command(args.body.get("text"))
            await commands.get(word, help_)(args)

        async def on_action(args: AsyncArgs) -> None:
            await actions[_action_id(args.body)](args)

        async def on_view(args: AsyncArgs) -> None:
            await views[args.body["view"]["callback_id"]](args)

        async def on_event(args: AsyncArgs) -> None:
            await events[args.body["event"]["type"]](args)

        app.command(ids.COMMAND)(on_command)
        if actions:
            app.action(_exactly(actions))(on_action)
        if views:
            app.view(_exactly(views))(on_view)
        for event_type in events:
            app.event(event_type)(on_event)
