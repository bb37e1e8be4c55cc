"""Run the bot: HTTP (the default, for production) or Socket Mode (no public URL needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal

from aiohttp import web

from bot import db as dbmod
from bot.app import build_bolt_app, build_context, build_web_app
from bot.clock import FixedClock, SystemClock
from bot.config import Settings
from bot.context import AppContext
from bot.scheduler.jobs import build_scheduler, job_table, manual_slot, run_job
from bot.socket_mode import SocketModeConnection

log = logging.getLogger(__name__)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(
    settings: Settings, *, host: str = "0.0.0.0", socket_mode: bool = False, jobs: bool = True
) -> None:
    """Serve until SIGTERM/SIGINT, then stop taking requests and let in-flight work finish.

    Raises `SocketModeRefused` (after shutting down cleanly) if Slack refuses the app token.
    """
    ctx = build_context(settings)
    bolt_app = build_bolt_app(ctx)
    stop = _stop_on_signals()
    socket = None
    if socket_mode:
        assert settings.slack_app_token is not None  # the CLI refuses to start without it
        socket = SocketModeConnection(
            bolt_app,
            app_token=settings.slack_app_token.get_secret_value(),
            api_url=settings.slack_api_url,
            timeout=settings.slack_timeout_seconds,
        )
    scheduler = build_scheduler(ctx, job_table()) if jobs else None
    if scheduler is not None:
        scheduler.start()

    runner = web.AppRunner(build_web_app(ctx, bolt_app, socket), shutdown_timeout=10)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.port)
    await site.start()
    log.info("http server listening", extra={"port": settings.port, "socket_mode": socket_mode})
    try:
        if socket is None:
            await stop.wait()
        else:
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({stopped, socket.start()}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
    finally:
        log.info("shutting down")
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if socket is not None:
            await socket.close(ACK_DRAIN)  # pending acks first: people see no error
        await site.stop()  # no new connections; requests already in flight carry on
        await ctx.tasks.finish(SHUTDOWN_GRACE)  # listeners' post-ack work and job runs
        await runner.cleanup()  # waits for open requests, then closes the Slack client
        await ctx.db.dispose()
    if socket is not None:
        socket.raise_if_failed()  # a refused token ends the process (the CLI exits 2)


ACK_DRAIN = 5.0  # seconds; an ack later than Slack's 3 s is useless anyway
SHUTDOWN_GRACE = 10.0  # seconds; platforms usually SIGKILL 30 s after SIGTERM


async def close_client(ctx: AppContext) -> None:
    """Close the Slack client's pooled connections (the web app does it on cleanup itself)."""
    close = getattr(ctx.client, "aclose", None)
    if close is not None:
        await close()


async def run_scheduler(settings: Settings) -> None:
    """A worker that only runs the scheduled jobs (no HTTP): `mentorbot scheduler`."""
    ctx = build_context(settings)
    stop = _stop_on_signals()
    scheduler = build_scheduler(ctx, job_table())
    scheduler.start()
    log.info("scheduler started", extra={"jobs": sorted(job_table())})
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await close_client(ctx)
        await ctx.db.dispose()


async def run_once(settings: Settings, name: str, at: dt.datetime | None) -> int:
    """`mentorbot jobs run NAME [--at ISO]`: one pass now, or as of that instant."""
    clock = FixedClock(at) if at else SystemClock()
    ctx = build_context(settings, clock=clock)
    function, _ = job_table()[name]
    slot = manual_slot(ctx.clock.now(), dt.datetime.now(dt.UTC))
    try:
        run = await run_job(ctx, name, function, slot)
    finally:
        await close_client(ctx)
        await ctx.db.dispose()
    if run is None:
        return 1
    print(f"{name}: {run.status}; sent {run.sent}, skipped {run.skipped}, failed {run.failed}")
    return 0 if run.status == "done" else 1


def list_jobs() -> list[str]:
    """Each job with its schedule and next run time (UTC)."""
    now = dt.datetime.now(dt.UTC)
    lines = []
    for name, (_, trigger) in job_table().items():
        next_at = trigger.get_next_fire_time(None, now)
        lines.append(f"{name:10} {trigger!s:60} next: {next_at:%Y-%m-%d %H:%M} UTC")
    return lines


def migrate(settings: Settings) -> None:
    dbmod.upgrade(settings.database_url)
