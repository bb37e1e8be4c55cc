"""Tests of bot.matching: constraints, totality, determinism, exact optimality, explanations."""

from __future__ import annotations

import itertools
import random
from unittest.mock import patch

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import DEFAULT_WEIGHTS, Candidate, MatchResult, Weights, match, score_pair, solver
from bot.matching.explain import pair_reasons
from bot.matching.scoring import (
    SCORE_UNITS,
    Pool,
    allowed_edges,
    allowed_mask,
    pair_scores,
)
from bot.matching.solver import Blossom, max_weight_matching
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, TimeOfDay

TOPICS = ["generative AI tools", "TikTok and short video", "data visualisation",
          "strategic planning", "budgeting"]  # fmt: skip
NAMES = ["Priya", "Tom", "Ana", "Wei", "Sam", "Olu", "Kai", "Lea",
         "Maximilian-Alexander von Habsburg-Lothringen the Younger of Very Long Names"]  # fmt: skip
FAST = settings(deadline=None, max_examples=120)


def person(uid: str, role: str = "either", **fields: object) -> Candidate:
    base: dict = dict(
        id=uid, name=uid, role=role, experience="3-5", department="Eng",
        utc_offset_minutes=0, share_topics=frozenset(), learn_topics=frozenset(),
        available_days=frozenset(WORKDAYS), time_of_day="any",
    )  # fmt: skip
    base.update(fields)
    return Candidate(**base)


@st.composite
def pools(draw: st.DrawFn, max_size: int = 8) -> tuple[list[Candidate], list, list]:
    """Small pools with every role, time zones some pairs cannot bridge, and program history."""
    n = draw(st.integers(0, max_size))
    ids = [f"U{k:02d}" for k in draw(st.permutations(range(20)))[:n]]
    people = [
        Candidate(
            id=uid,
            name=draw(st.sampled_from(NAMES)),
            role=draw(st.sampled_from(Role)),
            experience=draw(st.sampled_from(ExperienceBand)),
            department=draw(st.sampled_from(["Eng", "Sales", "Finance"])),
            reporting_line=draw(st.frozensets(st.sampled_from(ids), max_size=3)),
            utc_offset_minutes=draw(st.sampled_from([-300, 0, 60, 330, 540])),
            share_topics=draw(st.frozensets(st.sampled_from(TOPICS), max_size=3)),
            learn_topics=draw(st.frozensets(st.sampled_from(TOPICS), max_size=3)),
            available_days=draw(st.frozensets(st.sampled_from(WORKDAYS), max_size=5)),
            time_of_day=draw(st.sampled_from(TimeOfDay)),
        )
        for uid in ids
    ]
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).map(frozenset)
    past = draw(st.lists(pair, max_size=3)) if ids else []
    excluded = draw(st.lists(pair, max_size=2)) if ids else []
    return people, past, excluded


def pair_units(
    s: Candidate, ln: Candidate, blocked: set[frozenset[str]], w: Weights, distinct: bool = False
) -> int:
    """Best-direction score units of a pair as score_pair sees it; -1 when not allowed."""
    if frozenset((s.id, ln.id)) in blocked:
        return -1
    best = -1
    for x, y in ((s, ln), (ln, s)):
        scored = score_pair(x, y, w, different_departments=distinct)
        if scored is not None:
            best = max(best, round(scored * SCORE_UNITS))
    return best


def brute_force(people: list[Candidate], blocked: set, distinct: bool) -> tuple:
    """(total units, pairs) of the best matching by enumerating every matching."""
    units = {
        (a.id, b.id): pair_units(a, b, blocked, DEFAULT_WEIGHTS, distinct)
        for a, b in itertools.combinations(people, 2)
    }

    def best(rest: tuple[Candidate, ...]) -> tuple[int, int]:
        if len(rest) < 2:
            return 0, 0
        first, others = rest[0], rest[1:]
        result = best(others)
        for k, other in enumerate(others):
            u = units.get((first.id, other.id), units.get((other.id, first.id), -1))
            if u >= 0:
                total, count = best(others[:k] + others[k + 1 :])
                result = max(result, (total + u, count + 1))
        return result

    return best(tuple(people))


def check_result(
    people: list[Candidate], past: list, excluded: list, result: MatchResult, distinct: bool
) -> None:
    by_id = {c.id: c for c in people}
    seen = [p.sharer_id for p in result.pairs] + [p.learner_id for p in result.pairs]
    seen += [u.id for u in result.unmatched]
    assert sorted(seen) == sorted(by_id), "everyone appears exactly once"
    blocked = set(past) | set(excluded)
    for p in result.pairs:
        sharer, learner = by_id[p.sharer_id], by_id[p.learner_id]
        assert frozenset((p.sharer_id, p.learner_id)) not in blocked
        assert sharer.role != "learn" and learner.role != "share"
        assert sharer.id not in learner.reporting_line and learner.id not in sharer.reporting_line
        if distinct:
            assert not sharer.department or sharer.department != learner.department
        scored = score_pair(sharer, learner, different_departments=distinct)
        assert scored is not None
        assert p.score == pytest.approx(scored, abs=1e-4)
        assert p.reasons == pair_reasons(sharer, learner)
        assert 1 <= len(p.reasons) <= 4 and all(len(r) < 200 for r in p.reasons)
        taught = sharer.share_topics & learner.learn_topics
        assert any(t in p.reasons[0] for t in taught), p.reasons[0]
    for u in result.unmatched:
        assert u.reason and len(u.reason) < 200
    assert result.total_score == pytest.approx(sum(p.score for p in result.pairs), abs=1e-6)


@pytest.mark.slow  # many generated cases
@FAST
@given(pools(), st.booleans())
def test_constraints_hold_and_everyone_is_accounted_for(pool: tuple, distinct: bool) -> None:
    people, past, excluded = pool
    result = match(people, past_pairs=past, excluded_pairs=excluded, different_departments=distinct)
    check_result(people, past, excluded, result, distinct)


@pytest.mark.slow  # many generated cases
@FAST
@given(pools(), st.randoms(use_true_random=False))
def test_same_result_for_any_input_order(pool: tuple, rnd: random.Random) -> None:
    people, past, excluded = pool
    expected = match(people, past_pairs=past, excluded_pairs=excluded)
    shuffled = people[:]
    rnd.shuffle(shuffled)
    past = [frozenset(rnd.sample(sorted(p), len(p))) for p in reversed(past)]
    assert match(shuffled, past_pairs=past, excluded_pairs=excluded) == expected


@pytest.mark.slow  # hundreds of generated cases
@settings(deadline=None, max_examples=250)
@given(pools(), st.booleans())
def test_optimal_against_brute_force(pool: tuple, distinct: bool) -> None:
    people, past, excluded = pool
    result = match(people, past_pairs=past, excluded_pairs=excluded, different_departments=distinct)
    total, count = brute_force(people, set(past) | set(excluded), distinct)
    assert round(result.total_score * SCORE_UNITS) == total
    assert len(result.pairs) == count  # the most pairs among the best-scoring matchings


@pytest.mark.slow  # many generated cases
@FAST
@given(
    pools(),
    st.sampled_from([DEFAULT_WEIGHTS, Weights(experience_reversed=30.0, breadth_cap=0)]),
    st.booleans(),
)
def test_vectorised_scores_equal_score_pair(pool: tuple, weights: Weights, distinct: bool) -> None:
    people = sorted(pool[0], key=lambda c: c.id)
    p = Pool(people, different_departments=distinct)
    n = len(people)
    i, j = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    allowed = allowed_mask(p, i, j)
    scores = pair_scores(p, i, j, weights)
    for k in range(len(i)):
        scored = score_pair(people[i[k]], people[j[k]], weights, different_departments=distinct)
        assert allowed[k] == (scored is not None)
        if scored is not None:
            assert scores[k] == scored  # same terms, same order: bit for bit
    edges = allowed_edges(p, weights, np.zeros(0, np.int64))
    found = {
        (int(x), int(y)): int(u) for x, y, u in zip(edges.a, edges.b, edges.units, strict=True)
    }
    expected = {}
    for x, y in itertools.combinations(range(n), 2):
        u = pair_units(people[x], people[y], set(), weights, distinct)
        if u >= 0:
            expected[(x, y)] = u
    assert found == expected


# --- the matching solver on its own ---------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """Small general graphs (odd cycles, ties) with score units and a tie-break factor."""
    n = draw(st.integers(2, 10))
    pairs = draw(st.lists(st.sampled_from(list(itertools.combinations(range(n), 2))),
                          unique=True))  # fmt: skip
    units = draw(st.lists(st.integers(0, 30), min_size=len(pairs), max_size=len(pairs)))
    a = np.array([x for x, _ in pairs], np.int32)
    b = np.array([y for _, y in pairs], np.int32)
    return n, a, b, np.array(units, np.int64), draw(st.sampled_from([1, 2, n // 2 + 1]))


@st.composite
def larger_graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Graphs too big to enumerate, dense enough for nested blossoms."""
    n = draw(st.integers(8, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a, b = np.nonzero(np.triu(rng.random((n, n)) < draw(st.floats(0.05, 0.6)), 1))
    units = rng.integers(0, draw(st.sampled_from([2, 5, 50])), len(a))
    return n, a.astype(np.int32), b.astype(np.int32), units.astype(np.int64)


def best_matching(n: int, weight: dict[tuple[int, int], int]) -> int:
    """Weight of the best matching, by enumerating every matching."""

    def best(rest: tuple[int, ...]) -> int:
        if len(rest) < 2:
            return 0
        options = [best(rest[1:])]
        for k, other in enumerate(rest[1:], 1):
            if (rest[0], other) in weight:
                options.append(weight[(rest[0], other)] + best(rest[1:k] + rest[k + 1 :]))
        return max(options)

    return best(tuple(range(n)))


def cold_start(n: int, a: np.ndarray, b: np.ndarray, units: np.ndarray, start: int) -> Blossom:
    """The blossom solver with nothing matched, so every vertex is a root.

    Blossom weights are 2W; a doubled vertex dual of at least 2W on each of its edges is
    feasible, and even values give every root the same parity. ``start`` picks uniform duals,
    each vertex's best edge, or a little above it.
    """
    g = solver.support_graph(n, a, b, 2 * (units + 1))
    own = np.array([g.data[g.indptr[v] : g.indptr[v + 1]].max(initial=0) for v in range(n)])
    dual = [np.full(n, g.data.max()), own, own + 2 * (np.arange(n) * 7 % 3)][start]
    return Blossom(g, g.data, np.full(n, -1), dual.astype(np.int64))


# (SUPPORT_DEGREE, COARSE_UNITS, NEAR_LEVELS): the defaults, then tiny supports and coarse steps
# so that small graphs go through support growth, outside options and certificate rounds.
STAGINGS = [(10, 1000, 4), (1, 3, 0), (2, 2, 1), (3, 5, 2)]


@pytest.mark.slow  # hundreds of generated cases
@settings(deadline=None, max_examples=400)
@given(graphs(), st.sampled_from(STAGINGS))
def test_solver_is_exact_on_general_graphs(graph: tuple, staging: tuple) -> None:
    n, a, b, units, per_pair = graph
    if not len(a):
        return
    weight = {(int(x), int(y)): int(u) * per_pair + 1 for x, y, u in zip(a, b, units, strict=True)}
    degree, coarse, near = staging
    with patch.multiple(solver, SUPPORT_DEGREE=degree, COARSE_UNITS=coarse, NEAR_LEVELS=near):
        mate = max_weight_matching(n, a, b, units, per_pair)
    assert all(mate[mate[v]] == v for v in range(n) if mate[v] >= 0)
    assert sum(weight[(v, int(mate[v]))] for v in range(n) if mate[v] > v) == best_matching(
        n, weight
    )


@pytest.mark.slow  # hundreds of generated cases
@settings(deadline=None, max_examples=300)
@given(graphs(), st.sampled_from([0, 1, 2]))
def test_blossom_repair_from_a_cold_start(graph: tuple, start: int) -> None:
    n, a, b, units, _ = graph
    if not len(a):
        return
    mate = cold_start(n, a, b, units, start).solve()
    weight = {(int(x), int(y)): int(u) + 1 for x, y, u in zip(a, b, units, strict=True)}
    assert all(mate[mate[v]] == v for v in range(n) if mate[v] >= 0)
    assert sum(weight[(v, int(mate[v]))] for v in range(n) if mate[v] > v) == best_matching(
        n, weight
    )


@pytest.mark.slow  # hundreds of generated cases
@settings(deadline=None, max_examples=150)
@given(larger_graphs(), st.sampled_from([0, 1, 2]))
def test_blossom_ends_with_an_optimality_certificate(graph: tuple, start: int) -> None:
    """Edmonds' optimality conditions checked directly on the solver's final state."""
    n, a, b, units = graph
    if not len(a):
        return
    solver = cold_start(n, a, b, units, start)
    mate = solver.solve()
    assert (solver.dual >= 0).all() and min(solver.blossom_dual) >= 0
    assert all(solver.dual[v] == 0 for v in range(n) if mate[v] < 0)
    for x, y, u in zip(a.tolist(), b.tolist(), units.tolist(), strict=True):
        shared = set(solver._ancestors(x)) & set(solver._ancestors(y))
        inside = 2 * sum(solver.blossom_dual[z] for z in shared)
        slack = solver.dual[x] + solver.dual[y] - 4 * (u + 1) + inside
        assert slack >= 0
        assert (mate[x] == y) == (mate[y] == x)
        assert mate[x] != y or slack == 0
    for z in range(n, 2 * n):
        if solver.blossom_dual[z] > 0:  # a blossom with positive dual must be full
            assert len(solver.edges[z]) % 2 == 1
            assert all(mate[x] == y for x, y in solver.edges[z][1::2])


@pytest.mark.parametrize("seed", range(8))
def test_solver_total_weight_equals_networkx(seed: int) -> None:
    """Same total weight as networkx's reference blossom implementation, up to 200 people.

    Sizes, densities and weight ranges vary with the seed: sparse and dense graphs, few distinct
    weights (many ties) and many; the weights are the ones ``match`` hands the solver.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 201))
    density = float(rng.choice([0.02, 0.1, 0.3]))
    a, b = np.nonzero(np.triu(rng.random((n, n)) < density, 1))
    units = rng.integers(0, int(rng.choice([3, 100, 60_000])), len(a)).astype(np.int64)
    per_pair = n // 2 + 1
    mate = max_weight_matching(n, a.astype(np.int32), b.astype(np.int32), units, per_pair)
    weight = {(int(x), int(y)): int(u) * per_pair + 1 for x, y, u in zip(a, b, units, strict=True)}
    graph = nx.Graph()
    graph.add_weighted_edges_from((x, y, w) for (x, y), w in weight.items())
    expected = sum(weight[min(x, y), max(x, y)] for x, y in nx.max_weight_matching(graph))
    assert all(mate[mate[v]] == v for v in range(n) if mate[v] >= 0)
    assert sum(weight[(v, int(mate[v]))] for v in range(n) if mate[v] > v) == expected


# --- explanations and edge cases ---------------------------------------------------------------


def test_empty_and_single() -> None:
    assert match([]) == MatchResult((), (), 0.0)
    result = match([person("U1", share_topics=frozenset({"budgeting"}))])
    assert result.pairs == ()
    assert result.unmatched[0].reason == "you are the only person in this round"


def test_either_takes_the_side_that_serves_the_program() -> None:
    ai, plan = frozenset({"generative AI tools"}), frozenset({"strategic planning"})
    junior = person("A", "share", name="Priya", experience="0-2", share_topics=ai,
                    learn_topics=plan)  # fmt: skip
    senior = person("B", "learn", name="Tom", experience="21+", learn_topics=ai | plan,
                    share_topics=plan, department="Finance")  # fmt: skip
    flexible = person("C", "either", name="Ana", experience="11-20", learn_topics=ai,
                      share_topics=plan)  # fmt: skip
    other = person("D", "learn", name="Wei", experience="6-10", learn_topics=plan)
    result = match([junior, senior, flexible, other])
    assert {(p.sharer_id, p.learner_id) for p in result.pairs} == {("A", "B"), ("C", "D")}
    (ab,) = [p for p in result.pairs if p.sharer_id == "A"]
    assert ab.reasons[0] == "Priya can share generative AI tools, which Tom wants to learn"
    assert ab.reasons[1] == (
        "Tom brings over 20 years of experience and can share strategic planning, which Priya "
        "asked about"
    )
    assert "Different departments (Eng and Finance)" in ab.reasons[2]


def test_only_sharers() -> None:
    people = [person(f"U{k}", "share", share_topics=frozenset({"budgeting"})) for k in range(4)]
    result = match(people)
    assert result.pairs == ()
    assert {u.reason for u in result.unmatched} == {
        "nobody in this round wants to learn, so there is no one to pair you with"
    }


def test_more_learners_than_sharers() -> None:
    topic = frozenset({"data visualisation"})
    people = [person("S", "share", share_topics=topic)]
    people += [person(f"L{k}", "learn", learn_topics=topic) for k in range(3)]
    result = match(people)
    assert len(result.pairs) == 1
    assert {u.reason for u in result.unmatched} == {
        "there are 3 people who want to learn and only 1 who can share, so not everyone can be "
        "paired"
    }


def test_odd_one_out() -> None:
    topic = frozenset({"budgeting"})
    people = [person(f"U{k}", share_topics=topic, learn_topics=topic) for k in range(3)]
    result = match(people)
    assert len(result.pairs) == 1
    assert result.unmatched[0].reason.startswith("odd number of people")


@pytest.mark.parametrize(
    ("change", "kwargs", "expected"),
    [
        ({"reporting_line": frozenset({"S"})}, {},
         "no compatible partner outside your reporting line"),
        ({}, {"past_pairs": [frozenset({"S", "L"})]},
         "everyone compatible was already paired with you in an earlier program"),
        ({}, {"excluded_pairs": [frozenset({"S", "L"})]},
         "HR excluded your remaining compatible partners from this proposal"),
        ({"utc_offset_minutes": 600}, {}, "works more than 6 hours away"),
        ({"available_days": frozenset({"fri"})}, {}, "free on the same days"),
        ({"learn_topics": frozenset({"budgeting"})}, {},
         "no one in this round can teach what you want to learn (budgeting)"),
        ({"learn_topics": frozenset()}, {}, "you did not pick any topics to learn"),
    ],
)  # fmt: skip
def test_specific_reasons(change: dict, kwargs: dict, expected: str) -> None:
    sharer = person("S", "share", share_topics=frozenset({"generative AI tools"}),
                    available_days=frozenset({"mon"}))  # fmt: skip
    fields = dict(learn_topics=frozenset({"generative AI tools"}), experience="21+")
    learner = person("L", "learn", **{**fields, **change})
    result = match([sharer, learner], **kwargs)
    assert result.pairs == ()
    (reason,) = [u.reason for u in result.unmatched if u.id == "L"]
    assert expected in reason


def test_pairs_scoring_below_zero_are_not_proposed() -> None:
    topic = frozenset({"budgeting"})
    senior_sharer = person("S", "share", experience="21+", share_topics=topic)
    junior_learner = person("L", "learn", experience="0-2", learn_topics=topic)
    harsh = Weights(experience_reversed=50.0)
    scored = score_pair(senior_sharer, junior_learner, harsh)
    assert scored is not None and scored < 0
    result = match([senior_sharer, junior_learner], weights=harsh)
    assert result.pairs == ()
    assert "scores below zero" in result.unmatched[0].reason


def test_long_topic_lists_are_summarised() -> None:
    many = frozenset(TOPICS)
    s = person("S", "share", name="Priya", share_topics=many)
    ln = person("L", "learn", name="Tom", learn_topics=many, utc_offset_minutes=330)
    (p,) = match([s, ln]).pairs
    assert p.reasons[0] == (
        "Priya can share TikTok and short video, budgeting, data visualisation, and 2 more, "
        "which Tom wants to learn"
    )
    assert p.reasons[-1] == (
        "2.5 shared working hours across time zones (UTC+0 and UTC+5:30); both free on Mon, Tue, "
        "Wed, Thu, Fri"
    )


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        match([person("U1"), person("U1")])
    with pytest.raises(ValueError, match="role"):
        match([person("U1", "mentor")])
    with pytest.raises(ValueError, match="time of day"):
        match([person("U1", time_of_day="evening")])
    with pytest.raises(ValueError, match="weekdays"):
        match([person("U1", available_days=frozenset({"sat"}))])
    topic = frozenset({"budgeting"})
    pair = [person("S", "share", share_topics=topic), person("L", "learn", learn_topics=topic)]
    with pytest.raises(ValueError, match="too large"):
        match(pair, weights=Weights(forward_fit=1e12))
