"""Explanations in plain words: why two people were paired, why someone was left out."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bot.matching.scoring import WORKDAY_MINUTES, Candidate, Pool, constraints, years
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, label

_ROLES = tuple(Role)

MAX_REASON_CHARS = 199


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def list_topics(topics: Iterable[str], limit: int = 3) -> str:
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


def pair_reasons(s: Candidate, ln: Candidate) -> tuple[str, ...]:
    """Plain-English reasons for sharer ``s`` and learner ``ln`` (an allowed pair): both
    directions first, then department and schedule notes."""
    forward = s.share_topics & ln.learn_topics
    back = ln.share_topics & s.learn_topics
    days = s.available_days & ln.available_days
    reasons = [f"{s.name} can share {list_topics(forward)}, which {ln.name} wants to learn"]
    senior = years(ln) > years(s)
    experience = label(ExperienceBand(ln.experience))
    if back and senior:
        reasons.append(
            f"{ln.name} brings {experience} of experience and can share "
            f"{list_topics(back)}, which {s.name} asked about"
        )
    elif back:
        reasons.append(f"{ln.name} can share {list_topics(back)}, which {s.name} asked about")
    elif senior:
        reasons.append(
            f"{ln.name} brings {experience} of experience to share strategic "
            f"perspective with {s.name}"
        )
    if s.department != ln.department:
        reasons.append(
            f"Different departments ({s.department} and {ln.department}) widen both views"
        )
    day_list = ", ".join(d.value.capitalize() for d in WORKDAYS if d in days)
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
# Why someone was left out.
# --------------------------------------------------------------------------------------------


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


class Explainer:
    """Finds, for each person left out, the most specific reason that can be shown to them."""

    def __init__(
        self, pool: Pool, blocked: dict[str, set[tuple[int, int]]], degree: np.ndarray
    ) -> None:
        self.pool, self.degree = pool, degree
        self.blocked: dict[str, dict[int, list[int]]] = {}
        for name, pairs in blocked.items():
            partners = self.blocked[name] = {}
            for a, b in sorted(pairs):
                partners.setdefault(a, []).append(b)
        self.only_share, self.only_learn, self.either = (
            int((pool.role == _ROLES.index(r)).sum()) for r in _ROLES
        )

    def reason(self, k: int, unmatched_count: int) -> str:
        if self.degree[k]:
            return self._lost_out(k, unmatched_count)
        return self._no_partner(k)

    def _lost_out(self, k: int, unmatched_count: int) -> str:
        role = _ROLES[self.pool.role[k]]
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
            constraints(p, me, others),  # k shares
            constraints(p, others, me),  # k learns
        ]
        names = [name for name, _ in stages[0]]
        alive = [np.ones(n, bool), np.ones(n, bool)]
        for step, name in enumerate(names):
            for side in (0, 1):
                alive[side] &= stages[side][step][1]
            if not (alive[0] | alive[1]).any():
                return self._constraint_reason(k, name)
        alive_any = alive[0] | alive[1]
        for name in ("past", "excluded"):  # program-level: after the person-level rules
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
                return f"no one in this round {phrase} ({list_topics(topics)})"
            return "no one in this round can teach what you want to learn or learn what you share"
        return {
            "timezone": "everyone whose topics fit yours works more than 6 hours away from your "
            "time zone, leaving less than 2 shared working hours",
            "days": "no one whose topics and working hours fit yours is free on the same days "
            "as you",
            "reporting": "no compatible partner outside your reporting line",
            "department": "this program pairs people from different departments, and no "
            "compatible partner works in another department",
            "past": "everyone compatible was already paired with you in an earlier program",
            "excluded": "HR excluded your remaining compatible partners from this proposal",
        }[name]
