"""`mentorbot serve` as a child process, talking to a FakeSlack in this process.

Used where the bot must have its own process (and CPU) as in production: the load test, the
shutdown test and `bench/bench_load.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    `program` replaces `-m bot` (a script taking the same arguments, e.g. bench/serve_passes.py).
    """

    def __init__(
        self,
        fake: FakeSlack,
        database_url: str,
        *,
        jobs: bool = True,
        program: tuple[str, ...] = ("-m", "bot"),
        **env: str,
    ) -> None:
        self.fake, self.database_url, self.port = fake, database_url, free_port()
        self.jobs, self.program = jobs, program
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, healthy_within: float = 60) -> None:
        """Start the process and return once /healthz answers 200."""
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": self.fake.bot_token,
            "SLACK_SIGNING_SECRET": self.fake.signing_secret,
            "SLACK_API_URL": self.fake.base_url,
            "DATABASE_URL": self.database_url,
            "PORT": str(self.port),
            "HR_ADMIN_IDS": "UHRADMIN1",
            "LOG_LEVEL": "WARNING",
            **self.extra_env,
        }
        env.pop("SLACK_APP_TOKEN", None)
        options = [] if self.jobs else ["--no-jobs"]
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.program,
            "serve",
            "--host",
            "127.0.0.1",
            *options,
            cwd=ROOT,
            env=env,
        )
        self.fake.app_url = f"{self.url}/slack/events"
        deadline = time.monotonic() + healthy_within
        async with httpx.AsyncClient() as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                if self.proc.returncode is not None:
                    raise RuntimeError("mentorbot serve exited during start-up")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"mentorbot serve was not healthy within {healthy_within:.0f} s"
                    )
                await asyncio.sleep(0.1)

    async def terminate(self, grace: float = 20) -> int | None:
        """SIGTERM, as a platform stops a dyno; killed if it is not gone within `grace` seconds.

        Returns the exit status, or None if it had to be killed.
        """
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout=grace)
        except TimeoutError:
            await self.kill()
            return None

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
