"""Rate limiting: tier table, 429 format, and recovery with slack_sdk's retry handler."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack
from mentorbot_sandbox.ratelimit import METHOD_TIERS, RateLimiter

from .conftest import TOKEN

# shared/ sits beside the checkout (in CI too); SLACK_API_SPECS may point elsewhere.
SPECS = Path(
    os.environ.get(
        "SLACK_API_SPECS",
        Path(__file__).resolve().parents[3] / "shared/slack-api-specs/docs.slack.dev/methods",
    )
)


@pytest.mark.skipif(not SPECS.is_dir(), reason="Slack method metadata not available")
def test_tier_table_matches_slack_metadata() -> None:
    for method, tier in METHOD_TIERS.items():
        spec = json.loads((SPECS / f"{method}.json").read_text())
        assert spec["rate_limits"] == tier, method


def test_buckets_refill_scaled_and_per_channel() -> None:
    now = [0.0]
    limiter = RateLimiter(scale=2.0, clock=lambda: now[0])
    assert [limiter.acquire("users.list") for _ in range(5)] == [None] * 5  # t2 burst
    assert limiter.acquire("users.list") == 2  # 40/min scaled -> 1.5 s -> rounded up
    assert limiter.acquire("users.info") is None  # other methods are unaffected
    now[0] += 1.5
    assert limiter.acquire("users.list") is None

    for _ in range(3):
        assert limiter.acquire("chat.postMessage", channel="C1") is None
    assert limiter.acquire("chat.postMessage", channel="C1") == 1
    assert limiter.acquire("chat.postMessage", channel="C2") is None


async def test_429_has_integer_retry_after_and_is_counted() -> None:
    async with FakeSlack(bot_token=TOKEN, rate_limits=True) as fake:
        client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
        for _ in range(5):
            await client.users_list()
        with pytest.raises(SlackApiError) as info:
            await client.users_list()
        resp = info.value.response
        assert resp.status_code == 429 and resp["error"] == "ratelimited"
        retry_after = resp.headers["Retry-After"]
        assert retry_after.isdigit() and int(retry_after) >= 1
        assert fake.stats["ratelimited"] == {"users.list": 1}
        assert fake.stats["total_ratelimited"] == 1
        assert fake.stats["calls"]["users.list"] == 6


async def test_retry_handler_recovers_from_channel_limit() -> None:
    async with FakeSlack(bot_token=TOKEN, rate_limits=True, rate_limit_scale=50) as fake:
        fake.add_channel("C1", "general")
        # The buckets' clock stands still until the first 429, however slow this machine is
        # (so the burst is exceeded), then runs: the retry after Retry-After finds a token.
        start = time.monotonic()
        fake.limiter.clock = lambda: time.monotonic() if fake.stats["ratelimited"] else start
        client = AsyncWebClient(
            token=TOKEN,
            base_url=fake.base_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        for i in range(4):  # burst of 3 per channel, the 4th is limited then retried
            await client.chat_postMessage(channel="C1", text=f"m{i}")
        assert [m.text for m in fake.messages("C1")] == ["m0", "m1", "m2", "m3"]
        assert fake.stats["ratelimited"] == {"chat.postMessage": 1}
