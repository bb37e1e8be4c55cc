"""Scoring of possible pairs: who may be paired at all, and how good each pair is.

Roles
-----
A pair is one *sharer* (the reverse mentor: shares new tools and trends, usually earlier in their
career) and one *learner* (learns them and shares strategic experience back, usually later in their
career). "share" people are only ever sharers, "learn" people only learners, and "either" people
take whichever side gives the best program overall: the solver chooses their side jointly with
everything else, it never fixes it up front.

Hard constraints (a pair that breaks one is never proposed)
------------------------------------------------------------
- nobody is paired with themselves, their own manager or one of their direct reports;
- the sharer can share at least one topic the learner wants to learn (otherwise the pair has no
  reason to meet; what the learner can teach back is a bonus, never required);
- at least 2 hours of working-hour overlap (09:00-17:00 local each; less than that leaves no
  realistic meeting slot across time zones, so it is forbidden rather than penalised);
- at least one shared available weekday;
- not paired together in an earlier program (``past_pairs``) and not excluded by HR for this
  proposal (``excluded_pairs``).

Score of an allowed pair (sharer S, learner L); weights live in :class:`Weights`
------------------------------------------------------------------------------
=============================  ==========================================================  =======
term                           value                                                       default
=============================  ==========================================================  =======
topics_forward                 per topic in S.share ∩ L.learn, counting at most topic_cap     3.0
topics_back                    per topic in L.share ∩ S.learn (what L teaches back), capped   1.5
experience                     L has more years than S: weight × min(gap, sat) / sat          2.0
experience_reversed            S has more years than L: minus weight × min(gap, sat) / sat    2.0
different_department           S and L work in different departments                          1.0
timezone_overlap               shared working minutes / 480 (1.0 in the same time zone)       1.0
shared_days                    min(shared available weekdays, 3) / 3                          0.5
time_of_day                    preferred slots overlap by an hour or more once converted      0.5
                               to UTC (morning 9-12, midday 11-14, afternoon 13-17, any 9-17)
=============================  ==========================================================  =======

``topic_cap`` is 3 and ``sat`` (``experience_saturation_years``) is 10 by default. With the default
weights every allowed pair scores more than 1, so pairing two compatible people always beats
leaving them both out. With custom weights a pair can score below zero; ``match`` never proposes
such a pair because it would lower the total (the people concerned get a reason saying so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ROLES = ("share", "learn", "either")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Preferred meeting slots in local minutes after midnight.
TIME_WINDOWS = {
    "morning": (9 * 60, 12 * 60),
    "midday": (11 * 60, 14 * 60),
    "afternoon": (13 * 60, 17 * 60),
    "any": (9 * 60, 17 * 60),
}
WORKDAY_MINUTES = 8 * 60  # 09:00-17:00 local
MIN_OVERLAP_MINUTES = 2 * 60
MIN_SLOT_OVERLAP_MINUTES = 60
SCORE_UNITS = 10_000  # scores are quantised to 1e-4
_BLOCK_ENTRIES = 1 << 20  # pair entries per vectorised scoring block (bounds temporary memory)


@dataclass(frozen=True)
class Candidate:
    """One person who signed up for the program."""

    id: str
    name: str
    role: str
    years_experience: int
    department: str
    manager_id: str | None
    utc_offset_minutes: int
    share_topics: frozenset[str]
    learn_topics: frozenset[str]
    available_days: frozenset[str]
    time_of_day: str


@dataclass(frozen=True)
class Weights:
    """Weights of the score terms; the module docstring explains each one."""

    topics_forward: float = 3.0
    topics_back: float = 1.5
    topic_cap: int = 3
    experience: float = 2.0
    experience_reversed: float = 2.0
    experience_saturation_years: int = 10
    different_department: float = 1.0
    timezone_overlap: float = 1.0
    shared_days: float = 0.5
    time_of_day: float = 0.5


DEFAULT_WEIGHTS = Weights()

# --------------------------------------------------------------------------------------------
# Scoring one pair: the readable reference that the vectorised path must agree with.
# --------------------------------------------------------------------------------------------


def check(c: Candidate) -> None:
    """Reject values the scoring cannot interpret, naming the person."""
    if c.role not in ROLES:
        raise ValueError(f"{c.id}: unknown role {c.role!r}")
    if c.time_of_day not in TIME_WINDOWS:
        raise ValueError(f"{c.id}: unknown time of day {c.time_of_day!r}")
    if not c.available_days <= set(WEEKDAYS):
        raise ValueError(f"{c.id}: unknown weekdays {sorted(c.available_days - set(WEEKDAYS))}")


def slot_utc(c: Candidate) -> tuple[int, int]:
    start, end = TIME_WINDOWS[c.time_of_day]
    return start - c.utc_offset_minutes, end - c.utc_offset_minutes


# One function per score term, shared by score_pair and the vectorised lookup tables, so that
# both paths add identical floats in the same order and agree to the last bit.
def _topic_term(weight: float, count: int, w: Weights) -> float:
    return weight * min(count, w.topic_cap)


def _experience_term(gap: int, w: Weights) -> float:
    sat = w.experience_saturation_years
    if gap > 0:
        return w.experience * min(gap, sat) / sat
    return -w.experience_reversed * min(-gap, sat) / sat


def _timezone_term(gap_minutes: int, w: Weights) -> float:
    return w.timezone_overlap * (WORKDAY_MINUTES - gap_minutes) / WORKDAY_MINUTES


def _days_term(count: int, w: Weights) -> float:
    return w.shared_days * min(count, 3) / 3


def score_pair(
    sharer: Candidate, learner: Candidate, weights: Weights = DEFAULT_WEIGHTS
) -> float | None:
    """Score ``sharer`` teaching ``learner``; None when a person-level hard constraint forbids it.

    ``past_pairs`` and ``excluded_pairs`` are program-level and are applied by :func:`match`.
    """
    check(sharer)
    check(learner)
    gap_minutes = abs(sharer.utc_offset_minutes - learner.utc_offset_minutes)
    forward = sharer.share_topics & learner.learn_topics
    shared_days = sharer.available_days & learner.available_days
    if (
        sharer.id == learner.id
        or sharer.role == "learn"
        or learner.role == "share"
        or sharer.manager_id == learner.id
        or learner.manager_id == sharer.id
        or not forward
        or WORKDAY_MINUTES - gap_minutes < MIN_OVERLAP_MINUTES
        or not shared_days
    ):
        return None
    w = weights
    back = learner.share_topics & sharer.learn_topics
    s_start, s_end = slot_utc(sharer)
    l_start, l_end = slot_utc(learner)
    slots_meet = min(s_end, l_end) - max(s_start, l_start) >= MIN_SLOT_OVERLAP_MINUTES
    score = (
        _topic_term(w.topics_forward, len(forward), w)
        + _topic_term(w.topics_back, len(back), w)
        + _experience_term(learner.years_experience - sharer.years_experience, w)
        + w.different_department * (sharer.department != learner.department)
        + _timezone_term(gap_minutes, w)
        + _days_term(len(shared_days), w)
        + w.time_of_day * slots_meet
    )
    return score


# --------------------------------------------------------------------------------------------
# Vectorised scoring over all pairs.
# --------------------------------------------------------------------------------------------


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per uint64 element (SWAR; works on every numpy version)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


class Pool:
    """Column arrays of the people, sorted by id; topics and weekdays become bitsets."""

    def __init__(self, people: Sequence[Candidate]) -> None:
        self.people = people
        n = len(people)
        index = {c.id: k for k, c in enumerate(people)}
        topics = sorted({t for c in people for t in c.share_topics | c.learn_topics})
        topic_bit = {t: k for k, t in enumerate(topics)}
        words = max(1, -(-len(topics) // 64))
        self.share_bits = np.zeros((n, words), np.uint64)
        self.learn_bits = np.zeros((n, words), np.uint64)
        for k, c in enumerate(people):
            for bits, chosen in (
                (self.share_bits, c.share_topics),
                (self.learn_bits, c.learn_topics),
            ):
                for t in chosen:
                    bits[k, topic_bit[t] // 64] |= np.uint64(1 << (topic_bit[t] % 64))
        self.role = np.array([ROLES.index(c.role) for c in people], np.int8).reshape(n)
        self.can_share = self.role != ROLES.index("learn")
        self.can_learn = self.role != ROLES.index("share")
        self.years = np.array([c.years_experience for c in people], np.int64).reshape(n)
        departments = {d: k for k, d in enumerate(sorted({c.department for c in people}))}
        self.dept = np.array([departments[c.department] for c in people], np.int32).reshape(n)
        self.manager = np.array(
            [index.get(c.manager_id, -1) if c.manager_id else -1 for c in people], np.int64
        ).reshape(n)
        self.offset = np.array([c.utc_offset_minutes for c in people], np.int32).reshape(n)
        self.days = np.array(
            [sum(1 << WEEKDAYS.index(d) for d in c.available_days) for c in people], np.uint8
        ).reshape(n)
        slots = np.array([slot_utc(c) for c in people], np.int32).reshape(n, 2)
        self.slot_start, self.slot_end = slots[:, 0], slots[:, 1]
        self._tables: dict[Weights, tuple[np.ndarray, ...]] = {}

    def tables(self, w: Weights) -> tuple[np.ndarray, ...]:
        """Each score term for every value it can take here, built from the scalar terms."""
        if w not in self._tables:
            topics = 64 * self.share_bits.shape[1]
            span = int(np.ptp(self.years)) if len(self.people) else 0
            zones = int(np.ptp(self.offset)) if len(self.people) else 0
            self._tables[w] = (
                np.array([_topic_term(w.topics_forward, k, w) for k in range(topics + 1)]),
                np.array([_topic_term(w.topics_back, k, w) for k in range(topics + 1)]),
                np.array([_experience_term(g, w) for g in range(-span, span + 1)]),
                np.array([_timezone_term(d, w) for d in range(zones + 1)]),
                np.array([_days_term(bin(m).count("1"), w) for m in range(1 << len(WEEKDAYS))]),
            )
        return self._tables[w]


def constraints(p: Pool, i: np.ndarray, j: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Person-level hard constraints for i sharing with j, in the order reasons are reported."""
    return [
        ("role", p.can_share[i] & p.can_learn[j] & (i != j)),
        ("topics", (p.share_bits[i] & p.learn_bits[j]).any(axis=-1)),
        ("timezone", np.abs(p.offset[i] - p.offset[j]) <= WORKDAY_MINUTES - MIN_OVERLAP_MINUTES),
        ("days", (p.days[i] & p.days[j]) != 0),
        ("reporting", (p.manager[i] != j) & (p.manager[j] != i)),
    ]


def pair_scores(p: Pool, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
    """Scores of directed pairs (i shares with j), term by term as in :func:`score_pair`."""
    forward, back, experience, timezone, days = p.tables(w)
    span = (len(experience) - 1) // 2
    slots_meet = (
        np.minimum(p.slot_end[i], p.slot_end[j]) - np.maximum(p.slot_start[i], p.slot_start[j])
        >= MIN_SLOT_OVERLAP_MINUTES
    )
    return (
        forward[_popcount(p.share_bits[i] & p.learn_bits[j]).sum(axis=-1)]
        + back[_popcount(p.share_bits[j] & p.learn_bits[i]).sum(axis=-1)]
        + experience[p.years[j] - p.years[i] + span]
        + w.different_department * (p.dept[i] != p.dept[j])
        + timezone[np.abs(p.offset[i] - p.offset[j])]
        + days[p.days[i] & p.days[j]]
        + w.time_of_day * slots_meet
    )


def allowed_mask(p: Pool, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.logical_and.reduce([mask for _, mask in constraints(p, i, j)])


def score_units(p: Pool, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
    return np.rint(pair_scores(p, i, j, w) * SCORE_UNITS).astype(np.int64)


def allowed_edges(
    p: Pool, w: Weights, blocked: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed pairs as (a, b, score units), a < b, each scored in its better direction.

    Pairs are found in vectorised blocks of sharer rows against all learners. Two "either"
    people may pair both ways round: the block of the lower index emits such a pair with the
    better score, the other block skips it. ``blocked`` holds ``a * n + b`` codes to leave out;
    pairs scoring below zero are left out too (they would only lower the total).
    """
    n = len(p.people)
    rows = np.flatnonzero(p.can_share)
    cols = np.flatnonzero(p.can_learn)
    found = [(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64))]
    step = max(1, _BLOCK_ENTRIES // max(1, len(cols)))
    for start in range(0, len(rows), step):
        r = rows[start : start + step]
        bi, bj = np.nonzero(allowed_mask(p, r[:, None], cols[None, :]))
        i, j = r[bi], cols[bj]
        units = score_units(p, i, j, w)
        two_way = np.flatnonzero(p.can_learn[i] & p.can_share[j])
        ti, tj = i[two_way], j[two_way]
        back_ok = allowed_mask(p, tj, ti)
        units[two_way] = np.maximum(
            units[two_way], np.where(back_ok, score_units(p, tj, ti, w), -1)
        )
        keep = units >= 0
        keep[two_way[back_ok & (ti > tj)]] = False
        a, b = np.minimum(i, j), np.maximum(i, j)
        keep &= ~np.isin(a * n + b, blocked)
        found.append((a[keep].astype(np.int32), b[keep].astype(np.int32), units[keep]))
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]
