"""Shared steps of the reliability suite: state set up by inserting rows, counts, database dumps."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import urllib.parse
from typing import Any

from sqlalchemy import func, select, text

from bot.models import Base, Pair, Participant, Program
from mentorbot_sandbox import FaultRule
from tests.seed import enrolments

WEEK2_DUE = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)  # Tue of week 2, 10:00 London
#: Roughly one Web API call in five fails, one way or another (1 - 0.964**6 ≈ 0.20).
FAULT_MIX = ("ratelimited", "http_500", "http_503", "internal_error", "timeout", "disconnect")
AGAIN = re.compile(r"try again|run `/mentoring [\w-]+` again", re.IGNORECASE)


def add_fault_mix(fake, rate_each: float = 0.036, method: str = "*") -> list[FaultRule]:
    """Every kind of fault at once; a timeout holds 2 s (the quick client gives up after 1 s)."""
    return [
        fake.faults.add(FaultRule(method=method, kind=kind, rate=rate_each, retry_after=1, delay=2))
        for kind in FAULT_MIX
    ]


async def count(db, model, *where: Any) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def row_counts(db) -> dict[str, int]:
    """Rows per table (processed_requests left out: every request, even refused ones, adds one)."""
    async with db.session() as session:
        return {
            table.name: await session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name != "processed_requests"
        }


async def dump_text(db) -> str:
    """Every text-like column of every table, as one string to search for personal data."""
    parts = []
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            parts.extend(str(value) for row in rows for value in row if value is not None)
        if db.dialect == "postgresql":  # belt and braces: any table the models do not know of
            names = (
                await session.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            known = set(Base.metadata.tables)
            for name in set(names) - known:
                rows = (await session.execute(text(f'SELECT * FROM "{name}"'))).all()
                parts.extend(str(v) for row in rows for v in row if v is not None)
    return "\n".join(parts)


async def make_program(
    bot,
    hr_channel: str | None = None,
    start: dt.date = dt.date(2026, 1, 12),
    name: str = "Reliability cohort",
) -> int:
    async with bot.ctx.db.session() as session:
        program = Program(
            name=name,
            start_date=start,
            length_weeks=12,
            cadence_weeks=1,
            checkin_weekday="tue",
            checkin_time=dt.time(10, 0),
            hr_channel_id=hr_channel,
        )
        session.add(program)
        await session.flush()
        return program.id


def _person(user: str, program_id: int, role: str) -> Participant:
    sharing = role == "share"
    return Participant(
        slack_user_id=user,
        program_id=program_id,
        role=role,
        experience_band="0-2" if sharing else "21+",
        department="Marketing" if sharing else "Finance",
        timezone="Europe/London",
        share_topics=["generative AI tools"] if sharing else ["negotiation"],
        learn_topics=["negotiation"] if sharing else ["generative AI tools"],
        available_days=["tue", "wed"],
    )


async def make_people(
    bot, n: int, program_id: int, prefixes: tuple[str, str] = ("U0SHR", "U0LRN")
) -> list[str]:
    """`n` sharers and `n` learners who signed up (rows inserted) and can be matched."""
    users, people = [], []
    async with bot.ctx.db.session() as session:
        for i in range(n):
            for role, prefix in zip(("share", "learn"), prefixes, strict=True):
                user = f"{prefix}{i:04d}"
                bot.fake.add_user(user, f"{role}.{i}", real_name=f"{role} {i}", tz="Europe/London")
                people.append(_person(user, program_id, role))
                users.append(user)
        session.add_all(people)
        await session.flush()
        session.add_all(enrolments(people))
    return users


async def make_pairs(
    bot, n: int, *, kicked_off: bool = True, hr_channel: str | None = None
) -> list[tuple[int, str, str, str]]:
    """An open program with `n` active pairs, each with its group DM in the fake.

    Returns (pair id, sharer, learner, group DM channel) per pair. The group DMs are opened through
    the bot's own Web API client, as the kickoff job would.
    """
    program_id = await make_program(bot, hr_channel)
    made = []
    for i in range(n):
        sharer, learner = f"U0SHR{i:04d}", f"U0LRN{i:04d}"
        bot.fake.add_user(sharer, f"sharer.{i}", real_name=f"Sharer {i}", tz="Europe/London")
        bot.fake.add_user(learner, f"learner.{i}", real_name=f"Learner {i}", tz="Europe/London")
        channel = (await bot.ctx.client.conversations_open(users=f"{sharer},{learner}"))["channel"][
            "id"
        ]
        async with bot.ctx.db.session() as session:
            people = [_person(sharer, program_id, "share"), _person(learner, program_id, "learn")]
            session.add_all(people)
            await session.flush()
            session.add_all(enrolments(people))
            pair = Pair(
                program_id=program_id,
                sharer_id=people[0].id,
                learner_id=people[1].id,
                dm_channel_id=channel,
                kickoff_ts="1767600000.000001" if kicked_off else None,
                reasons=[],
            )
            session.add(pair)
            await session.flush()
            made.append((pair.id, sharer, learner, channel))
    return made


def checkin_posts(fake, channel: str) -> list:
    return [m for m in fake.messages(channel) if "check-in" in m["text"]]


def envelope(bot, kind: str, user: str, **fields: Any) -> dict[str, Any]:
    """A payload shaped like Slack's, from `user`, with a fresh trigger id (for forged requests)."""
    payload = {
        "type": kind,
        "team": {"id": bot.fake.team_id, "domain": "sandbox"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"},
        "api_app_id": bot.fake.app_id,
        "token": "sandbox-verification-token",
        "trigger_id": f"{secrets.randbelow(10**10)}.{secrets.token_hex(8)}",
    }
    payload.update(fields)
    return payload


def forged_action(bot, user: str, action_id: str, value: str, channel: str | None = None) -> dict:
    action = {
        "action_id": action_id,
        "block_id": "forged",
        "type": "button",
        "value": value,
        "action_ts": "1767600000.000001",
    }
    fields: dict[str, Any] = {"actions": [action]}
    if channel:
        fields["channel"] = {"id": channel, "name": "privategroup"}
        fields["container"] = {"type": "message", "channel_id": channel, "message_ts": "1.0"}
    else:
        fields["container"] = {"type": "view", "view_id": "V0FORGED"}
    return envelope(bot, "block_actions", user, **fields)


async def post_payload(bot, payload: dict[str, Any]):
    """POST a correctly signed interaction payload, as Slack would."""
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return await bot.fake.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
