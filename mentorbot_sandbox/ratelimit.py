"""Slack-like rate limiting for the fake: token buckets per method tier.

Slack publishes per-minute tiers but not burst sizes, so the numbers below are our choice:

* Tier buckets refill continuously at ``per_minute / 60`` tokens per second and hold at most
  ``burst`` tokens (t1: 2, t2: 5, t3: 10, t4: 20), i.e. a cold bucket tolerates a short burst
  and then settles to the published rate.
* ``chat.postMessage`` ("special", t5): 1 message/second per channel with a burst of 3, plus a
  workspace-wide ceiling of 600/minute (Slack says "several hundred per minute") with a burst
  of 60.
* ``auth.test`` ("special", "hundreds of requests per minute"): 600/minute, burst 100.

``scale`` multiplies every refill rate (not the burst sizes) so tests can exercise the limits
without waiting minutes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Rate-limit tier of every Web API method the fake implements ("t5" = Slack's "special").
#: Kept in code so the package works without the spec files; tests compare it against them.
METHOD_TIERS: dict[str, str] = {
    "auth.test": "t5",
    "chat.postMessage": "t5",
    "chat.postEphemeral": "t4",
    "chat.update": "t3",
    "chat.delete": "t3",
    "conversations.open": "t3",
    "conversations.info": "t3",
    "conversations.history": "t3",  # internal apps keep Tier 3 (2025 change: distributed apps)
    "conversations.members": "t4",
    "users.info": "t4",
    "users.list": "t2",
    "users.lookupByEmail": "t3",  # the issue says Tier 4; Slack's method metadata says Tier 3
    "views.open": "t4",
    "views.push": "t4",
    "views.update": "t4",
    "views.publish": "t4",
    "files.getUploadURLExternal": "t4",
    "files.completeUploadExternal": "t4",
    "files.info": "t4",
    "reactions.add": "t3",
    "apps.connections.open": "t3",
}


@dataclass(frozen=True)
class Limit:
    """A refill rate (per minute) and the bucket size (burst) it is enforced with."""

    per_minute: float
    burst: int


TIER_LIMITS: dict[str, Limit] = {
    "t1": Limit(1, 2),
    "t2": Limit(20, 5),
    "t3": Limit(50, 10),
    "t4": Limit(100, 20),
}
SPECIAL_LIMITS: dict[str, Limit] = {
    "auth.test": Limit(600, 100),
    "chat.postMessage": Limit(600, 60),  # workspace-wide ceiling
}
POST_MESSAGE_PER_CHANNEL = Limit(60, 3)  # 1 per second per channel


class TokenBucket:
    """Continuous-refill token bucket; tells how long until the next token when empty."""

    def __init__(self, rate_per_second: float, burst: int, now: float) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimiter:
    """Decides whether a call is within Slack's limits; consumes a token only when it is."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if scale <= 0:
            raise ValueError("rate_limit_scale must be positive")
        self.scale = scale
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = limit.per_minute * self.scale / 60.0
            bucket = self._buckets[key] = TokenBucket(rate, limit.burst, now)
        return bucket

    def acquire(self, method: str, channel: str | None = None) -> int | None:
        """Take a token for ``method``; return None if allowed, else Retry-After seconds (>= 1)."""
        now = self.clock()
        limit = SPECIAL_LIMITS.get(method) or TIER_LIMITS[METHOD_TIERS[method]]
        buckets = [self._bucket((method, "*"), limit, now)]
        if method == "chat.postMessage":
            key = (method, f"channel:{channel or ''}")
            buckets.append(self._bucket(key, POST_MESSAGE_PER_CHANNEL, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take(now)
        return None
