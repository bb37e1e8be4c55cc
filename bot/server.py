"""Run the bot: HTTP (the default, for production) or Socket Mode (no public URL needed)."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot import db as dbmod
from bot.app import build_bolt_app, build_context, build_web_app
from bot.config import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, *, host: str = "0.0.0.0", socket_mode: bool = False) -> None:
    """Serve until SIGTERM/SIGINT, then stop taking requests and let in-flight work finish."""
    ctx = build_context(settings)
    bolt_app = build_bolt_app(ctx)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    runner = web.AppRunner(build_web_app(ctx, bolt_app), shutdown_timeout=10)
    await runner.setup()
    await web.TCPSite(runner, host, settings.port).start()
    log.info("http server listening", extra={"port": settings.port, "socket_mode": socket_mode})

    socket_handler = None
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.slack_app_token is not None
        socket_handler = AsyncSocketModeHandler(
            bolt_app, settings.slack_app_token.get_secret_value()
        )
        await socket_handler.connect_async()
        log.info("connected over socket mode")
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        if socket_handler is not None:
            await socket_handler.close_async()
        await runner.cleanup()
        await ctx.db.dispose()


def migrate(settings: Settings) -> None:
    dbmod.upgrade(settings.database_url)
