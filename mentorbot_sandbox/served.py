"""`mentorbot serve` as a child process, talking to a FakeSlack in this process.

Used where the bot must have its own process (and CPU) as in production: the load test, the
shutdown test and `bench/bench_load.py`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx

from .fake import FakeSlack

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """Starts `python -m bot serve` against `fake` and `database_url` (migrated on start).

    `jobs=False` serves requests only (`--no-jobs`): the scheduler runs on the real clock, and a
    pass firing on the hour over a test's data would be load the test did not ask for.
    `socket=True` serves over Socket Mode (`--socket`) with `app_token` (the fake's by default;
    None leaves SLACK_APP_TOKEN unset), and the fake delivers there. `capture=True` keeps the
    process's stderr for :meth:`wait`. `program` replaces `-m bot` (a module taking the same
    arguments, e.g. `-m mentorbot_sandbox.serve_passes`).
    """

    def __init__(
        self,
        fake: FakeSlack,
        database_url: str,
        *,
        jobs: bool = True,
        socket: bool = False,
        app_token: str | None = "",
        capture: bool = False,
        program: tuple[str, ...] = ("-m", "bot"),
        **env: str,
    ) -> None:
        self.fake, self.database_url, self.port = fake, database_url, free_port()
        self.jobs, self.socket, self.capture = jobs, socket, capture
        self.app_token = fake.app_token if app_token == "" else app_token
        self.program = program
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr = ""  # what the process wrote, with capture=True

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "SLACK_APP_TOKEN"}
        env.update(
            {
                "SLACK_BOT_TOKEN": self.fake.bot_token,
                "SLACK_SIGNING_SECRET": self.fake.signing_secret,
                "SLACK_API_URL": self.fake.base_url or "",
                "DATABASE_URL": self.database_url,
                "PORT": str(self.port),
                "HR_ADMIN_IDS": "UHRADMIN1",
                "LOG_LEVEL": "WARNING",
            }
        )
        if self.socket and self.app_token is not None:
            env["SLACK_APP_TOKEN"] = self.app_token
        env.update(self.extra_env)
        return env

    async def launch(self) -> None:
        """Start the process without waiting for it."""
        options = ["--no-jobs"] if not self.jobs else []
        options += ["--socket"] if self.socket else []
        self.proc = await asyncio.create_subprocess_exec(
            *(sys.executable, *self.program, "serve", "--host", "127.0.0.1", *options),
            cwd=ROOT,
            env=self.environment(),
            stderr=asyncio.subprocess.PIPE if self.capture else None,
        )
        if self.socket:
            self.fake.transport = "socket"
        else:
            self.fake.app_url = f"{self.url}/slack/events"

    async def health(self) -> tuple[int, dict]:
        """`/healthz`'s status and body; (0, {}) while nothing listens, or while something that
        is not Mentorbot does (no JSON body: another process took the port first)."""
        async with httpx.AsyncClient() as client:
            try:
                response = await client.get(f"{self.url}/healthz")
                return response.status_code, response.json()
            except (httpx.HTTPError, ValueError):
                return 0, {}

    async def start(self, healthy_within: float = 60) -> None:
        """Start the process and return once /healthz answers 200.

        The port was free when chosen, but another process (a fake of a parallel test) may bind
        it before `serve` does; `serve` then exits at start-up, and is started again on another
        port (three tries).
        """
        for _ in range(3):
            await self.launch()
            if await self._healthy(healthy_within):
                return
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("mentorbot serve exited during start-up")

    async def _healthy(self, within: float) -> bool:
        """True once /healthz answers 200; False if the process exits first."""
        assert self.proc is not None
        deadline = time.monotonic() + within
        while (await self.health())[0] != 200:
            if self.proc.returncode is not None:
                return False
            if time.monotonic() > deadline:
                raise RuntimeError(f"mentorbot serve was not healthy within {within:.0f} s")
            await asyncio.sleep(0.1)
        return True

    async def wait(self, timeout: float = 30) -> tuple[int, str]:  # noqa: ASYNC109
        """Wait for the process to exit on its own: (exit status, captured stderr)."""
        assert self.proc is not None
        _, stderr = await asyncio.wait_for(self.proc.communicate(), timeout=timeout)
        self.stderr = (stderr or b"").decode()
        return int(self.proc.returncode or 0), self.stderr

    async def terminate(self, grace: float = 20) -> int | None:
        """SIGTERM, as a platform stops a dyno; killed if it is not gone within `grace` seconds.

        Returns the exit status, or None if it had to be killed.
        """
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code, self.stderr = await self.wait(timeout=grace)
        except TimeoutError:
            await self.kill()
            return None
        return code

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the process has used so far (Linux /proc)."""
        if self.proc is None:
            return 0.0
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return float("nan")
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
