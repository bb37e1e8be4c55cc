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
- nobody is paired with themselves, nor with anyone above them in their reporting line
  (``reporting_line``: everyone above the person in the imported management chain, direct
  manager, skip-level and up, plus the manager they named themselves);
- the sharer can share at least one topic the learner wants to learn (otherwise the pair has no
  reason to meet; what the learner can teach back is weighed, never required);
- at least 2 hours of working-hour overlap (09:00-17:00 local each; less than that leaves no
  realistic meeting slot across time zones, so it is forbidden rather than penalised);
- at least one shared available weekday;
- when the program requires it, different departments (an unknown department differs from all);
- not paired together in an earlier program (``past_pairs``) and not excluded by HR for this
  proposal (``excluded_pairs``).

Score of an allowed pair (sharer S, learner L); weights live in :class:`Weights`
------------------------------------------------------------------------------
What people notice first is whether each side gets something, so each direction's fit counts
once and weighs most; then how much there is to talk about (breadth), how much of the working day
they share (overlap), and meeting someone from elsewhere in the company (department diversity).

=====================  =================================================================  =======
term                   value                                                              default
=====================  =================================================================  =======
forward_fit            S can share a topic L wants to learn (always, for an allowed pair)    3.0
back_fit               L can share a topic S wants to learn: the pair works both ways        3.0
breadth                per topic beyond the first in each direction, at most breadth_cap     0.25
                       extra topics per direction
timezone_overlap       shared working minutes / 480 (the whole weight in one time zone)      2.0
different_department   S and L work in different departments                                 0.5
experience             L's band is above S's: weight × min(gap, sat) / sat (band years)      0.5
experience_reversed    S's band is above L's: minus weight × min(gap, sat) / sat             0.5
shared_days            min(shared available weekdays, 3) / 3                                 0.25
time_of_day            preferred slots overlap by an hour or more once converted to UTC      0.25
                       (morning 9-12, midday 11-14, afternoon 13-17, any 9-17)
=====================  =================================================================  =======

``breadth_cap`` is 2 and ``sat`` (``experience_saturation_years``) is 10 by default. The back fit
(3.0) outweighs every other term but the overlap (2.0) taken together with the rest at their best,
so a one-way pair wins over a two-way one only when it is far better on everything else; on the
seeded population of ``bench/bench_matching_quality.py`` every pair fits both ways. Every allowed
pair scores more than 1 with the defaults, so pairing two compatible people always beats leaving
them both out. With custom weights a pair can score below zero; ``match`` never proposes such a
pair because it would lower the total (the people concerned get a reason saying so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.vocabulary import WORKDAYS, ExperienceBand, Role, TimeOfDay, Weekday

WORKDAY_MINUTES = 8 * 60  # 09:00-17:00 local
MIN_OVERLAP_MINUTES = 2 * 60
MIN_SLOT_OVERLAP_MINUTES = 60
SCORE_UNITS = 10_000  # scores are quantised to 1e-4
_BLOCK_ENTRIES = 1 << 20  # pair entries per vectorised scoring block (bounds temporary memory)
_ROLES = tuple(Role)
# Per-value lookups for building a pool: tens of thousands of enum constructions otherwise.
_ROLE_INDEX = {r.value: k for k, r in enumerate(_ROLES)}
_DAY_BIT = {d.value: 1 << k for k, d in enumerate(WORKDAYS)}
_YEARS = {b.value: b.typical_years for b in ExperienceBand}
_WINDOW = {t.value: t.window for t in TimeOfDay}


@dataclass(frozen=True)
class Candidate:
    """One person who signed up for the program."""

    id: str
    name: str
    role: Role
    experience: ExperienceBand
    department: str
    utc_offset_minutes: int
    share_topics: frozenset[str]
    learn_topics: frozenset[str]
    available_days: frozenset[Weekday]
    time_of_day: TimeOfDay
    # Everyone above this person: their imported management chain and their self-declared manager.
    reporting_line: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Weights:
    """Weights of the score terms; the module docstring explains each one."""

    forward_fit: float = 3.0
    back_fit: float = 3.0
    breadth: float = 0.25
    breadth_cap: int = 2
    timezone_overlap: float = 2.0
    different_department: float = 0.5
    experience: float = 0.5
    experience_reversed: float = 0.5
    experience_saturation_years: int = 10
    shared_days: float = 0.25
    time_of_day: float = 0.25


DEFAULT_WEIGHTS = Weights()

# --------------------------------------------------------------------------------------------
# Scoring one pair: the readable reference that the vectorised path must agree with.
# --------------------------------------------------------------------------------------------


def check(c: Candidate) -> None:
    """Reject values the scoring cannot interpret, naming the person."""
    for kind, value, what in (
        (Role, c.role, "role"),
        (ExperienceBand, c.experience, "experience band"),
        (TimeOfDay, c.time_of_day, "time of day"),
    ):
        try:
            kind(value)
        except ValueError:
            raise ValueError(f"{c.id}: unknown {what} {value!r}") from None
    if not c.available_days <= set(WORKDAYS):
        raise ValueError(f"{c.id}: unknown weekdays {sorted(c.available_days - set(WORKDAYS))}")


def slot_utc(c: Candidate) -> tuple[int, int]:
    start, end = _WINDOW[c.time_of_day]
    return start - c.utc_offset_minutes, end - c.utc_offset_minutes


def years(c: Candidate) -> int:
    return _YEARS[c.experience]


# One function per score term, shared by score_pair and the vectorised lookup tables, so that
# both paths add identical floats in the same order and agree to the last bit.
def _direction_term(fit: float, count: int, w: Weights) -> float:
    """Fit counted once when any topic fits, then breadth for each further topic (capped)."""
    if count == 0:
        return 0.0
    return fit + w.breadth * min(count - 1, w.breadth_cap)


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
    sharer: Candidate,
    learner: Candidate,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    different_departments: bool = False,
) -> float | None:
    """Score ``sharer`` teaching ``learner``; None when a person-level hard constraint forbids it.

    ``past_pairs`` and ``excluded_pairs`` are program-level and are applied by ``match``.
    """
    check(sharer)
    check(learner)
    gap_minutes = abs(sharer.utc_offset_minutes - learner.utc_offset_minutes)
    forward = sharer.share_topics & learner.learn_topics
    shared_days = sharer.available_days & learner.available_days
    if (
        sharer.id == learner.id
        or not Role(sharer.role).can_share
        or not Role(learner.role).can_learn
        or sharer.id in learner.reporting_line
        or learner.id in sharer.reporting_line
        or not forward
        or WORKDAY_MINUTES - gap_minutes < MIN_OVERLAP_MINUTES
        or not shared_days
        or (different_departments and same_department(sharer.department, learner.department))
    ):
        return None
    w = weights
    back = learner.share_topics & sharer.learn_topics
    s_start, s_end = slot_utc(sharer)
    l_start, l_end = slot_utc(learner)
    slots_meet = min(s_end, l_end) - max(s_start, l_start) >= MIN_SLOT_OVERLAP_MINUTES
    return (
        _direction_term(w.forward_fit, len(forward), w)
        + _direction_term(w.back_fit, len(back), w)
        + _experience_term(years(learner) - years(sharer), w)
        + w.different_department * (sharer.department != learner.department)
        + _timezone_term(gap_minutes, w)
        + _days_term(len(shared_days), w)
        + w.time_of_day * slots_meet
    )


def same_department(a: str, b: str) -> bool:
    """Known and equal: an unknown department cannot be shown to be the same as any other."""
    return bool(a) and a == b


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
    """Column arrays of the people, sorted by id; topics and weekdays become bitsets.

    ``above[k]`` lists (padded with -1) the pool indices of everyone in person k's reporting
    line, so the chain rule is one vectorised comparison per pair however deep the chain is.
    """

    def __init__(self, people: Sequence[Candidate], *, different_departments: bool = False) -> None:
        self.people = people
        self.different_departments = different_departments
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
        self.role = np.array([_ROLE_INDEX[c.role] for c in people], np.int8).reshape(n)
        self.can_share = np.array([r.can_share for r in _ROLES], bool)[self.role]
        self.can_learn = np.array([r.can_learn for r in _ROLES], bool)[self.role]
        self.years = np.array([years(c) for c in people], np.int64).reshape(n)
        departments = {d: k for k, d in enumerate(sorted({c.department for c in people}))}
        self.dept = np.array([departments[c.department] for c in people], np.int32).reshape(n)
        # A department id nobody shares stands for "unknown" under the different-departments rule.
        self.dept_known = np.array([bool(c.department) for c in people], bool).reshape(n)
        lines = [sorted(index[m] for m in c.reporting_line if m in index) for c in people]
        depth = max((len(line) for line in lines), default=0)
        self.above = np.full((n, depth), -1, np.int64)
        for k, line in enumerate(lines):
            self.above[k, : len(line)] = line
        # The same relation as pair codes (lower index * n + higher), sorted: finding the few
        # line pairs among millions of candidate pairs is then one binary search each.
        codes = [min(k, m) * n + max(k, m) for k, line in enumerate(lines) for m in line]
        self.line_codes = np.unique(np.array(codes, np.int64))
        self.offset = np.array([c.utc_offset_minutes for c in people], np.int32).reshape(n)
        self.days = np.array(
            [sum(_DAY_BIT[d] for d in c.available_days) for c in people],
            np.uint8,
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
                np.array([_direction_term(w.forward_fit, k, w) for k in range(topics + 1)]),
                np.array([_direction_term(w.back_fit, k, w) for k in range(topics + 1)]),
                np.array([_experience_term(g, w) for g in range(-span, span + 1)]),
                np.array([_timezone_term(d, w) for d in range(zones + 1)]),
                np.array([_days_term(bin(m).count("1"), w) for m in range(1 << len(WORKDAYS))]),
            )
        return self._tables[w]


def _line_ok(p: Pool, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Neither is anywhere above the other."""
    return ~_in_line(p, i, j) & ~_in_line(p, j, i)


def _in_line(p: Pool, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """True where j is anywhere above i in i's reporting line."""
    if not p.above.shape[1]:
        return np.zeros(np.broadcast_shapes(np.shape(i), np.shape(j)), bool)
    return (p.above[i] == np.asarray(j)[..., None]).any(axis=-1)


def constraints(
    p: Pool, i: np.ndarray, j: np.ndarray, *, reporting: bool = True
) -> list[tuple[str, np.ndarray]]:
    """Person-level hard constraints for i sharing with j, in the order reasons are reported.

    ``reporting=False`` leaves the reporting-line rule out, for callers that check it on the
    few pairs every other rule allows (it compares whole chains, the costliest check)."""
    rules = [
        ("role", p.can_share[i] & p.can_learn[j] & (i != j)),
        ("topics", (p.share_bits[i] & p.learn_bits[j]).any(axis=-1)),
        ("timezone", np.abs(p.offset[i] - p.offset[j]) <= WORKDAY_MINUTES - MIN_OVERLAP_MINUTES),
        ("days", (p.days[i] & p.days[j]) != 0),
    ]
    if reporting:
        rules.append(("reporting", _line_ok(p, i, j)))
    if p.different_departments:
        same = (p.dept[i] == p.dept[j]) & p.dept_known[i]
        rules.append(("department", ~same))
    return rules


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


@dataclass
class Edges:
    """Allowed pairs (a < b) with their score units, and who lost a partner to the chain rule."""

    a: np.ndarray
    b: np.ndarray
    units: np.ndarray
    # Person k had a partner allowed by every other rule but ruled out by the reporting line.
    line_ruled_out: np.ndarray


def allowed_edges(p: Pool, w: Weights, blocked: np.ndarray) -> Edges:
    """Allowed pairs, each scored in its better direction.

    Pairs are found in vectorised blocks of sharer rows against all learners. Two "either"
    people may pair both ways round: the block of the lower index emits such a pair with the
    better score, the other block skips it. ``blocked`` holds ``a * n + b`` codes to leave out;
    pairs scoring below zero are left out too (they would only lower the total). The reporting
    line and the blocked pairs are symmetric, so both are looked up once per pair, by its code,
    in one sorted array (a few hundred thousand codes at most, against millions of pairs).
    """
    n = len(p.people)
    rows = np.flatnonzero(p.can_share)
    cols = np.flatnonzero(p.can_learn)
    forbidden = np.union1d(p.line_codes, blocked)
    is_line = np.isin(forbidden, p.line_codes)
    found = [(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64))]
    line_ruled_out = np.zeros(n, bool)
    step = max(1, _BLOCK_ENTRIES // max(1, len(cols)))
    for start in range(0, len(rows), step):
        r = rows[start : start + step]
        rules = constraints(p, r[:, None], cols[None, :], reporting=False)
        bi, bj = np.nonzero(np.logical_and.reduce([mask for _, mask in rules]))
        i, j = r[bi], cols[bj]
        a, b = np.minimum(i, j), np.maximum(i, j)
        if len(forbidden):
            at = np.minimum(np.searchsorted(forbidden, a * n + b), len(forbidden) - 1)
            hit = forbidden[at] == a * n + b
            line_hit = hit & is_line[at]
            line_ruled_out[i[line_hit]] = True
            line_ruled_out[j[line_hit]] = True
            i, j, a, b = i[~hit], j[~hit], a[~hit], b[~hit]
        units = score_units(p, i, j, w)
        two_way = np.flatnonzero(p.can_learn[i] & p.can_share[j])
        ti, tj = i[two_way], j[two_way]
        back_ok = np.logical_and.reduce([m for _, m in constraints(p, tj, ti, reporting=False)])
        units[two_way] = np.maximum(
            units[two_way], np.where(back_ok, score_units(p, tj, ti, w), -1)
        )
        keep = units >= 0
        keep[two_way[back_ok & (ti > tj)]] = False
        found.append((a[keep].astype(np.int32), b[keep].astype(np.int32), units[keep]))
    a, b, units = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return Edges(a, b, units, line_ruled_out)
