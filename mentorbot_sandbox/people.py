"""Synthetic employees for the demo and benchmarks: varied departments, stages, zones, topics."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = [
    "Priya",
    "Tom",
    "Aisha",
    "Marcus",
    "Lena",
    "Kenji",
    "Sofia",
    "Daniel",
    "Amara",
    "Oliver",
    "Mei",
    "Carlos",
    "Fatima",
    "Jonas",
    "Zara",
    "Ethan",
    "Noor",
    "Lucas",
    "Hana",
    "Samuel",
    "Isla",
    "Ravi",
    "Elena",
    "Kwame",
    "Chloe",
    "Mateo",
    "Yara",
    "Felix",
    "Asha",
    "Liam",
]
LAST = [
    "Patel",
    "Baker",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Rossi",
    "Cohen",
    "Mensah",
    "Schmidt",
    "Garcia",
    "Nguyen",
    "Haddad",
    "Murphy",
    "Kowalski",
    "Silva",
    "Chen",
    "Dubois",
    "Singh",
]
DEPARTMENTS = ["Marketing", "Engineering", "Sales", "Finance", "Operations", "People", "Legal"]
ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "Asia/Kolkata",
    "Europe/Madrid",
    "America/Toronto",
]
NEW_TOOLS = [
    "generative AI tools",
    "prompt writing for AI assistants",
    "social media and short video",
    "remote and hybrid collaboration tools",
    "no-code and automation tools",
    "data visualisation",
    "inclusive language and DEI terminology",
    "what Gen Z expects from work",
    "personal branding on LinkedIn",
    "async communication (Slack, Loom, Notion)",
]
EXPERIENCE = [
    "strategic planning",
    "stakeholder management",
    "leading through change",
    "budgeting and business cases",
    "negotiation",
    "board and executive communication",
    "navigating the organisation",
    "building a career path",
    "client relationships",
]
GOALS = {
    "tech_upskilling": "Use an AI assistant for my weekly reporting",
    "leadership_development": "Present a business case to the leadership team",
    "cross_generational_awareness": "Understand what early-career colleagues expect from managers",
    "inclusion": "Run meetings where every voice is heard",
}


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    tz: str
    role: str  # share | learn | either
    band: str
    department: str
    manager_id: str | None
    share: tuple[str, ...]
    learn: tuple[str, ...]
    days: tuple[str, ...]
    time_of_day: str
    goal_category: str
    goal: str


def synthetic_people(count: int, seed: int = 7) -> list[Person]:
    """`count` employees, about half earlier-career sharers and half later-career learners."""
    rng = random.Random(seed)
    people: list[Person] = []
    managers: dict[str, str] = {}
    for index in range(count):
        user_id = f"U{index + 1:07d}X"
        department = rng.choice(DEPARTMENTS)
        junior = index % 2 == 0
        role = "either" if index % 9 == 4 else ("share" if junior else "learn")
        band = rng.choice(["0-2", "3-5"]) if junior else rng.choice(["11-20", "21+"])
        share = NEW_TOOLS if junior else EXPERIENCE
        learn = EXPERIENCE if junior else NEW_TOOLS
        manager = managers.get(department) if junior else None
        if not junior:
            managers.setdefault(department, user_id)
        category = rng.choice(list(GOALS))
        people.append(
            Person(
                user_id=user_id,
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                tz=rng.choice(ZONES),
                role=role,
                band=band,
                department=department,
                manager_id=manager,
                share=tuple(rng.sample(share, 3)),
                learn=tuple(rng.sample(learn, 2)),
                days=tuple(sorted(rng.sample(["mon", "tue", "wed", "thu", "fri"], 3))),
                time_of_day=rng.choice(["morning", "midday", "afternoon", "any"]),
                goal_category=category,
                goal=GOALS[category],
            )
        )
    return people
