"""Mentorbot next to a bare Bolt app, request by request, in one run (not a test).

    python bench/bench_ack.py [--rounds 40] [--db sqlite|postgresql] [--profile KIND]

Starts the local Slack fake in this process, `mentorbot serve --no-jobs` (a fresh database) and
`bench/bare_bolt_app.py` (Bolt's `AsyncApp` on Bolt's aiohttp adapter, listeners that only ack;
`join` opens a one-field modal after the ack) as two child processes. Then, one request at a
time, alternating between the two apps, the same signed requests: `/mentoring help`,
`/mentoring join` (each app opens its modal), the sign-up modal submitted, `app_home_opened`,
and (once everyone has a pair and a check-in) a check-in click ("We met"). Mentorbot gets each
request first and does what a person's request makes it do; the bare app then gets the same
bytes, freshly signed (for `join` the same command with its own trigger id, since a trigger opens
one modal).

Per request it records the ack latency seen by the fake, and the CPU the app's process used from
sending the request until the process is idle again (work done after the ack included): the sum
of `/proc/<pid>/task/*/schedstat`, nanosecond on-CPU time over all threads, which a busy machine
disturbs far less than wall time. Idle RSS of both processes is read after start-up and after a
first request of each kind. Two warm-up rounds are not counted.

The fake runs in this process, so two things of its own are kept out of the acks. It answers the
app's Web API calls only once the ack is in (`api_gate`): Slack does that work on its own
machines (and takes tens of milliseconds), while here the fake's checks of the 22 KB sign-up
modal, about 14 ms of this process's CPU, used to delay reading Mentorbot's join ack by as much.
And the harness freezes its garbage collector's view of the setup (see `main`), so that its
collections do not land in an ack.

`--profile KIND` (e.g. `--profile join`) serves Mentorbot under cProfile, switched on only around
that kind's counted requests (`bench/profiled_serve.py`), then prints where their main-thread
CPU went, by package and by function of the bot, and the SQL statements one of them sent. The
profiler slows what it measures (several times for many small calls): read its shares, not its
milliseconds, and take the table's figures from a run without it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import pstats
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402
from bench_load import admin_sql, fresh_database  # noqa: E402

from bot import ids  # noqa: E402
from mentorbot_sandbox import AppResponse, FakeSlack  # noqa: E402
from mentorbot_sandbox.load import (  # noqa: E402
    SIGNUP_ANSWERS,
    add_people,
    close_scene,
    open_program,
    post_two_weeks_of_checkins,
    scene_context,
)
from mentorbot_sandbox.served import ServeProcess, free_port  # noqa: E402

KINDS = ("help", "join", "sign-up submission", "check-in click", "app_home_opened")
WARM_UP = 2


def cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of every live thread of `pid` (Linux schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):  # the thread just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def settle(pid: int, quiet_ns: int = 100_000, step: float = 0.05, limit: float = 5.0):
    """Wait until the process has used (almost) no CPU for two steps: its work is done."""
    last, quiet, deadline = cpu_ns(pid), 0, time.monotonic() + limit
    while quiet < 2 and time.monotonic() < deadline:
        await asyncio.sleep(step)
        now = cpu_ns(pid)
        quiet = quiet + 1 if now - last < quiet_ns else 0
        last = now


async def signal_and_wait(pid: int, signum: int) -> None:
    """Signal the served process and give it a moment to act (`bench/profiled_serve.py`)."""
    os.kill(pid, signum)
    await asyncio.sleep(0.05)


def profile_report(path: Path, requests: int) -> list[str]:
    """Where the profiled requests' main-thread CPU went, and one request's SQL statements."""
    stats = pstats.Stats(str(path))
    by_package: Counter[str] = Counter()
    own: list[tuple[float, float, str]] = []
    for (file, line, function), (_, _, inner, cumulative, _) in stats.stats.items():
        if "site-packages/" in file:
            by_package[file.split("site-packages/")[1].split("/")[0]] += inner
        elif file.startswith(str(ROOT / "bot")):
            where = f"{Path(file).relative_to(ROOT)}:{line}({function})"
            by_package["bot"] += inner
            own.append((cumulative, inner, where))
        elif file.startswith("~"):
            by_package["builtins (C functions)"] += inner
        else:
            by_package[f"stdlib {Path(file).parent.name}/{Path(file).name}"] += inner
    total = sum(by_package.values())
    lines = [f"Profile: {requests} requests, {total * 1000 / requests:.2f} ms each under cProfile"]
    lines += [
        f"  {seconds * 1000 / requests:7.3f} ms  {name}"
        for name, seconds in by_package.most_common(12)
    ]
    lines.append("The bot's functions by cumulative time (ms per request, own time in brackets):")
    lines += [
        f"  {cumulative * 1000 / requests:7.3f} ({inner * 1000 / requests:.3f})  {where}"
        for cumulative, inner, where in sorted(own, reverse=True)[:20]
    ]
    sql = Path(str(path) + ".sql").read_text().split("--- request ")
    last = sql[-1].splitlines()[1:] if len(sql) > 1 else []
    lines.append(f"SQL statements of the last profiled request ({len(last)}):")
    lines += [f"  {statement}" for statement in last]
    return lines


@dataclass
class Samples:
    acks: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


class BareApp:
    """bench/bare_bolt_app.py as a child process."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake, self.port = fake, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": self.fake.bot_token,
            "SLACK_SIGNING_SECRET": self.fake.signing_secret,
            "SLACK_API_URL": self.fake.base_url,
            "PORT": str(self.port),
        }
        script = str(ROOT / "bench" / "bare_bolt_app.py")
        self.proc = await asyncio.create_subprocess_exec(sys.executable, script, env=env)
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        raise RuntimeError("the bare Bolt app did not start")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


class Bench:
    def __init__(
        self, fake: FakeSlack, mentorbot: ServeProcess, bare: BareApp, profile: str | None
    ) -> None:
        self.fake, self.mentorbot, self.bare = fake, mentorbot, bare
        self.samples = {"mentorbot": Samples(), "bare": Samples()}
        self.recording = False
        self.profile = profile

    async def _one(
        self, app: str, kind: str, send: Callable[[], Awaitable[AppResponse]]
    ) -> AppResponse:
        target = self.mentorbot if app == "mentorbot" else self.bare
        assert target.proc is not None
        pid = target.proc.pid
        self.fake.app_url = f"{target.url}/slack/events"
        profiled = self.recording and app == "mentorbot" and kind == self.profile
        if profiled:
            await signal_and_wait(pid, signal.SIGUSR1)
        before = cpu_ns(pid)
        self.fake.api_gate.clear()  # the app's Web API calls are answered once its ack is in
        try:
            result = await send()
        finally:
            self.fake.api_gate.set()
        await settle(pid)
        used = cpu_ns(pid) - before
        if profiled:
            await signal_and_wait(pid, signal.SIGUSR2)
        if self.recording:
            samples = self.samples[app]
            ok = result.status == 200 and not result.timed_out
            if ok:
                samples.acks[kind].append(result.elapsed * 1000)
                samples.cpu[kind].append(used / 1e6)
            else:
                samples.failed[kind] += 1
        return result

    async def same_bytes(self, kind: str, send: Callable[[], Awaitable[AppResponse]]) -> None:
        """Mentorbot gets the request, then the bare app the same bytes (signed afresh)."""
        await self._one("mentorbot", kind, send)
        body = self.fake.acks[-1]["request"]
        content_type = (
            "application/json" if body[:1] == b"{" else ("application/x-www-form-urlencoded")
        )
        await self._one(
            "bare", kind, lambda: self.fake.post_raw(body, {"Content-Type": content_type})
        )

    async def signup_round(self, user: str, goal: str) -> None:
        fake = self.fake
        await self.same_bytes("help", lambda: fake.slash_command(user, "help"))
        # join: the bare app first, so Mentorbot's sign-up modal ends on top of the stack
        await self._one("bare", "join", lambda: fake.slash_command(user, "join"))
        await self._one("mentorbot", "join", lambda: fake.slash_command(user, "join"))

        def signup_modal():
            views = fake.open_views(user)
            return views and views[-1]["callback_id"] == ids.SIGNUP_CALLBACK and views[-1]

        view = await fake.wait_for(signup_modal, timeout=10)
        answers = {**SIGNUP_ANSWERS, ids.A_GOAL["description"]: goal}
        await self.same_bytes(
            "sign-up submission", lambda: fake.submit_view(user, view["id"], answers)
        )
        await self.same_bytes("app_home_opened", lambda: fake.open_home(user))

    async def click_round(self, click) -> None:
        fake = self.fake
        await self.same_bytes(
            "check-in click",
            lambda: fake.click(click.user, click.action_id, channel=click.channel, ts=click.ts),
        )


def summary(bench: Bench) -> list[str]:
    mb, bare = bench.samples["mentorbot"], bench.samples["bare"]
    lines = [
        "| request | n | ack p50 Mentorbot / bare | ack p99 Mentorbot / bare "
        "| CPU per request Mentorbot / bare |",
        "|---|---|---|---|---|",
    ]

    def q(values: list[float], quantile: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] if ordered else 0.0

    for kind in KINDS:
        m_acks, b_acks = mb.acks[kind], bare.acks[kind]
        m_cpu = statistics.fmean(mb.cpu[kind]) if mb.cpu[kind] else float("nan")
        b_cpu = statistics.fmean(bare.cpu[kind]) if bare.cpu[kind] else float("nan")
        p50 = (q(m_acks, 0.5), q(b_acks, 0.5))
        p99 = (q(m_acks, 0.99), q(b_acks, 0.99))
        failed = mb.failed[kind] + bare.failed[kind]
        lines.append(
            f"| {kind} | {len(m_acks)}{f' ({failed} failed)' if failed else ''} "
            f"| {p50[0]:.1f} / {p50[1]:.1f} ms ({p50[0] / p50[1]:.2f}x) "
            f"| {p99[0]:.1f} / {p99[1]:.1f} ms ({p99[0] / p99[1]:.2f}x) "
            f"| {m_cpu:.2f} / {b_cpu:.2f} ms ({m_cpu / b_cpu:.2f}x) |"
        )
    return lines


async def main(args: argparse.Namespace) -> int:
    workdir = tempfile.mkdtemp(prefix="mentorbot-ackbench-")
    database_url, pg_name = await fresh_database(args.db, workdir)
    fake = FakeSlack(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-bench-" + secrets.token_hex(8)
    )
    await fake.start()
    profile_out = Path(workdir) / "profile.out"
    mentorbot = (
        ServeProcess(
            fake,
            database_url,
            jobs=False,
            program=(str(ROOT / "bench" / "profiled_serve.py"),),
            PROFILE_OUT=str(profile_out),
        )
        if args.profile
        else ServeProcess(fake, database_url, jobs=False)
    )
    bare = BareApp(fake)
    ctx = None
    load_before = os.getloadavg()[0]
    try:
        await asyncio.gather(mentorbot.start(), bare.start())
        assert mentorbot.proc and bare.proc
        await asyncio.sleep(1)
        idle = {"mentorbot": rss_mb(mentorbot.proc.pid), "bare": rss_mb(bare.proc.pid)}
        ctx = scene_context(fake, database_url)
        await open_program(ctx)
        users = add_people(fake, WARM_UP + args.rounds + (WARM_UP + args.rounds) % 2, "U0ACKB")
        bench = Bench(fake, mentorbot, bare, args.profile)
        # The fake runs in this process: a full collection of its objects (the join's large
        # modal tipped it) delayed whichever ack was in flight by ~40 ms, once a run, and
        # showed as Mentorbot's join p99. Nothing this harness made so far is garbage.
        gc.collect()
        gc.freeze()
        for i, user in enumerate(users):
            bench.recording = i >= WARM_UP
            await bench.signup_round(user, f"Goal number {i}")
        clicks = [
            c for c in await post_two_weeks_of_checkins(ctx, fake) if c.action_id == ids.CHECKIN_MET
        ]
        for i, click in enumerate(clicks[: WARM_UP + args.rounds]):
            bench.recording = i >= WARM_UP
            await bench.click_round(click)
        await asyncio.sleep(1)
        after = {"mentorbot": rss_mb(mentorbot.proc.pid), "bare": rss_mb(bare.proc.pid)}
        print(
            f"bench_ack: {args.rounds} rounds on {args.db}; load average "
            f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after; CPU = on-CPU time of "
            "the app's process from the request until it is idle (work after the ack included)"
        )
        print("\n".join(summary(bench)))
        print(
            f"RSS idle after start-up: Mentorbot {idle['mentorbot']:.0f} MB, bare "
            f"{idle['bare']:.0f} MB; after the run: Mentorbot {after['mentorbot']:.0f} MB, bare "
            f"{after['bare']:.0f} MB"
        )
        print(f"Web API calls to the fake: {fake.stats['total_calls']}")
        if args.profile:
            await signal_and_wait(mentorbot.proc.pid, signal.SIGHUP)
            await asyncio.sleep(1)  # writing the statistics
            print("\n".join(profile_report(profile_out, args.rounds)))
    finally:
        await mentorbot.terminate()
        await bare.stop()
        if ctx is not None:
            await close_scene(ctx)
        await fake.stop()
        if pg_name:
            await admin_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--profile", choices=KINDS, help="profile this kind of request")
    sys.exit(asyncio.run(main(parser.parse_args())))
