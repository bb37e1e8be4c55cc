"""Build the bot: the Bolt app with every flow registered, and the HTTP server around it."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot import middleware
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppContext
from bot.db import Database
from bot.handlers import admin, checkins, commands, goals, home, selfservice, signup
from bot.prompts import load_prompts
from bot.slack_client import build_client

log = logging.getLogger(__name__)


def build_context(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> AppContext:
    """Wire the process-wide dependencies once, from settings."""
    return AppContext(
        settings=settings,
        db=db or Database(settings.database_url),
        clock=clock or SystemClock(),
        client=build_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url),
        prompts=load_prompts(settings.prompts_dir),
    )


def build_bolt_app(ctx: AppContext) -> AsyncApp:
    """The Bolt app: signature checks, de-duplication, then each flow's listeners."""
    app = AsyncApp(
        client=ctx.client,
        signing_secret=ctx.settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,  # ack first; slow work continues after the response
        raise_error_for_unhandled_request=False,
    )
    middleware.register(app, ctx)
    home.register(app, ctx)
    checkins.register(app, ctx)
    subcommands = {
        **signup.register(app, ctx),
        **goals.register(app, ctx),
        **selfservice.register(app, ctx),
        **admin.register(app, ctx),
    }
    commands.register(app, ctx, subcommands)
    return app


def build_web_app(ctx: AppContext, bolt_app: AsyncApp) -> web.Application:
    """POST /slack/events for everything Slack sends; GET /healthz for the platform."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        if await ctx.db.ping():
            return web.json_response({"status": "ok", "database": "reachable"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app
