"""What people notice about their pairs: random pairing, greedy and Mentorbot on one population.

    python bench/bench_matching_quality.py [--size 2000] [--seed 1]

One seeded synthetic population (45% share side, 45% learn side, 10% either; eight time zones;
topics overlapping unevenly: a few are in high demand, supply and demand have different
favourites; departments of uneven size; a management hierarchy three to four levels deep inside
each department and office) is paired three ways:

- random: shuffle, then pair each sharer with the next learner whose role fits, nothing else
  checked (what slack-meetups and Teams Icebreaker do);
- greedy: Mentorbot's allowed pairs and scores, best score first, each person once;
- mentorbot: ``bot.matching.match`` (exact maximum total score).

For each: matched share, two-way topic fit (both directions have a topic), mean shared working
hours (09:00-17:00 local each), cross-department share, pairs inside a reporting line (one person
anywhere above the other), and wall time. Not a test; the targets at 2,000 people are >= 99%
matched, >= 98% two-way fit, >= 7.5 h mean overlap and no pair inside a reporting line.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matching import Candidate, match
from bot.matching.scoring import (
    DEFAULT_WEIGHTS,
    WORKDAY_MINUTES,
    Pool,
    allowed_edges,
)
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, TimeOfDay

DEPARTMENTS = {
    "Engineering": 30, "Sales": 15, "Marketing": 10, "Customer Success": 10, "Operations": 10,
    "Finance": 7, "Product": 7, "Design": 4, "People": 4, "Legal": 3,
}  # fmt: skip
# Eight offices as (UTC offset in minutes, share of staff): Americas, Europe, India, Asia-Pacific.
OFFICES = {-480: 14, -300: 22, -180: 5, 0: 16, 60: 18, 120: 7, 330: 12, 540: 6}
NEW_TOPICS = [
    "generative AI tools", "prompt writing", "short video", "creator culture", "no-code tools",
    "data visualisation", "remote collaboration", "async communication", "personal branding",
    "cybersecurity habits", "gaming communities", "Gen Z at work", "sustainability at work",
    "inclusive language", "mobile-first experience", "employer brand",
]  # fmt: skip
STRATEGY_TOPICS = [
    "strategic planning", "stakeholder management", "budgeting", "negotiation",
    "executive communication", "leading through change", "career paths", "giving feedback",
    "client relationships", "decision making", "public speaking", "navigating the organisation",
]  # fmt: skip
BANDS = {
    Role.SHARE: {"0-2": 45, "3-5": 40, "6-10": 15},
    Role.LEARN: {"6-10": 10, "11-20": 50, "21+": 40},
    Role.EITHER: {"3-5": 30, "6-10": 40, "11-20": 30},
}
SLOTS = {"any": 45, "morning": 20, "midday": 15, "afternoon": 20}


def _pick(rng: random.Random, weighted: dict) -> object:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _topics(rng: random.Random, catalogue: list[str], skew: float, low: int, high: int) -> set:
    """Topics by popularity falling with position; ``skew`` shifts which ones are popular."""
    weights = [1 / (1 + abs(k - skew * len(catalogue))) for k in range(len(catalogue))]
    count = rng.randint(low, high)
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(catalogue, weights=weights)[0])
    return chosen


def population(size: int, seed: int) -> list[Candidate]:
    """The seeded population described in the module docstring."""
    rng = random.Random(seed)
    rows = []
    for k in range(size):
        role = _pick(rng, {Role.SHARE: 45, Role.LEARN: 45, Role.EITHER: 10})
        band = ExperienceBand(_pick(rng, BANDS[role]))
        # Sharers know the newest topics best and want strategy; learners the other way round.
        # Supply favours the start of each list and demand its middle: overlapping unevenly.
        share_new = _topics(rng, NEW_TOPICS, 0.0, 2, 4)
        want_new = _topics(rng, NEW_TOPICS, 0.35, 1, 3)
        share_strategy = _topics(rng, STRATEGY_TOPICS, 0.0, 2, 4)
        want_strategy = _topics(rng, STRATEGY_TOPICS, 0.4, 1, 3)
        if role is Role.SHARE:
            share, learn = share_new, want_strategy
        elif role is Role.LEARN:
            share, learn = share_strategy, want_new
        else:
            share, learn = share_new | share_strategy, want_new | want_strategy
            learn -= share
        rows.append(
            {
                "id": f"U{k:06d}",
                "role": role,
                "band": band,
                "department": _pick(rng, DEPARTMENTS),
                "offset": _pick(rng, OFFICES),
                "share": frozenset(share),
                "learn": frozenset(learn),
                "days": frozenset(rng.sample(WORKDAYS, rng.randint(2, 5))),
                "slot": TimeOfDay(_pick(rng, SLOTS)),
            }
        )
    manager = _hierarchy(rng, rows)
    people = []
    for r in rows:
        line, boss = [], manager.get(r["id"])
        while boss is not None:
            line.append(boss)
            boss = manager.get(boss)
        people.append(
            Candidate(
                id=r["id"],
                name=r["id"],
                role=r["role"],
                experience=r["band"],
                department=r["department"],
                utc_offset_minutes=r["offset"],
                share_topics=r["share"],
                learn_topics=r["learn"],
                available_days=r["days"],
                time_of_day=r["slot"],
                reporting_line=frozenset(line),
            )
        )
    return people


def _hierarchy(rng: random.Random, rows: list[dict]) -> dict[str, str]:
    """Managers within each department and office: everyone reports to someone in a more senior
    band where there is one (so chains run three or four levels deep), the most senior to the
    head of the department in the largest office."""
    manager: dict[str, str] = {}
    teams: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        teams.setdefault((r["department"], r["offset"]), []).append(r)
    rank = {band: k for k, band in enumerate(ExperienceBand)}
    heads: dict[str, dict] = {}
    for (department, _), team in sorted(teams.items()):
        for r in team:
            seniors = [s for s in team if rank[s["band"]] > rank[r["band"]]]
            if seniors:
                manager[r["id"]] = rng.choice(seniors)["id"]
        top = max(team, key=lambda r: (rank[r["band"]], r["id"]))
        if department not in heads or rank[top["band"]] > rank[heads[department]["band"]]:
            heads[department] = top
    for r in rows:
        head = heads[r["department"]]
        if r["id"] not in manager and r["id"] != head["id"]:
            manager[r["id"]] = head["id"]
    return manager


def random_pairs(people: list[Candidate], seed: int) -> list[tuple[Candidate, Candidate]]:
    rng = random.Random(seed)
    order = people[:]
    rng.shuffle(order)
    sharers = [c for c in order if c.role is Role.SHARE]
    learners = [c for c in order if c.role is Role.LEARN]
    either = [c for c in order if c.role is Role.EITHER]
    # "Either" people fill whichever side is short, then pair among themselves.
    while either and len(sharers) < len(learners):
        sharers.append(either.pop())
    while either and len(learners) < len(sharers):
        learners.append(either.pop())
    half = len(either) // 2
    sharers += either[:half]
    learners += either[half : 2 * half]
    return list(zip(sharers, learners, strict=False))


def greedy_pairs(people: list[Candidate]) -> list[tuple[Candidate, Candidate]]:
    ordered = sorted(people, key=lambda c: c.id)
    pool = Pool(ordered)
    edges = allowed_edges(pool, DEFAULT_WEIGHTS, np.zeros(0, np.int64))
    order = np.lexsort((edges.b, edges.a, -edges.units))
    taken = np.zeros(len(ordered), bool)
    pairs = []
    for k in order.tolist():
        a, b = int(edges.a[k]), int(edges.b[k])
        if not taken[a] and not taken[b]:
            taken[a] = taken[b] = True
            pairs.append(_oriented(ordered[a], ordered[b]))
    return pairs


def _oriented(x: Candidate, y: Candidate) -> tuple[Candidate, Candidate]:
    """Sharer first: the side whose share topics the other wants (either person: by band)."""
    forward = bool(x.share_topics & y.learn_topics) and x.role.can_share and y.role.can_learn
    backward = bool(y.share_topics & x.learn_topics) and y.role.can_share and x.role.can_learn
    if forward and (not backward or x.experience.typical_years <= y.experience.typical_years):
        return x, y
    return y, x


def mentorbot_pairs(people: list[Candidate]) -> list[tuple[Candidate, Candidate]]:
    by_id = {c.id: c for c in people}
    return [(by_id[p.sharer_id], by_id[p.learner_id]) for p in match(people).pairs]


def measure(people: list[Candidate], pairs: list[tuple[Candidate, Candidate]]) -> dict:
    count = max(1, len(pairs))
    two_way = sum(
        bool(s.share_topics & ln.learn_topics) and bool(ln.share_topics & s.learn_topics)
        for s, ln in pairs
    )
    hours = [
        max(0, WORKDAY_MINUTES - abs(s.utc_offset_minutes - ln.utc_offset_minutes)) / 60
        for s, ln in pairs
    ]
    return {
        "matched": 2 * len(pairs) / len(people),
        "two_way": two_way / count,
        "overlap_h": sum(hours) / count,
        "cross_dept": sum(s.department != ln.department for s, ln in pairs) / count,
        "line_pairs": sum(
            s.id in ln.reporting_line or ln.id in s.reporting_line for s, ln in pairs
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    people = population(args.size, args.seed)
    depth = max(len(c.reporting_line) for c in people)
    print(f"{args.size} people, seed {args.seed}, reporting lines up to {depth} levels above")
    print(
        f"{'strategy':<10} {'matched':>8} {'two-way fit':>12} {'overlap h':>10} "
        f"{'cross-dept':>11} {'line pairs':>11} {'seconds':>8}"
    )
    strategies = {
        "random": lambda: random_pairs(people, args.seed),
        "greedy": lambda: greedy_pairs(people),
        "mentorbot": lambda: mentorbot_pairs(people),
    }
    for name, run in strategies.items():
        started = time.perf_counter()
        pairs = run()
        seconds = time.perf_counter() - started
        m = measure(people, pairs)
        print(
            f"{name:<10} {m['matched']:>8.1%} {m['two_way']:>12.1%} {m['overlap_h']:>10.2f} "
            f"{m['cross_dept']:>11.1%} {m['line_pairs']:>11} {seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
