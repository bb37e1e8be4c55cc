"""Deterministic fault injection for the fake Slack Web API.

Faults fire before a method takes effect, so a failed call never stores anything, exactly
like a request Slack rejected at its edge. Randomness comes from a seeded RNG, so a given
seed and call sequence always produce the same faults.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = (
    "ratelimited",
    "http_500",
    "http_503",
    "internal_error",
    "timeout",
    "disconnect",
    "answer_lost",
)


@dataclass
class FaultRule:
    """One way for calls to fail.

    ``method`` is a Web API method name or ``"*"``. With ``count`` set the rule fails exactly the
    next ``count`` matching calls; otherwise each matching call fails with probability ``rate``.
    ``retry_after`` is the Retry-After header of ``ratelimited``; ``delay`` is how long a
    ``timeout`` holds the response (make it longer than the client's timeout). ``timeout`` and
    ``disconnect`` fail before the call is carried out; ``answer_lost`` carries it out (the
    message is posted) and then holds the answer for ``delay``, as when Slack did the work but
    the answer never reached the client. ``when``, if set,
    limits the rule to calls whose arguments it accepts (e.g. one channel), so a test can fail one
    conversation's calls while others go through.
    """

    method: str = "*"
    kind: str = "http_500"
    rate: float = 1.0
    count: int | None = None
    retry_after: int = 1
    delay: float = 35.0
    when: Callable[[dict[str, Any]], bool] | None = field(default=None, repr=False)
    remaining: int | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if not isinstance(self.retry_after, int) or self.retry_after < 1:
            raise ValueError("retry_after must be an integer >= 1 (Slack sends whole seconds)")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        self.remaining = self.count

    def matches(self, method: str, args: dict[str, Any] | None = None) -> bool:
        if self.method not in ("*", method):
            return False
        return self.when is None or bool(self.when(args or {}))


class FaultInjector:
    """Holds the active fault rules and decides, per call, which one (if any) fires."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        """Activate ``rule``; rules are checked in the order they were added."""
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule so calls succeed again."""
        self.rules.clear()

    def pick(self, method: str, args: dict[str, Any] | None = None) -> FaultRule | None:
        """Return the rule that fails this call, consuming one use of a counted rule."""
        for rule in self.rules:
            if not rule.matches(method, args):
                continue
            if rule.remaining is not None:
                if rule.remaining > 0:
                    rule.remaining -= 1
                    return rule
            elif self._rng.random() < rule.rate:
                return rule
        return None
