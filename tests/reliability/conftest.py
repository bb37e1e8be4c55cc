"""Fixtures of the reliability suite: a bot whose Slack client gives up quickly on a stuck call."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.clock import FixedClock
from mentorbot_sandbox.local import LocalBot
from tests.conftest import START, patient


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "load: many concurrent requests against one bot (runs in CI)"
    )


@pytest.fixture
async def quick_bot(db_url: str):
    """The running bot with a 1 s Web API timeout, so `timeout` faults cost a second, not ten."""
    async with LocalBot(db_url, clock=FixedClock(START), slack_timeout_seconds=1) as local:
        yield patient(local)


class BotInThread:
    """A LocalBot on its own event loop in a background thread, for synchronous callers.

    Hypothesis drives tests synchronously; `run(coro)` runs a step on the bot's loop and waits.
    """

    def __init__(self, db_url: str, **overrides) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.local = LocalBot(db_url, clock=FixedClock(START), **overrides)
        self.run(self.local.__aenter__())
        patient(self.local)

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.local.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture
def threaded_bot(db_url: str):
    runner = BotInThread(db_url)
    yield runner
    runner.close()
