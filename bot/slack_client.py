"""The Web API client: Slack faults are retried here, once, for every call the bot makes.

slack_sdk retries only dropped connections by default. We add: 429s honouring `Retry-After`,
5xx and Slack's own `internal_error`/`fatal_error` answers, and timeouts, with exponential backoff
and jitter. A timeout or a dropped connection loses the answer, not necessarily the call: a
retried post may land twice. Callers that can find out what landed post inside
`reconciled_posts()`: then a post is retried only when no connection was made at all, and the
caller looks in the channel's history before trying again (the jobs' exactly-once delivery,
bot/scheduler/delivery.py). Elsewhere (a note to HR, a DM) a rare duplicate beats a lost message.

When every retry is spent, a transport failure surfaces as `SlackUnreachable`, whatever aiohttp
raised, so callers need only catch `(SlackApiError, OSError, TimeoutError)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientSession,
    ClientTimeout,
    ServerConnectionError,
    ServerDisconnectedError,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import RandomJitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

RETRYABLE_SLACK_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})
BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.25, jitter=RandomJitter())


class AsyncServerFaultRetryHandler(AsyncRetryHandler):
    """Retries 5xx answers (JSON or not) and Slack's transient `ok:false` errors."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None:
            if response.status_code >= 500:
                return True
            body = response.body or {}
            return isinstance(body, dict) and body.get("error") in RETRYABLE_SLACK_ERRORS
        if isinstance(error, SlackApiError) and error.response is not None:
            return int(getattr(error.response, "status_code", 0) or 0) >= 500
        return False


RATE_LIMIT_RETRIES = 12  # waiting out Retry-After is always safe; a busy pass needs several


def retry_handlers(max_retries: int = 4) -> list[AsyncRetryHandler]:
    """Faults get `max_retries` retries with backoff; 429s more, each after its Retry-After."""
    return [
        AsyncTransportRetryHandler(
            max_retry_count=max_retries,
            interval_calculator=BACKOFF,
            error_types=[
                ServerConnectionError,
                ServerDisconnectedError,
                ClientOSError,
                asyncio.TimeoutError,
            ],
        ),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncServerFaultRetryHandler(max_retry_count=max_retries, interval_calculator=BACKOFF),
    ]


# Methods whose every arrival creates something people see: a second arrival is a duplicate.
NOT_IDEMPOTENT = frozenset({"chat.postMessage", "files.completeUploadExternal"})
_reconciling: ContextVar[bool] = ContextVar("reconciling", default=False)


@contextlib.contextmanager
def reconciled_posts() -> Iterator[None]:
    """Within this block (this task), posts are not retried after an ambiguous failure: the
    caller finds out itself whether the post landed."""
    token = _reconciling.set(True)
    try:
        yield
    finally:
        _reconciling.reset(token)


class AsyncTransportRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries transport failures, except, inside `reconciled_posts()`, ambiguous ones (the call
    may have arrived) for the methods in NOT_IDEMPOTENT."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        ambiguous = not isinstance(error, ClientConnectorError)
        if _reconciling.get() and method in NOT_IDEMPOTENT and ambiguous:
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class SlackUnreachable(ConnectionError):
    """Slack could not be reached (dropped connection, timeout) even after every retry."""


class RetryingWebClient(AsyncWebClient):
    """AsyncWebClient that keeps its connections and reports every transport failure the same way.

    * Without a session slack_sdk opens a new aiohttp session, so a new TCP (and TLS) connection,
      for every call; under load that set-up was a large share of the bot's CPU. One session per
      event loop keeps connections alive; `aclose()` ends it.
    * aiohttp's ServerDisconnectedError is not an OSError, so it used to escape every
      `except (SlackApiError, OSError, TimeoutError)`: a job left its claim taken and a handler
      blamed the database. All transport failures become `SlackUnreachable` (an OSError), timeouts
      too, so they are never mistaken for database ones.
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _closed = False

    async def api_call(self, api_method: str, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        if not self._closed and (self.session is None or self._loop is not loop):
            self.session = ClientSession(timeout=ClientTimeout(total=self.timeout))
            self._loop = loop
        try:
            return await super().api_call(api_method, **kwargs)
        except (ClientError, TimeoutError) as exc:
            raise SlackUnreachable(f"{api_method}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        """Close the pooled connections; a call made later (work finishing during shutdown)
        still goes through, on a connection of its own as slack_sdk does by default."""
        self._closed = True
        session, self.session = self.session, None
        if session is not None and not session.closed:
            await session.close()


def build_client(
    token: str, base_url: str, *, timeout: float = 10.0, max_retries: int = 4
) -> RetryingWebClient:
    """A Web API client for `base_url` (Slack, GovSlack or the local fake) with our retries."""
    # aiohttp takes fractional seconds; int() would turn a sub-second timeout into "none".
    return RetryingWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk annotates int; aiohttp takes float
        retry_handlers=retry_handlers(max_retries),
    )
