"""Benchmark of bot.matching.match on realistic synthetic sign-ups (not a test).

    python bench/bench_matching.py [--sizes 1000 5000 10000] [--seed 1]

Each size runs in a fresh child process so that its peak resident memory is its own. Prints one
row per size: pairs, people left out, wall seconds of ``match`` and peak memory in MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matching import Candidate, match
from bot.vocabulary import WORKDAYS, ExperienceBand

DEPARTMENTS = {
    "Engineering": 30, "Sales": 15, "Marketing": 10, "Customer Success": 10, "Operations": 10,
    "Finance": 7, "Product": 7, "Design": 4, "People": 4, "Legal": 3,
}  # fmt: skip
# Offices as (UTC offset in minutes, share of staff).
OFFICES = [(-420, 12), (-240, 22), (-180, 6), (60, 18), (120, 14), (180, 4), (330, 14),
           (480, 6), (600, 4)]  # fmt: skip
BANDS = {1: 20, 4: 25, 8: 20, 15: 22, 25: 13}  # midpoint years of each experience band
NEW_TOPICS = [
    "generative AI tools",
    "prompt engineering",
    "GitHub Copilot",
    "TikTok and short video",
    "Instagram Reels",
    "LinkedIn personal branding",
    "remote collaboration tools",
    "Notion and team wikis",
    "data visualisation",
    "no-code automation",
    "Python for analysts",
    "crypto and web3 basics",
    "gaming and community",
    "podcasting",
    "inclusive language",
    "accessibility",
    "mental health at work",
    "creator economy",
    "Figma",
    "Gen Z consumer trends",
]
STRATEGY_TOPICS = [
    "strategic planning",
    "stakeholder management",
    "budgeting",
    "negotiation",
    "board communication",
    "leading through change",
    "hiring and interviewing",
    "giving feedback",
    "managing up",
    "career navigation",
    "public speaking",
    "mergers and acquisitions",
    "P&L ownership",
    "risk management",
    "customer relationships",
    "building a network",
    "decision making under uncertainty",
    "running effective meetings",
    "mentoring others",
    "crisis communication",
]
SLOTS = {"any": 40, "morning": 25, "midday": 15, "afternoon": 20}


def _pick(rng: random.Random, weighted: dict) -> object:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _topics(rng: random.Random, catalogue: list[str], low: int, high: int) -> frozenset[str]:
    # Popularity falls with position: a few topics are in high demand, like in a real program.
    weights = [1 / (k + 2) for k in range(len(catalogue))]
    count = rng.randint(low, high)
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(catalogue, weights=weights)[0])
    return frozenset(chosen)


def synthetic_candidates(size: int, seed: int) -> list[Candidate]:
    """People with plausible roles, bands, offices, topics, schedules and reporting lines."""
    rng = random.Random(seed)
    people = []
    for k in range(size):
        years = _pick(rng, BANDS)
        if years <= 4:
            role = _pick(rng, {"share": 60, "either": 35, "learn": 5})
        elif years == 8:
            role = _pick(rng, {"share": 30, "either": 40, "learn": 30})
        else:
            role = _pick(rng, {"learn": 70, "either": 25, "share": 5})
        junior_like = role == "share" or (role == "either" and years <= 8)
        share_pool, learn_pool = (
            (NEW_TOPICS, STRATEGY_TOPICS) if junior_like else (STRATEGY_TOPICS, NEW_TOPICS)
        )
        offset = rng.choices([o for o, _ in OFFICES], weights=[w for _, w in OFFICES])[0]
        days = frozenset(rng.sample(WORKDAYS, rng.randint(2, 5)))
        people.append(
            dict(
                id=f"U{k:06d}",
                name=f"Person {k}",
                role=role,
                years=years,
                department=_pick(rng, DEPARTMENTS),
                manager=None,
                utc_offset_minutes=offset,
                share_topics=_topics(rng, share_pool, 2, 5),
                learn_topics=_topics(rng, learn_pool, 1, 4),
                available_days=days,
                time_of_day=_pick(rng, SLOTS),
            )
        )
    # Reporting lines: most people report to someone more senior in their department and office.
    seniors: dict[tuple[str, int], list[dict]] = {}
    for p in people:
        if p["years"] >= 15:
            seniors.setdefault((p["department"], p["utc_offset_minutes"]), []).append(p)
    for p in people:
        bosses = seniors.get((p["department"], p["utc_offset_minutes"]), [])
        bosses = [b for b in bosses if b["years"] > p["years"]]
        if bosses and rng.random() < 0.85:
            p["manager"] = rng.choice(bosses)
    manager = {p["id"]: p["manager"] and p["manager"]["id"] for p in people}
    candidates = []
    for p in people:
        line, boss = [], manager[p["id"]]
        while boss is not None:  # managers are strictly more senior: no cycles
            line.append(boss)
            boss = manager[boss]
        candidates.append(
            Candidate(
                **{k: v for k, v in p.items() if k not in ("years", "manager")},
                experience=ExperienceBand.for_years(p["years"]),
                reporting_line=frozenset(line),
            )
        )
    return candidates


def run_one(size: int, seed: int) -> dict:
    candidates = synthetic_candidates(size, seed)
    # A previous program: pair some people already, so history is part of the workload.
    rng = random.Random(seed + 1)
    past = [frozenset(rng.sample([c.id for c in candidates], 2)) for _ in range(size // 4)]
    started = time.perf_counter()
    result = match(candidates, past_pairs=past)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "size": size,
        "pairs": len(result.pairs),
        "unmatched": len(result.unmatched),
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "total_score": result.total_score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single is not None:
        print(json.dumps(run_one(args.single, args.seed)))
        return
    print(f"{'size':>7} {'pairs':>7} {'unmatched':>9} {'seconds':>8} {'peak MB':>8} {'score':>11}")
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--single", str(size), "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{row['size']:>7} {row['pairs']:>7} {row['unmatched']:>9} {row['seconds']:>8.2f} "
            f"{row['peak_mb']:>8.0f} {row['total_score']:>11.1f}"
        )


if __name__ == "__main__":
    main()
