"""Fixtures: a started FakeSlack, a real slack_sdk client, and a tiny signed-request receiver.

The receiver stands in for the bot (which these tests must not depend on): it verifies every
request with slack_sdk's SignatureVerifier and answers with whatever the test's handler returns.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


class Receiver:
    """An aiohttp endpoint that checks Slack signatures and records what it received."""

    def __init__(self, secret: str) -> None:
        self.verifier = SignatureVerifier(secret)
        self.requests: list[dict[str, Any]] = []
        self.rejected = 0
        self.handler: Callable[[dict], Any] = lambda body: None
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/slack/events", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/slack/events"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if not self.verifier.is_valid_request(raw, dict(request.headers)):
            self.rejected += 1
            return web.json_response({"error": "invalid request"}, status=401)
        if request.content_type == "application/json":
            body = json.loads(raw)
        else:
            body = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            if "payload" in body:
                body = json.loads(body["payload"])
        self.requests.append({"body": body, "headers": dict(request.headers)})
        result = self.handler(body)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, web.StreamResponse):
            return result
        if isinstance(result, dict):
            return web.json_response(result)
        return web.Response(text=result or "")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(signing_secret=SECRET, bot_token=TOKEN) as started:
        started.add_user("U1", "alice", real_name="Alice A", email="alice@example.com")
        started.add_user("U2", "bob", tz="America/New_York")
        started.add_user("U3", "carol", tz="Asia/Kolkata")
        started.add_channel("C1", "general", members=["U1", "U2"])
        yield started


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.base_url)


@pytest.fixture
async def receiver(fake: FakeSlack) -> AsyncIterator[Receiver]:
    recv = Receiver(SECRET)
    fake.app_url = await recv.start()
    yield recv
    await recv.stop()
