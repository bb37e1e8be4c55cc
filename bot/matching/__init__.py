"""Pair people for a reverse-mentoring program: optimal, deterministic and explained.

Plain domain code: it knows nothing of Slack or the database. The caller hands over the people who
signed up (paused or departed people already removed) and gets back pairs, each with its reasons,
and every person left out with a reason in plain words.

Modules: :mod:`~bot.matching.scoring` (hard constraints and the score of a pair),
:mod:`~bot.matching.solver` (exact maximum-weight matching), :mod:`~bot.matching.explain`
(reasons in plain words). This module ties them together.

Determinism: people are sorted by id before anything else and every tie is broken by that order,
so the same people give the same result in any input order. Work is dominated by scoring the
O(n²) candidate pairs in vectorised row blocks and by the sparse assignments; 10,000 people take
about 3 s and under 0.5 GB (see ``bench/bench_matching.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.matching.explain import Explainer, pair_reasons
from bot.matching.scoring import (
    DEFAULT_WEIGHTS,
    SCORE_UNITS,
    Candidate,
    Pool,
    Weights,
    allowed_edges,
    allowed_mask,
    check,
    score_pair,
    score_units,
)
from bot.matching.solver import max_weight_matching

__all__ = [
    "DEFAULT_WEIGHTS",
    "Candidate",
    "MatchResult",
    "Pair",
    "Unmatched",
    "Weights",
    "match",
    "score_pair",
]


@dataclass(frozen=True)
class Pair:
    """A proposed pair: the sharer is the reverse mentor, the learner the senior."""

    sharer_id: str
    learner_id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """Someone left out of this proposal, with the reason in plain words."""

    id: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: float
    # How many people had a partner that every other rule allowed but the reporting-line rule
    # ruled out: HR is told the rule applied, never between whom.
    reporting_line_applied: int = 0


# --------------------------------------------------------------------------------------------
# Public entry point.
# --------------------------------------------------------------------------------------------


def _pair_indices(pairs: Iterable[frozenset[str]], index: dict[str, int]) -> set[tuple[int, int]]:
    out = set()
    for pair in pairs:
        ids = sorted(pair)
        if len(ids) == 2 and ids[0] in index and ids[1] in index:
            a, b = index[ids[0]], index[ids[1]]
            out.update({(a, b), (b, a)})
    return out


def _orient(
    p: Pool, x: np.ndarray, y: np.ndarray, w: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sharer, learner and score units of each chosen pair, in its better direction.

    On a tie the less experienced person shares (then the one earlier by id), the natural
    direction of reverse mentoring.
    """
    forward, backward = (
        np.where(allowed_mask(p, s, ln), score_units(p, s, ln, w), -1) for s, ln in ((x, y), (y, x))
    )
    swap = (backward > forward) | ((backward == forward) & (p.years[y] < p.years[x]))
    return np.where(swap, y, x), np.where(swap, x, y), np.maximum(forward, backward)


def match(
    candidates: Sequence[Candidate],
    *,
    past_pairs: Iterable[frozenset[str]] = (),
    excluded_pairs: Iterable[frozenset[str]] = (),
    weights: Weights = DEFAULT_WEIGHTS,
    different_departments: bool = False,
) -> MatchResult:
    """Maximum-score pairing of ``candidates`` under the hard constraints; see module docstring.

    ``past_pairs`` and ``excluded_pairs`` are sets of two ids; others (ids not in the pool, or a
    single id) are ignored. ``different_departments`` makes different departments a hard rule
    (the program's choice). Every candidate ends up in exactly one pair or in ``unmatched``.
    Raises ValueError for duplicate ids or a role, time of day or weekday it does not know.
    """
    people = sorted(candidates, key=lambda c: c.id)
    for before, after in itertools.pairwise(people):
        if before.id == after.id:
            raise ValueError(f"duplicate candidate id {before.id}")
    for c in people:
        check(c)
    n = len(people)
    pool = Pool(people, different_departments=different_departments)
    index = {c.id: k for k, c in enumerate(people)}
    blocked_pairs = {
        "past": _pair_indices(past_pairs, index),
        "excluded": _pair_indices(excluded_pairs, index),
    }

    blocked = sorted({x * n + y for pairs in blocked_pairs.values() for x, y in pairs if x < y})
    edges = allowed_edges(pool, weights, np.array(blocked, np.int64))
    a, b, units = edges.a, edges.b, edges.units
    per_pair = n // 2 + 1  # tie-break unit: more pairs only among equal total scores
    mate = np.full(n, -1, np.int64)
    if len(units):
        if (int(units.max()) * per_pair + 1) * n > 2**50:
            raise ValueError("weights too large for exact matching; scale the Weights down")
        mate = max_weight_matching(n, a, b, units, per_pair)

    first = np.flatnonzero(mate > np.arange(n))
    sharers, learners, pair_units = _orient(pool, first, mate[first], weights)
    pairs = []
    for s, ln, u in zip(sharers.tolist(), learners.tolist(), pair_units.tolist(), strict=True):
        reasons = pair_reasons(people[s], people[ln])
        pairs.append(Pair(people[s].id, people[ln].id, u / SCORE_UNITS, reasons))
    pairs.sort(key=lambda p: p.sharer_id)

    left_out = np.flatnonzero(mate < 0).tolist()
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    explainer = Explainer(pool, blocked_pairs, degree)
    unmatched = [Unmatched(people[k].id, explainer.reason(k, len(left_out))) for k in left_out]
    return MatchResult(
        tuple(pairs),
        tuple(unmatched),
        int(pair_units.sum()) / SCORE_UNITS,
        int(edges.line_ruled_out.sum()),
    )
