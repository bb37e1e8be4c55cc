"""`mentorbot demo`: a whole program against the local Slack fake, through the real code paths.

Every action is a signed request into the bot (slash commands, modal submissions, button clicks)
and every message is a Web API call out of it; nothing here touches the bot's internals except to
read the database for the closing summary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot import db as dbmod
from bot import ids
from bot.clock import FixedClock
from bot.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from bot.models import Pair, Participant
from bot.sandbox.people import Person, synthetic_people
from bot.sandbox.render import render_blocks

DEMO_START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)  # a Monday morning


class Progress:
    """A one-line progress bar on stderr (silent with --quiet or when not a terminal)."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.done = total, 0
        self.enabled = not quiet and sys.stderr.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {label:<40}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")


async def _open_and_submit(bot: LocalBot, user: str, command: str, values: dict[str, Any]) -> Any:
    before = [v["id"] for v in bot.fake.open_views(user)]
    await bot.fake.slash_command(user, text=command)
    view = await bot.fake.wait_for(
        lambda: [v for v in bot.fake.open_views(user) if v["id"] not in before], timeout=10
    )
    result = await bot.fake.submit_view(user, view[-1]["id"], values)
    if result.errors:
        raise RuntimeError(f"{command} refused: {result.errors}")
    return result


def _signup_values(person: Person) -> dict[str, Any]:
    return {
        ids.A_ROLE: person.role,
        ids.A_EXPERIENCE: person.band,
        ids.A_DEPARTMENT: person.department,
        ids.A_MANAGER: person.manager_id,
        ids.A_SHARE_TOPICS: list(person.share),
        ids.A_LEARN_TOPICS: list(person.learn),
        ids.A_TIMEZONE: person.tz,
        ids.A_DAYS: list(person.days),
        ids.A_TIME_OF_DAY: person.time_of_day,
        ids.A_MEETING_LENGTH: "30",
        ids.A_GOAL["category"]: person.goal_category,
        ids.A_GOAL["description"]: person.goal,
        ids.A_CONSENT: ["quote"] if int(person.user_id[1:8]) % 3 == 0 else [],
    }


def _transcript(bot: LocalBot, people: list[Person]) -> str:
    """What HR and two people saw, as text."""
    lines = ["=" * 72, "What HR saw in #mentoring-hr", "=" * 72]
    for message in bot.fake.messages(HR_CHANNEL_ID)[-3:]:
        lines += [render_blocks(message.get("blocks")) or message.get("text", ""), "-" * 40]
    for person in people[:2]:
        lines += ["=" * 72, f"What {person.name} ({person.user_id}) saw", "=" * 72]
        for message in bot.fake.dm_messages(person.user_id):
            lines += [message.get("text", ""), "-" * 40]
        for channel_id, messages in bot.fake.group_dms_of(person.user_id):
            lines.append(f"[group DM {channel_id}]")
            for message in messages:
                lines += [render_blocks(message.get("blocks")) or message.get("text", ""), "-" * 40]
    return "\n".join(lines)


async def run_demo(*, people: int, weeks: int, seed: int, out: str, quiet: bool) -> int:
    """Play a program end to end; returns the process exit status."""
    out_dir = Path(out)
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    workspace = synthetic_people(people, seed)
    progress = Progress(total=len(workspace) + 4, quiet=quiet)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/demo.sqlite3"
        await asyncio.to_thread(dbmod.upgrade, db_url)
        clock = FixedClock(DEMO_START)
        async with LocalBot(db_url, clock=clock, seed=seed) as bot:
            for person in workspace:
                bot.fake.add_user(
                    person.user_id,
                    person.name.lower().replace(" ", "."),
                    real_name=person.name,
                    tz=person.tz,
                )
            await _open_and_submit(
                bot,
                HR_ADMIN_ID,
                "admin program",
                {
                    ids.A_PROGRAM_NAME: "Reverse mentoring, spring cohort",
                    ids.A_PROGRAM_START: (DEMO_START.date() + dt.timedelta(days=7)).isoformat(),
                    ids.A_PROGRAM_LENGTH: str(weeks),
                    ids.A_PROGRAM_CADENCE: "1",
                    ids.A_PROGRAM_WEEKDAY: "tue",
                    ids.A_PROGRAM_TIME: "10:00",
                    ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
                },
            )
            progress.step("HR opened the program")
            for person in workspace:
                await _open_and_submit(bot, person.user_id, "join", _signup_values(person))
                progress.step(f"{person.name} joined")
            await bot.fake.slash_command(HR_ADMIN_ID, text="admin match", channel_id=HR_CHANNEL_ID)
            await bot.fake.wait_for(
                lambda: any(
                    "Matching proposal" in (m.get("text") or "")
                    for m in bot.fake.messages(HR_CHANNEL_ID)
                ),
                timeout=30,
            )
            progress.step("HR asked for matches")
            await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID)
            await bot.fake.wait_for(
                lambda: any(
                    "Kickoffs sent" in (m.get("text") or "")
                    for m in bot.fake.messages(HR_CHANNEL_ID)
                ),
                timeout=60,
            )
            progress.step("HR approved; kickoffs sent")
            async with bot.ctx.db.session() as session:
                pairs = await session.scalar(select(func.count()).select_from(Pair)) or 0
                joined = await session.scalar(select(func.count()).select_from(Participant)) or 0
            transcript = _transcript(bot, workspace)
            progress.step("done")
        progress.close()
    await asyncio.to_thread(
        (out_dir / "transcript.txt").write_text, transcript + "\n", encoding="utf-8"
    )
    if not quiet:
        print(transcript)
    print(
        f"\nMentorbot demo: {joined} of {len(workspace)} people joined through /mentoring, HR "
        f"approved {pairs} pairs, and each pair got its kickoff in its own group DM. "
        f"Every step was a signed request into the bot and every message a Web API call to the "
        f"local Slack fake. Transcript: {out_dir / 'transcript.txt'}"
    )
    return 0
