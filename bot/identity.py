"""The bot's own identity (auth.test), given to Bolt through its public `authorize` hook.

Bolt's single-workspace authorization calls auth.test when the first request arrives, inside
Slack's 3 s ack window (and every request arriving before it answers calls it too): with Slack
slow or rate-limiting, the first people after a deploy got a late ack. Here the answer is asked
for once, at start-up in the background (`prime`), and kept; if Slack is down then, the first
request asks again (one call at a time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

log = logging.getLogger(__name__)


class BotIdentity:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._auth_test: AsyncSlackResponse | None = None
        self._asking = asyncio.Lock()

    async def authorize(self) -> AuthorizeResult:
        """Bolt's `authorize` function: the bot token with what auth.test said about it."""
        if self._auth_test is None:
            async with self._asking:
                if self._auth_test is None:
                    self._auth_test = await self._client.auth_test()
        return AuthorizeResult.from_auth_test_response(
            bot_token=self._client.token, auth_test_response=self._auth_test
        )

    def for_bolt(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """`authorize` as Bolt wants it: a plain function (Bolt passes arguments by their names,
        and would offer a method's `self` one too)."""

        async def authorize() -> AuthorizeResult:
            return await self.authorize()

        return authorize

    async def prime(self) -> None:
        """Ask Slack now, so that no request waits for it; a failure is logged, never raised."""
        try:
            await self.authorize()
        except (SlackApiError, OSError, TimeoutError) as exc:
            log.warning("auth.test failed at start-up", extra={"error_type": type(exc).__name__})
