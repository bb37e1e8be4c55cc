"""Pair people for a reverse-mentoring program: optimal, deterministic and explained.

Plain domain code: it knows nothing of Slack or the database. The caller hands over the people who
signed up (paused or departed people already removed) and gets back pairs, each with its reasons,
and every person left out with a reason in plain words.

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

Objective and algorithm
-----------------------
``match`` returns a matching of maximum total score among all matchings that respect the hard
constraints; among those of maximum score it returns one with the most pairs. Scores are quantised
to 1e-4 (the precision ``Pair.score`` reports) and each pair's integer weight is
``score_units * K + 1`` with ``K`` above the largest possible number of pairs, so "more score first,
then more pairs" is one exact integer objective.

"either" people make the compatibility graph non-bipartite (an "either" person can sit on both
sides of a triangle), so this is maximum-weight matching in a general graph, where deciding the
sides of "either" people one by one (or greedily) can be wrong. It is solved exactly, with
compiled SciPy code doing the heavy lifting:

1. Relaxation. The fractional matching LP (degree constraints only) equals an assignment problem
   on the bipartite double cover of the graph (everyone once on each side, the diagonal meaning
   "single"). SciPy's sparse LAPJV solves it; exact dual potentials come from Bellman-Ford on
   the residual graph of the optimal assignment.
2. Speed. That solver is slow on dense graphs with many distinct costs, so the LP is solved on a
   sparse support: first with coarse weights (0.1 of score) on each person's best edges, adding
   each person's most violated edges until the duals hold on every edge; then with exact weights
   on the edges near tight only, while every other edge is covered by a per-person "outside
   option" taken from the coarse duals, which keeps the exact duals valid on the whole graph.
3. Warm start. The assignment's 2-cycles and halves of its even cycles become tight matched
   edges; an odd cycle (the only way the relaxation can be fractional) keeps all but one vertex
   matched. Only the few vertices left single with a positive dual violate optimality.
4. Blossom repair. Edmonds' primal-dual blossom algorithm (after Galil and van Rantwijk), started
   from these duals and this matching, grows alternating trees from the violating vertices only,
   with neighbourhood scans vectorised by numpy. A stage ends when a root is matched, its dual
   reaches zero, or the root passes its exposure along an even alternating path to a vertex
   whose dual reached zero. Integer arithmetic keeps every step exact (all roots share a parity,
   so every dual change is an integer).
5. Certificate. The loop stops only when the duals satisfy every allowed pair of the whole graph,
   every exposed vertex has zero dual, every matched edge is tight and every positive blossom
   dual sits on a full blossom: Edmonds' optimality conditions for the matching polytope. Any
   violated pair joins the support and steps 2-4 repeat.

So the result is provably optimal for the quantised scores, never a heuristic; the staging only
decides how fast it gets there. Adversarial inputs can make the support grow (and the run slow
down), never the answer change.

Determinism: people are sorted by id before anything else and every tie is broken by that order,
so the same people give the same result in any input order. Work is dominated by scoring the
O(n²) candidate pairs in vectorised row blocks and by the sparse assignments; 10,000 people take
about 3 s and under 0.5 GB (see ``bench/bench_matching.py``).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

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
MAX_REASON_CHARS = 199
_BLOCK_ENTRIES = 1 << 20  # pair entries per vectorised scoring block (bounds temporary memory)
_CHUNK = 1 << 20  # edges per pass over the full edge list
SUPPORT_DEGREE = 10  # best edges per person in the first sparse support
COARSE_UNITS = SCORE_UNITS // 10  # coarse weights resolve 0.1 of score
NEAR_LEVELS = 4  # exact weights are solved on edges this many coarse levels from tight


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


def _check(c: Candidate) -> None:
    """Reject values the scoring cannot interpret, naming the person."""
    if c.role not in ROLES:
        raise ValueError(f"{c.id}: unknown role {c.role!r}")
    if c.time_of_day not in TIME_WINDOWS:
        raise ValueError(f"{c.id}: unknown time of day {c.time_of_day!r}")
    if not c.available_days <= set(WEEKDAYS):
        raise ValueError(f"{c.id}: unknown weekdays {sorted(c.available_days - set(WEEKDAYS))}")


def _slot_utc(c: Candidate) -> tuple[int, int]:
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
) -> tuple[float, tuple[str, ...]] | None:
    """Score ``sharer`` teaching ``learner``; None when a person-level hard constraint forbids it.

    ``past_pairs`` and ``excluded_pairs`` are program-level and are applied by :func:`match`.
    """
    _check(sharer)
    _check(learner)
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
    s_start, s_end = _slot_utc(sharer)
    l_start, l_end = _slot_utc(learner)
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
    return score, _reasons(sharer, learner, forward, back, shared_days)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def _list_topics(topics: Iterable[str], limit: int = 3) -> str:
    names = sorted(topics)
    if len(names) > limit:
        names = [*names[:limit], f"{len(names) - limit} more"]
    # "hiring and interviewing, and budgeting": a comma keeps topics with "and" apart.
    last = ", and " if any(" and " in name for name in names) else " and "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + last + names[-1]


def _utc_label(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def _reasons(
    s: Candidate, ln: Candidate, forward: frozenset[str], back: frozenset[str], days: frozenset[str]
) -> tuple[str, ...]:
    """Plain-English reasons, both directions first, then department and schedule notes."""
    reasons = [f"{s.name} can share {_list_topics(forward)}, which {ln.name} wants to learn"]
    senior = ln.years_experience > s.years_experience
    if back and senior:
        reasons.append(
            f"{ln.name} brings {ln.years_experience} years of experience and can share "
            f"{_list_topics(back)}, which {s.name} asked about"
        )
    elif back:
        reasons.append(f"{ln.name} can share {_list_topics(back)}, which {s.name} asked about")
    elif senior:
        reasons.append(
            f"{ln.name} brings {ln.years_experience} years of experience to share strategic "
            f"perspective with {s.name}"
        )
    if s.department != ln.department:
        reasons.append(
            f"Different departments ({s.department} and {ln.department}) widen both views"
        )
    day_list = ", ".join(d.capitalize() for d in WEEKDAYS if d in days)
    gap = abs(s.utc_offset_minutes - ln.utc_offset_minutes)
    if gap:
        hours = f"{(WORKDAY_MINUTES - gap) / 60:g}"
        reasons.append(
            f"{hours} shared working hours across time zones ({_utc_label(s.utc_offset_minutes)} "
            f"and {_utc_label(ln.utc_offset_minutes)}); both free on {day_list}"
        )
    else:
        reasons.append(f"Same time zone; both free on {day_list}")
    return tuple(_clip(r) for r in reasons)


# --------------------------------------------------------------------------------------------
# Vectorised scoring over all pairs.
# --------------------------------------------------------------------------------------------


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per uint64 element (SWAR; works on every numpy version)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


class _Pool:
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
        slots = np.array([_slot_utc(c) for c in people], np.int32).reshape(n, 2)
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


def _constraints(p: _Pool, i: np.ndarray, j: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Person-level hard constraints for i sharing with j, in the order reasons are reported."""
    return [
        ("role", p.can_share[i] & p.can_learn[j] & (i != j)),
        ("topics", (p.share_bits[i] & p.learn_bits[j]).any(axis=-1)),
        ("timezone", np.abs(p.offset[i] - p.offset[j]) <= WORKDAY_MINUTES - MIN_OVERLAP_MINUTES),
        ("days", (p.days[i] & p.days[j]) != 0),
        ("reporting", (p.manager[i] != j) & (p.manager[j] != i)),
    ]


def _scores(p: _Pool, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
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


def _allowed(p: _Pool, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.logical_and.reduce([mask for _, mask in _constraints(p, i, j)])


def _units(p: _Pool, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
    return np.rint(_scores(p, i, j, w) * SCORE_UNITS).astype(np.int64)


def _edges(p: _Pool, w: Weights, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        bi, bj = np.nonzero(_allowed(p, r[:, None], cols[None, :]))
        i, j = r[bi], cols[bj]
        units = _units(p, i, j, w)
        two_way = np.flatnonzero(p.can_learn[i] & p.can_share[j])
        ti, tj = i[two_way], j[two_way]
        back_ok = _allowed(p, tj, ti)
        units[two_way] = np.maximum(units[two_way], np.where(back_ok, _units(p, tj, ti, w), -1))
        keep = units >= 0
        keep[two_way[back_ok & (ti > tj)]] = False
        a, b = np.minimum(i, j), np.maximum(i, j)
        keep &= ~np.isin(a * n + b, blocked)
        found.append((a[keep].astype(np.int32), b[keep].astype(np.int32), units[keep]))
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]


def _chunks(size: int) -> Iterator[slice]:
    """Slices for passes over all edges: small temporaries are reused instead of page-faulted."""
    for start in range(0, size, _CHUNK):
        yield slice(start, start + _CHUNK)


# --------------------------------------------------------------------------------------------
# Exact maximum-weight matching: LP warm start, then Edmonds' blossom repair.
# --------------------------------------------------------------------------------------------


def _lp_warm_start(graph: sparse.csr_matrix, outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal fractional matching via the double cover; returns (mate, duals as 4·y).

    ``outside[v]`` is what staying single is worth to v, so every dual ends at least that high.
    The duals are integers in the blossom convention (4·y against blossom weights 2·W): tightness
    stays exact.
    """
    n = graph.shape[0]
    big = max(int(graph.data.max(initial=0)), 2 * int(outside.max(initial=0))) + 1
    cost = sparse.csr_matrix(
        (big - graph.data.astype(np.float64), graph.indices, graph.indptr), shape=graph.shape
    )
    cost = (cost + sparse.diags((big - 2 * outside).astype(np.float64), format="csr")).tocsr()
    cost.sort_indices()
    rows, cols = min_weight_full_bipartite_matching(cost)
    assign = np.empty(n, np.int64)
    assign[rows] = cols
    # Column potentials b: shortest paths in the residual graph (arc assign[i] -> j of length
    # c_ij - c_i,assign[i]); no negative cycle exists because the assignment is optimal.
    row_of = np.repeat(np.arange(n), np.diff(cost.indptr))
    matched_cost = cost.data[cost.indices == assign[row_of]]
    by_col = cost.tocsc()
    by_col.sort_indices()
    src = assign[by_col.indices]
    length = by_col.data - matched_cost[by_col.indices]
    dist = np.zeros(n)
    for _ in range(n + 1):
        relaxed = np.minimum(dist, np.minimum.reduceat(dist[src] + length, by_col.indptr[:-1]))
        if np.array_equal(relaxed, dist):
            break
        dist = relaxed
    else:  # pragma: no cover - would mean the assignment solver returned a non-optimum
        raise RuntimeError("assignment duals did not converge")
    row_pot = matched_cost - dist[assign]
    dual = (2 * (big - row_pot - dist)).astype(np.int64)
    mate = np.full(n, -1, np.int64)
    seen = np.zeros(n, bool)
    for start in range(n):
        if seen[start]:
            continue
        cycle = [start]
        seen[start] = True
        while (nxt := int(assign[cycle[-1]])) != start:
            cycle.append(nxt)
            seen[nxt] = True
        # Pairs along the cycle; an odd cycle leaves its first vertex exposed.
        for a, b in zip(cycle[len(cycle) % 2 :: 2], cycle[len(cycle) % 2 + 1 :: 2], strict=True):
            mate[a], mate[b] = b, a
    return mate, dual


class _Blossom:
    """Edmonds' primal-dual weighted matching on a sparse graph, warm-started.

    Structure follows van Rantwijk's implementation (as in networkx): blossom ids ``n..2n-1``,
    ``label`` 1 = S and 2 = T for top-level blossoms (and "reached" marks for vertices inside
    T-blossoms), ``dual`` holds 2·(vertex dual) against the weights given here. Differences: the
    stage roots are only the exposed vertices with a positive dual (their duals differ, so a
    delta-1 event either zeroes a root or flips an even path to the S-vertex that reached zero);
    slack bookkeeping is vectorised per scanned vertex; S-S edges sit in a lazily pruned heap.
    """

    def __init__(
        self, graph: sparse.csr_matrix, weights: np.ndarray, mate: np.ndarray, dual: np.ndarray
    ) -> None:
        n = graph.shape[0]
        self.n = n
        self.indptr, self.indices, self.weights = graph.indptr, graph.indices, weights
        self.mate, self.dual = mate, dual
        self.inblossom = np.arange(n)
        self.label = np.zeros(2 * n, np.int8)
        self.label_from = [-1] * (2 * n)
        self.label_to = [-1] * (2 * n)
        self.parent = [-1] * (2 * n)
        self.base = list(range(n)) + [-1] * n
        self.childs: list[list[int]] = [[] for _ in range(2 * n)]
        self.edges: list[list[tuple[int, int]]] = [[] for _ in range(2 * n)]
        self.blossom_dual = [0] * (2 * n)
        self.unused = list(range(2 * n - 1, n - 1, -1))
        self.top_blossoms: set[int] = set()  # non-trivial top-level blossoms
        self.best_from = np.full(n, -1, np.int64)  # least-slack edge from an S-vertex
        self.best_weight = np.zeros(n, np.int64)
        self.queue: list[int] = []

    def solve(self) -> np.ndarray:
        while True:
            roots = np.flatnonzero((self.mate < 0) & (self.dual > 0))
            if not len(roots):
                return self.mate
            self._stage(roots)

    def violated(
        self, a: np.ndarray, b: np.ndarray, units: np.ndarray, per_pair: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Edges a-b (weights ``units * per_pair + 1``) whose dual constraint fails, and by how
        much, counting the duals of blossoms that hold both ends."""
        idx, short = _violations(self.dual, a, b, (units, 1, per_pair))
        for pos in np.flatnonzero(self.inblossom[a[idx]] == self.inblossom[b[idx]]).tolist():
            k = idx[pos]
            shared = set(self._ancestors(a[k])) & set(self._ancestors(b[k]))
            short[pos] -= 2 * sum(self.blossom_dual[x] for x in shared)
        return idx[short > 0], short[short > 0]

    def _ancestors(self, v: int) -> list[int]:
        chain = []
        while self.parent[v] >= 0:
            v = self.parent[v]
            chain.append(v)
        return chain

    # -- a stage: grow trees until one root is resolved ------------------------------------

    def _stage(self, roots: np.ndarray) -> None:
        self.label[:] = 0
        self.label_from = [-1] * (2 * self.n)
        self.label_to = [-1] * (2 * self.n)
        self.best_from[:] = -1
        self.ss_heap: list[tuple[int, int]] = []
        self.ss_lists: list[tuple[int, np.ndarray, np.ndarray, list[int]]] = []
        self.shift = 0  # sum of deltas this stage; S-S heap keys are slack + 2 * shift
        self.queue = []
        for r in roots:
            if self.label[self.inblossom[r]] == 0:
                self._assign_label(int(r), 1, -1)
        while not self._grow():
            vlabel = self.label[self.inblossom]
            delta, kind, arg = self._delta(vlabel)
            self.dual[vlabel == 1] -= delta
            self.dual[vlabel == 2] += delta
            for b in self.top_blossoms:
                if self.label[b] == 1:
                    self.blossom_dual[b] += delta
                elif self.label[b] == 2:
                    self.blossom_dual[b] -= delta
            self.shift += delta
            if kind == 1:
                self._flip(arg)
                break
            if kind == 4:
                self._expand(arg, endstage=False)
            elif self._tight(*arg):
                break
        for b in sorted(self.top_blossoms):
            if b in self.top_blossoms and self.label[b] == 1 and self.blossom_dual[b] == 0:
                self._expand(b, endstage=True)

    def _grow(self) -> bool:
        """Scan queued S-vertices; True once the matching changed."""
        while self.queue:
            if self._scan(self.queue.pop()):
                return True
        return False

    def _delta(self, vlabel: np.ndarray) -> tuple[int, int, object]:
        s_vertices = np.flatnonzero(vlabel == 1)
        k = int(np.argmin(self.dual[s_vertices]))
        best: tuple[int, int, object] = (int(self.dual[s_vertices[k]]), 1, int(s_vertices[k]))
        free = np.flatnonzero((vlabel == 0) & (self.best_from >= 0))
        if len(free):
            frm = self.best_from[free]
            slack = self.dual[frm] + self.dual[free] - 2 * self.best_weight[free]
            k = int(np.argmin(slack))
            if slack[k] < best[0]:
                best = (int(slack[k]), 2, (int(frm[k]), int(free[k])))
        edge = self._least_ss_edge()
        if edge is not None and edge[0] < best[0]:
            best = (edge[0], 3, edge[1])
        for b in sorted(self.top_blossoms):
            if self.label[b] == 2 and self.blossom_dual[b] < best[0]:
                best = (self.blossom_dual[b], 4, b)
        return best

    def _least_ss_edge(self) -> tuple[int, tuple[int, int]] | None:
        """Half the slack of the tightest edge between two different S-blossoms (delta 3)."""
        heap = self.ss_heap
        while heap:
            key, k = heap[0]
            v, ws, keys, pos = self.ss_lists[k]
            w = int(ws[pos[0]])
            if self.inblossom[v] != self.inblossom[w]:
                slack = key - 2 * self.shift
                return slack // 2, (v, w)
            pos[0] += 1
            if pos[0] < len(ws):
                heapq.heapreplace(heap, (int(keys[pos[0]]), k))
            else:
                heapq.heappop(heap)
        return None

    def _scan(self, v: int) -> bool:
        lo, hi = self.indptr[v], self.indptr[v + 1]
        nb, wt = self.indices[lo:hi], self.weights[lo:hi]
        bnb = self.inblossom[nb]
        outside = bnb != self.inblossom[v]
        nb, wt, bnb = nb[outside], wt[outside], bnb[outside]
        slack = self.dual[v] + self.dual[nb] - 2 * wt
        lab = self.label[bnb]
        tight = slack == 0
        to_s = (lab == 1) & ~tight
        if to_s.any():
            order = np.argsort(slack[to_s], kind="stable")
            keys = slack[to_s][order] + 2 * self.shift
            self.ss_lists.append((v, nb[to_s][order], keys, [0]))
            heapq.heappush(self.ss_heap, (int(keys[0]), len(self.ss_lists) - 1))
        other = (lab != 1) & ~tight
        targets, cand = nb[other], slack[other]
        frm = self.best_from[targets]
        current = self.dual[frm] + self.dual[targets] - 2 * self.best_weight[targets]
        better = (frm < 0) | (cand < current)
        self.best_from[targets[better]] = v
        self.best_weight[targets[better]] = wt[other][better]
        return any(self._tight(v, int(w)) for w in nb[tight])

    def _tight(self, v: int, w: int) -> bool:
        """Use tight edge v-w from S-vertex v; True when the matching changed."""
        bv, bw = self.inblossom[v], self.inblossom[w]
        if bv == bw:
            return False
        if self.label[bw] == 0:
            if self.mate[self.base[bw]] < 0:  # exposed vertex with zero dual: augment to it
                self._augment_side(v, w)
                if bw >= self.n:
                    self._augment_blossom(bw, w)
                self.mate[w] = v
                return True
            self._assign_label(w, 2, v)
        elif self.label[bw] == 1:
            base = self._scan_blossom(v, w)
            if base < 0:
                self._augment_side(v, w)
                self._augment_side(w, v)
                return True
            self._add_blossom(base, v, w)
        elif self.label[w] == 0:
            self.label[w] = 2
            self.label_from[w], self.label_to[w] = v, w
        return False

    # -- labels and blossoms ---------------------------------------------------------------

    def _leaves(self, b: int) -> list[int]:
        if b < self.n:
            return [b]
        out, stack = [], [b]
        while stack:
            t = stack.pop()
            if t < self.n:
                out.append(t)
            else:
                stack.extend(self.childs[t])
        return out

    def _assign_label(self, w: int, t: int, v: int) -> None:
        b = int(self.inblossom[w])
        self.label[w] = self.label[b] = t
        self.label_from[w] = self.label_from[b] = v
        self.label_to[w] = self.label_to[b] = w if v >= 0 else -1
        if t == 1:
            self.queue.extend(self._leaves(b))
        else:
            base = self.base[b]
            self._assign_label(int(self.mate[base]), 1, base)

    def _scan_blossom(self, v: int, w: int) -> int:
        """Trace back from v and w; the base of a new blossom, or -1 for an augmenting path."""
        path, base = [], -1
        while v >= 0:
            b = int(self.inblossom[v])
            if self.label[b] & 4:
                base = self.base[b]
                break
            path.append(b)
            self.label[b] = 5
            if self.label_from[b] < 0:
                v = -1
            else:
                v = self.label_from[self.inblossom[self.label_from[b]]]
            if w >= 0:
                v, w = w, v
        for b in path:
            self.label[b] = 1
        return base

    def _add_blossom(self, base: int, v: int, w: int) -> None:
        bb, bv, bw = (int(self.inblossom[x]) for x in (base, v, w))
        b = self.unused.pop()
        self.base[b], self.parent[b], self.parent[bb] = base, -1, b
        path, edges = [], [(v, w)]
        while bv != bb:
            self.parent[bv] = b
            path.append(bv)
            edges.append((self.label_from[bv], self.label_to[bv]))
            bv = int(self.inblossom[self.label_from[bv]])
        path.append(bb)
        path.reverse()
        edges.reverse()
        while bw != bb:
            self.parent[bw] = b
            path.append(bw)
            edges.append((self.label_to[bw], self.label_from[bw]))
            bw = int(self.inblossom[self.label_from[bw]])
        self.childs[b], self.edges[b] = path, edges
        self.label[b] = 1
        self.label_from[b], self.label_to[b] = self.label_from[bb], self.label_to[bb]
        self.blossom_dual[b] = 0
        leaves = np.array(self._leaves(b))
        self.queue.extend(leaves[self.label[self.inblossom[leaves]] == 2].tolist())
        self.inblossom[leaves] = b
        self.top_blossoms.difference_update(path)
        self.top_blossoms.add(b)

    def _expand(self, b: int, endstage: bool) -> None:
        stack = [self._expand_steps(b, endstage)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self._expand_steps(nested, endstage))

    def _expand_steps(self, b: int, endstage: bool) -> Iterator[int]:
        self.top_blossoms.discard(b)
        for s in self.childs[b]:
            self.parent[s] = -1
            if s < self.n:
                self.inblossom[s] = s
            elif endstage and self.blossom_dual[s] == 0:
                yield s
            else:
                self.inblossom[self._leaves(s)] = s
                self.top_blossoms.add(s)
        if not endstage and self.label[b] == 2:
            self._relabel_expanded_t(b)
        self.label[b] = 0
        self.label_from[b] = self.label_to[b] = -1
        self.childs[b], self.edges[b] = [], []
        self.base[b] = -1
        self.unused.append(b)

    def _relabel_expanded_t(self, b: int) -> None:
        """Relabel the children of an expanded T-blossom along the path to its base."""
        childs, edges = self.childs[b], self.edges[b]
        entry = int(self.inblossom[self.label_to[b]])
        j = childs.index(entry)
        if j & 1:
            j -= len(childs)
            step = 1
        else:
            step = -1
        v, w = self.label_from[b], self.label_to[b]
        while j != 0:
            q = edges[j][1] if step == 1 else edges[j - 1][0]
            self.label[w] = self.label[q] = 0
            self._assign_label(w, 2, v)
            j += step
            v, w = edges[j] if step == 1 else edges[j - 1][::-1]
            j += step
        bw = childs[j]
        self.label[w] = self.label[bw] = 2
        self.label_from[w] = self.label_from[bw] = v
        self.label_to[w] = self.label_to[bw] = w
        j += step
        while childs[j] != entry:
            bv = childs[j]
            j += step
            if self.label[bv] == 1:
                continue
            reached = [x for x in self._leaves(bv) if self.label[x]]
            if reached:
                x = reached[0]
                self.label[x] = 0
                self.label[self.mate[self.base[bv]]] = 0
                self._assign_label(x, 2, self.label_from[x])

    # -- changing the matching -------------------------------------------------------------

    def _augment_blossom(self, b: int, v: int) -> None:
        stack = [self._augment_steps(b, v)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self._augment_steps(*nested))

    def _augment_steps(self, b: int, v: int) -> Iterator[tuple[int, int]]:
        """Swap matched and unmatched edges inside b so that v becomes its base."""
        t = v
        while self.parent[t] != b:
            t = self.parent[t]
        if t >= self.n:
            yield t, v
        childs, edges = self.childs[b], self.edges[b]
        i = j = childs.index(t)
        if i & 1:
            j -= len(childs)
            step = 1
        else:
            step = -1
        while j != 0:
            j += step
            w, x = edges[j] if step == 1 else edges[j - 1][::-1]
            if childs[j] >= self.n:
                yield childs[j], w
            j += step
            if childs[j] >= self.n:
                yield childs[j], x
            self.mate[w], self.mate[x] = x, w
        self.childs[b] = childs[i:] + childs[:i]
        self.edges[b] = edges[i:] + edges[:i]
        self.base[b] = self.base[self.childs[b][0]]

    def _augment_side(self, s: int, j: int) -> None:
        """Match S-vertex s to j and flip the alternating path from s back to its root."""
        while True:
            bs = int(self.inblossom[s])
            if bs >= self.n:
                self._augment_blossom(bs, s)
            self.mate[s] = j
            if self.label_from[bs] < 0:
                return
            bt = int(self.inblossom[self.label_from[bs]])
            s, j = self.label_from[bt], self.label_to[bt]
            if bt >= self.n:
                self._augment_blossom(bt, j)
            self.mate[j] = s

    def _flip(self, s: int) -> None:
        """S-vertex s reached zero dual: expose it and match its root along the tree path."""
        bs = int(self.inblossom[s])
        if bs >= self.n:
            self._augment_blossom(bs, s)
        self.mate[s] = -1
        if self.label_from[bs] < 0:
            return
        bt = int(self.inblossom[self.label_from[bs]])
        s2, j = self.label_from[bt], self.label_to[bt]
        if bt >= self.n:
            self._augment_blossom(bt, j)
        self.mate[j] = s2
        self._augment_side(s2, j)


def _support_graph(n: int, a: np.ndarray, b: np.ndarray, data: np.ndarray) -> sparse.csr_matrix:
    """Symmetric CSR graph (sorted indices) of the undirected edges a-b."""
    graph = sparse.csr_matrix(
        (np.concatenate([data, data]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n, n),
    )
    graph.sort_indices()
    return graph


def _initial_support(n: int, a: np.ndarray, b: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """About SUPPORT_DEGREE of the best edges of every person, from a 64-bucket histogram.

    Edges in a person's threshold bucket are sampled by a fixed hash of the pair, so that a pool
    of near-identical people does not drag every tied edge into the support.
    """
    top = int(coarse.max()) + 1
    counts = np.zeros(n * 64, np.int64)
    for sl in _chunks(len(a)):
        bucket = coarse[sl] * 64 // top
        counts += np.bincount(a[sl] * 64 + bucket, minlength=n * 64)
        counts += np.bincount(b[sl] * 64 + bucket, minlength=n * 64)
    counts = counts.reshape(n, 64)
    at_least = np.zeros((n, 65), np.int64)  # at_least[v, k]: v's edges in bucket k or above
    at_least[:, :64] = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    threshold = np.maximum((at_least >= SUPPORT_DEGREE).sum(axis=1) - 1, 0)
    rows = np.arange(n)
    at = counts[rows, threshold]
    need = SUPPORT_DEGREE - at_least[rows, threshold + 1]
    support = np.empty(len(a), bool)
    for sl in _chunks(len(a)):
        bucket = coarse[sl] * 64 // top
        sample = (a[sl].astype(np.int64) * 40503 + b[sl] * 9973) % 4093
        keep = np.zeros(len(bucket), bool)
        for end in (a[sl], b[sl]):
            keep |= (bucket > threshold[end]) | (
                (bucket == threshold[end]) & (sample * at[end] < need[end] * 4093)
            )
        support[sl] = keep
    return support


def _violations(
    dual: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    weigh: tuple[np.ndarray, int, int],
    margin: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose dual constraint fails by more than ``-margin``, and by how much plus margin.

    ``weigh`` is ``(units, div, mul)``: edge weights are ``units // div * mul + 1``; amounts
    are in dual units (4·y), so an edge is violated when its amount exceeds the margin.
    """
    units, div, mul = weigh
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64))]
    for sl in _chunks(len(a)):
        short = 4 * (units[sl] // div * mul + 1) + margin - dual[a[sl]] - dual[b[sl]]
        k = np.flatnonzero(short > 0)
        found.append((k + sl.start, short[k]))
    idx, short = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return idx, short


def _grow(
    support: np.ndarray, n: int, a: np.ndarray, b: np.ndarray, idx: np.ndarray, short: np.ndarray
) -> None:
    """Add each person's most violated edges: a bounded number per round, not all of them.

    The single most violated edge always joins, so every round makes progress.
    """
    fresh = ~support[idx]
    idx, short = idx[fresh], short[fresh]
    support[idx[_initial_support(n, a[idx], b[idx], short)]] = True
    support[idx[np.argmax(short)]] = True


def _lp_rounds(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    weigh: tuple[np.ndarray, int, int],
    support: np.ndarray,
    outside: np.ndarray,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """LP on the support, grown until its duals hold on every edge a-b: graph, mate, duals."""
    units, div, mul = weigh
    while True:
        graph = _support_graph(n, a[support], b[support], units[support] // div * mul + 1)
        mate, dual = _lp_warm_start(graph, outside)
        # Edges within one weight level of violation are candidates too: fewer rounds.
        idx, short = _violations(dual, a, b, weigh, 4 * mul)
        if not (short > 4 * mul).any():
            return graph, mate, dual
        _grow(support, n, a, b, idx, short)


def _max_weight_matching(
    n: int, a: np.ndarray, b: np.ndarray, units: np.ndarray, per_pair: int
) -> np.ndarray:
    """Exact maximum-weight matching of the edges a-b weighted ``units * per_pair + 1``.

    The assignment solver is fast on a sparse graph with few distinct costs and slow otherwise,
    so the work is staged, and optimality is certified on every edge at the end:

    1. Coarse weights (``units // COARSE_UNITS + 1``: same order, far fewer levels): the LP on a
       support of each person's best edges, grown by each person's most violated edges until
       its duals hold on the whole graph.
    2. Exact weights on the edges within NEAR_LEVELS coarse levels of tight (those of the
       coarse support and each person's best others), grown the same way. Edges further from
       tight are covered by a per-person outside option derived from the coarse duals (staying
       single is worth that much in this LP), so they never need to join.
    3. Blossom repair on that graph; any edge of the whole graph its duals then violate joins
       the support and steps 2-3 repeat, so the loop ends with a certificate on every edge.
    """
    coarse = units // COARSE_UNITS + 1
    support = _initial_support(n, a, b, coarse)
    _, _, dual = _lp_rounds(n, a, b, (units, COARSE_UNITS, 1), support, np.zeros(n, np.int64))
    near = np.empty(len(a), bool)
    for sl in _chunks(len(a)):
        near[sl] = dual[a[sl]] + dual[b[sl]] - 4 * coarse[sl] <= 4 * NEAR_LEVELS
    support &= near
    near = np.flatnonzero(near)
    support[near[_initial_support(n, a[near], b[near], units[near] + 1)]] = True
    # weight <= scale * coarse on every edge, so the scaled coarse duals bound every weight.
    scale = COARSE_UNITS * per_pair
    outside = np.maximum(0, -((2 * scale * NEAR_LEVELS - scale * dual) // 4))
    while True:
        graph, mate, dual = _lp_rounds(n, a, b, (units, 1, per_pair), support, outside)
        blossom = _Blossom(graph, 2 * graph.data, mate, dual)
        mate = blossom.solve()
        idx, short = blossom.violated(a, b, units, per_pair)
        if not len(idx):
            return mate
        _grow(support, n, a, b, idx, short)


# --------------------------------------------------------------------------------------------
# Why someone was left out.
# --------------------------------------------------------------------------------------------


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


class _Explainer:
    """Finds, for each person left out, the most specific reason that can be shown to them."""

    def __init__(
        self, pool: _Pool, blocked: dict[str, set[tuple[int, int]]], degree: np.ndarray
    ) -> None:
        self.pool, self.degree = pool, degree
        self.blocked: dict[str, dict[int, list[int]]] = {}
        for name, pairs in blocked.items():
            partners = self.blocked[name] = {}
            for a, b in sorted(pairs):
                partners.setdefault(a, []).append(b)
        self.only_share, self.only_learn, self.either = (
            int((pool.role == ROLES.index(r)).sum()) for r in ROLES
        )

    def reason(self, k: int, unmatched_count: int) -> str:
        if self.degree[k]:
            return self._lost_out(k, unmatched_count)
        return self._no_partner(k)

    def _lost_out(self, k: int, unmatched_count: int) -> str:
        role = ROLES[self.pool.role[k]]
        share, learn, either = self.only_share, self.only_learn, self.either
        if role == "share" and share > learn + either:
            return (
                f"there are {_people(share)} who can share and only {learn + either} who want to "
                "learn, so not everyone can be paired"
            )
        if role == "learn" and learn > share + either:
            return (
                f"there are {_people(learn)} who want to learn and only {share + either} who can "
                "share, so not everyone can be paired"
            )
        if role == "share" and share > learn:
            return (
                f"more people signed up to share ({share}) than to learn ({learn}, plus {either} "
                "who chose either), so some sharers could not be paired this round"
            )
        if role == "learn" and learn > share:
            return (
                f"more people signed up to learn ({learn}) than to share ({share}, plus {either} "
                "who chose either), so some learners could not be paired this round"
            )
        if unmatched_count == 1 and len(self.pool.people) % 2:
            return "odd number of people: everyone else could be paired, so one person sits out"
        return (
            "everyone who could pair with you was paired with someone else, which gave the best "
            "set of pairs overall"
        )

    def _no_partner(self, k: int) -> str:
        p, n = self.pool, len(self.pool.people)
        others = np.arange(n)
        me = np.full(n, k)
        stages = [
            _constraints(p, me, others),  # k shares
            _constraints(p, others, me),  # k learns
        ]
        names = [name for name, _ in stages[0]]
        alive = [np.ones(n, bool), np.ones(n, bool)]
        for step, name in enumerate(names):
            for side in (0, 1):
                alive[side] &= stages[side][step][1]
            if not (alive[0] | alive[1]).any():
                return self._constraint_reason(k, name)
        alive_any = alive[0] | alive[1]
        for name in ("past", "excluded"):
            alive_any[self.blocked[name].get(k, [])] = False
            if not alive_any.any():
                return self._constraint_reason(k, name)
        return "every possible partner scores below zero with the current matching weights"

    def _constraint_reason(self, k: int, name: str) -> str:
        c = self.pool.people[k]
        if name == "role":
            if c.role == "share":
                return "nobody in this round wants to learn, so there is no one to pair you with"
            if c.role == "learn":
                return "nobody in this round can share, so there is no one to pair you with"
            return "you are the only person in this round"
        if name == "topics":
            wants = {
                "learn": ("can teach what you want to learn", c.learn_topics),
                "share": ("wants to learn what you can share", c.share_topics),
            }
            if c.role in wants:
                phrase, topics = wants[c.role]
                if not topics:
                    return f"you did not pick any topics to {c.role}"
                return f"no one in this round {phrase} ({_list_topics(topics)})"
            return "no one in this round can teach what you want to learn or learn what you share"
        return {
            "timezone": "everyone whose topics fit yours works more than 6 hours away from your "
            "time zone, leaving less than 2 shared working hours",
            "days": "no one whose topics and working hours fit yours is free on the same days "
            "as you",
            "reporting": "no compatible partner outside your reporting line",
            "past": "everyone compatible was already paired with you in an earlier program",
            "excluded": "HR excluded your remaining compatible partners from this proposal",
        }[name]


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
    p: _Pool, x: np.ndarray, y: np.ndarray, w: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sharer, learner and score units of each chosen pair, in its better direction.

    On a tie the less experienced person shares (then the one earlier by id), the natural
    direction of reverse mentoring.
    """
    forward, backward = (
        np.where(_allowed(p, s, ln), _units(p, s, ln, w), -1) for s, ln in ((x, y), (y, x))
    )
    swap = (backward > forward) | ((backward == forward) & (p.years[y] < p.years[x]))
    return np.where(swap, y, x), np.where(swap, x, y), np.maximum(forward, backward)


def match(
    candidates: Sequence[Candidate],
    *,
    past_pairs: Iterable[frozenset[str]] = (),
    excluded_pairs: Iterable[frozenset[str]] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> MatchResult:
    """Maximum-score pairing of ``candidates`` under the hard constraints; see module docstring.

    ``past_pairs`` and ``excluded_pairs`` are sets of two ids; others (ids not in the pool, or a
    single id) are ignored. Every candidate ends up in exactly one pair or in ``unmatched``.
    Raises ValueError for duplicate ids or a role, time of day or weekday it does not know.
    """
    people = sorted(candidates, key=lambda c: c.id)
    for a, b in itertools.pairwise(people):
        if a.id == b.id:
            raise ValueError(f"duplicate candidate id {a.id}")
    for c in people:
        _check(c)
    n = len(people)
    pool = _Pool(people)
    index = {c.id: k for k, c in enumerate(people)}
    blocked_pairs = {
        "past": _pair_indices(past_pairs, index),
        "excluded": _pair_indices(excluded_pairs, index),
    }

    blocked = sorted({x * n + y for pairs in blocked_pairs.values() for x, y in pairs if x < y})
    a, b, units = _edges(pool, weights, np.array(blocked, np.int64))
    per_pair = n // 2 + 1  # tie-break unit: more pairs only among equal total scores
    mate = np.full(n, -1, np.int64)
    if len(units):
        if (int(units.max()) * per_pair + 1) * n > 2**50:
            raise ValueError("weights too large for exact matching; scale the Weights down")
        mate = _max_weight_matching(n, a, b, units, per_pair)

    first = np.flatnonzero(mate > np.arange(n))
    sharers, learners, pair_units = _orient(pool, first, mate[first], weights)
    pairs = []
    for s, ln, u in zip(sharers.tolist(), learners.tolist(), pair_units.tolist(), strict=True):
        scored = score_pair(people[s], people[ln], weights)
        assert scored is not None  # only allowed pairs reach the solver
        pairs.append(Pair(people[s].id, people[ln].id, u / SCORE_UNITS, scored[1]))
    pairs.sort(key=lambda p: p.sharer_id)

    left_out = np.flatnonzero(mate < 0).tolist()
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    explainer = _Explainer(pool, blocked_pairs, degree)
    unmatched = [Unmatched(people[k].id, explainer.reason(k, len(left_out))) for k in left_out]
    return MatchResult(tuple(pairs), tuple(unmatched), int(pair_units.sum()) / SCORE_UNITS)
