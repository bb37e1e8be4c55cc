"""The Web API client: Slack faults are retried here, once, for every call the bot makes.

slack_sdk retries only dropped connections by default. We add: 429s honouring `Retry-After`,
5xx and Slack's own `internal_error`/`fatal_error` answers, and timeouts, with exponential backoff
and jitter. Posting is made safe to retry by the jobs (they claim a row before posting).
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
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


def retry_handlers(max_retries: int = 4) -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(
            max_retry_count=max_retries,
            interval_calculator=BACKOFF,
            error_types=[
                ServerConnectionError,
                ServerDisconnectedError,
                ClientOSError,
                asyncio.TimeoutError,
            ],
        ),
        AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        AsyncServerFaultRetryHandler(max_retry_count=max_retries, interval_calculator=BACKOFF),
    ]


def build_client(token: str, base_url: str, *, timeout: float = 10.0) -> AsyncWebClient:
    """A Web API client for `base_url` (Slack, GovSlack or the local fake) with our retries."""
    return AsyncWebClient(
        token=token, base_url=base_url, timeout=int(timeout), retry_handlers=retry_handlers()
    )
