"""Run the bot: HTTP (the default, for production) or Socket Mode (no public URL needed)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import multiprocessing
import os
import signal

from aiohttp import web

from bot.app import build_bolt_app, build_context, build_web_app
from bot.clock import Clock, FixedClock, SystemClock
from bot.config import Settings
from bot.context import AppContext
from bot.logging_setup import configure_logging
from bot.scheduler.jobs import JobTable, build_scheduler, job_table, manual_slot, run_job
from bot.socket_mode import SocketModeConnection

log = logging.getLogger(__name__)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(
    settings: Settings,
    *,
    host: str = "0.0.0.0",
    socket_mode: bool = False,
    jobs: bool = True,
    clock: Clock | None = None,
    schedule: JobTable | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT, then stop taking requests and let in-flight work finish.

    The scheduled jobs (unless `jobs=False`) run in a child process (`JobsProcess`). `clock`
    and `schedule` (default: the system clock, `job_table()`) let a benchmark run the real
    server with passes at chosen moments over a chosen program week.
    Raises `SocketModeRefused` (after shutting down cleanly) if Slack refuses the app token.
    """
    ctx = build_context(settings, clock=clock)
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
    jobs_process = JobsProcess(settings, clock=clock, schedule=schedule) if jobs else None
    if jobs_process is not None:
        jobs_process.start()

    runner = web.AppRunner(build_web_app(ctx, bolt_app, socket), shutdown_timeout=10)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.port)
    await site.start()
    # Start-up's objects (modules, the Bolt app, prebuilt statements) live as long as the
    # process: frozen, the collector no longer walks them in every full collection, which
    # otherwise runs in the middle of whichever request crossed its threshold.
    gc.collect()
    gc.freeze()
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
        if socket is not None:
            await socket.close(ACK_DRAIN)  # pending acks first: people see no error
        await site.stop()  # no new connections; requests already in flight carry on
        await asyncio.gather(
            ctx.tasks.finish(SHUTDOWN_GRACE),  # listeners' post-ack work
            jobs_process.stop() if jobs_process is not None else asyncio.sleep(0),
        )
        await runner.cleanup()  # waits for open requests, then closes the Slack client
        await ctx.db.dispose()
    if socket is not None:
        socket.raise_if_failed()  # a refused token ends the process (the CLI exits 2)


ACK_DRAIN = 5.0  # seconds; an ack later than Slack's 3 s is useless anyway
SHUTDOWN_GRACE = 10.0  # seconds; platforms usually SIGKILL 30 s after SIGTERM


class JobsProcess:
    """The scheduled jobs in a child process of `mentorbot serve`, so they never delay an ack.

    On the request loop, a check-in pass and a nudge pass over 2,000 pairs held sign-up acks at
    about a second (p50) and let Slack's 3 s trigger expire for over a third of the sign-ups;
    in a thread with its own loop, acks still queued for Python's GIL (bench/README.md). A child
    process has its own interpreter, and a lower CPU priority so that requests come first when
    both want the core. `mentorbot serve` stays one command. Exactly once holds as between any
    two processes (a job-run row per slot, a claim per post). On SIGTERM or SIGINT (the whole
    process group gets Ctrl-C) the child stops scheduling and lets the running pass finish within
    the same grace as requests; it also stops if its parent dies.
    """

    NICENESS = 10

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, schedule: JobTable | None = None
    ) -> None:
        self._process = multiprocessing.get_context("spawn").Process(
            target=run_jobs_process,
            args=(settings, clock, schedule, os.getpid()),
            name="mentorbot-jobs",
        )

    def start(self) -> None:
        self._process.start()
        log.info("jobs process started", extra={"pid": self._process.pid})

    async def stop(self) -> None:
        """SIGTERM the child and wait for it (the running pass gets the grace); then kill."""
        if self._process.is_alive():
            self._process.terminate()
        await asyncio.to_thread(self._process.join, SHUTDOWN_GRACE + 5)
        if self._process.is_alive():
            log.warning("jobs process did not stop in time; killed")
            self._process.kill()
            await asyncio.to_thread(self._process.join, 5)


def run_jobs_process(
    settings: Settings, clock: Clock | None, schedule: JobTable | None, parent: int
) -> None:
    """Entry point of `JobsProcess`'s child (a fresh interpreter: logging is set up again)."""
    secrets = [settings.slack_bot_token.get_secret_value()]
    secrets.append(settings.slack_signing_secret.get_secret_value())
    configure_logging(settings.log_level, secrets)
    with contextlib.suppress(OSError):
        os.nice(JobsProcess.NICENESS)
    asyncio.run(run_scheduler(settings, clock=clock, schedule=schedule, parent=parent))


async def close_client(ctx: AppContext) -> None:
    """Close the Slack client's pooled connections (the web app does it on cleanup itself)."""
    close = getattr(ctx.client, "aclose", None)
    if close is not None:
        await close()


async def run_scheduler(
    settings: Settings,
    *,
    clock: Clock | None = None,
    schedule: JobTable | None = None,
    parent: int | None = None,
) -> None:
    """Run only the scheduled jobs (no HTTP): `mentorbot scheduler`, and `serve`'s child.

    Stops on SIGTERM/SIGINT, or when `parent` (the serving process) is gone, then lets the
    running pass finish within the shutdown grace.
    """
    ctx = build_context(settings, clock=clock)
    stop = _stop_on_signals()
    jobs = schedule or job_table()
    scheduler = build_scheduler(ctx, jobs)
    scheduler.start()
    log.info("scheduler started", extra={"jobs": sorted(jobs)})
    orphaned = asyncio.create_task(_parent_gone(parent, stop)) if parent else None
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        if orphaned is not None:
            orphaned.cancel()
        await ctx.tasks.finish(SHUTDOWN_GRACE)  # the running pass
        await close_client(ctx)
        await ctx.db.dispose()


async def _parent_gone(parent: int, stop: asyncio.Event) -> None:
    """Set `stop` once the process that started this one has exited (we were re-parented)."""
    while os.getppid() == parent:  # noqa: ASYNC110 - no event to await for a parent's exit
        await asyncio.sleep(1)
    log.warning("serving process gone; jobs stopping")
    stop.set()


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
