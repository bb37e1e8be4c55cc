"""Explanations in plain words: why two people were paired, why someone was left out."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bot.matching.scoring import WORKDAY_MINUTES, Candidate, Pool, constraints, years
from bot.texts import counted, words
from bot.vocabulary import WORKDAYS, ExperienceBand, Role, label

_ROLES = tuple(Role)

MAX_REASON_CHARS = 199


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def list_topics(topics: Iterable[str], limit: int = 3) -> str:
    names = sorted(topics)
    if len(names) > limit:
        names = [*names[:limit], words("reasons.topics_more", count=len(names) - limit)]
    # "hiring and interviewing, and budgeting": a comma keeps topics with "and" apart.
    conjunction = words("reasons.topics_and")
    last = (
        f", {conjunction} "
        if any(f" {conjunction} " in name for name in names)
        else f" {conjunction} "
    )
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
    names = {"sharer": s.name, "learner": ln.name}
    reasons = [words("reasons.pair.forward", topics=list_topics(forward), **names)]
    senior = years(ln) > years(s)
    experience = label(ExperienceBand(ln.experience))
    if back and senior:
        reasons.append(
            words(
                "reasons.pair.back_senior", experience=experience, topics=list_topics(back), **names
            )
        )
    elif back:
        reasons.append(words("reasons.pair.back", topics=list_topics(back), **names))
    elif senior:
        reasons.append(words("reasons.pair.senior", experience=experience, **names))
    if s.department != ln.department:
        reasons.append(
            words(
                "reasons.pair.departments",
                sharer_department=s.department,
                learner_department=ln.department,
            )
        )
    day_list = ", ".join(d.value.capitalize() for d in WORKDAYS if d in days)
    gap = abs(s.utc_offset_minutes - ln.utc_offset_minutes)
    if gap:
        reasons.append(
            words(
                "reasons.pair.time_zones",
                hours=f"{(WORKDAY_MINUTES - gap) / 60:g}",
                sharer_zone=_utc_label(s.utc_offset_minutes),
                learner_zone=_utc_label(ln.utc_offset_minutes),
                days=day_list,
            )
        )
    else:
        reasons.append(words("reasons.pair.same_zone", days=day_list))
    return tuple(_clip(r) for r in reasons)


# --------------------------------------------------------------------------------------------
# Why someone was left out.
# --------------------------------------------------------------------------------------------


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
            return words(
                "reasons.lost_out.few_learners",
                sharers=counted(share, "person"),
                learners=learn + either,
            )
        if role == "learn" and learn > share + either:
            return words(
                "reasons.lost_out.few_sharers",
                learners=counted(learn, "person"),
                sharers=share + either,
            )
        if role == "share" and share > learn:
            return words(
                "reasons.lost_out.more_sharers", sharers=share, learners=learn, either=either
            )
        if role == "learn" and learn > share:
            return words(
                "reasons.lost_out.more_learners", sharers=share, learners=learn, either=either
            )
        if unmatched_count == 1 and len(self.pool.people) % 2:
            return words("reasons.lost_out.odd")
        return words("reasons.lost_out.taken")

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
        return words("reasons.no_partner.below_zero")

    def _constraint_reason(self, k: int, name: str) -> str:
        c = self.pool.people[k]
        if name == "role":
            if c.role == "share":
                return words("reasons.no_partner.nobody_learns")
            if c.role == "learn":
                return words("reasons.no_partner.nobody_shares")
            return words("reasons.no_partner.alone")
        if name == "topics":
            topics = {"learn": c.learn_topics, "share": c.share_topics}
            if c.role not in topics:
                return words("reasons.no_partner.topics_either")
            if not topics[c.role]:
                return words(f"reasons.no_partner.no_topics_{c.role}")
            return words(f"reasons.no_partner.topics_{c.role}", topics=list_topics(topics[c.role]))
        return words(f"reasons.no_partner.{name}")
