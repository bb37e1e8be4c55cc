"""`mentorbot demo`: a whole program against the local Slack fake, through the real code paths.

Every action is a signed request into the bot (slash commands, modal submissions, button clicks)
and every message is a Web API call out of it. The clock is simulated: each program week the
scheduler's passes run as they would in production (hourly over the check-in day, the nudge pass
each morning), and synthetic people click and answer with seeded, varied behaviour: most pairs
meet, some skip weeks, one pair stalls, one person pauses, one leaves and their partner is
rematched (or told why they wait). Half-way through HR opens a second, shorter program that
late joiners choose in the sign-up modal; both close by themselves after their last week, with
a wrap-up in each pair's DM and a final report for HR. HR finally asks for the first program's
report, its chart and the CSV in the HR channel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot import db as dbmod
from bot import ids
from bot.clock import FixedClock
from bot.models import (
    Checkin,
    Nudge,
    Pair,
    PairStatus,
    Participant,
    Program,
    ProgramStatus,
    Response,
)
from bot.scheduler.checkins import run_checkins
from bot.scheduler.closing import run_closing
from bot.scheduler.kickoffs import run_kickoffs
from bot.scheduler.nudges import run_nudges
from bot.services.programs import closes_on
from bot.texts import counted
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot
from mentorbot_sandbox.people import Person, synthetic_people
from mentorbot_sandbox.render import render_blocks

DEMO_START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)  # Monday; the program starts a week later
PROGRAM_START = DEMO_START.date() + dt.timedelta(days=7)
FIRST_PROGRAM = "Reverse mentoring, spring cohort"
SECOND_PROGRAM = "Engineering sprint"
LEARNED = [
    "How to turn a messy spreadsheet into a dashboard in ten minutes",
    "Why the budget cycle starts in September, and who really decides",
    "Prompting tricks for summarising long email threads",
    "How to push back on a senior stakeholder without burning the bridge",
    "What early-career colleagues expect from a good one-to-one",
    "How the board reads a business case",
]


class Progress:
    """A one-line progress bar on stderr (silent with --quiet or when not a terminal)."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.done = total, 0
        self.enabled = not quiet and sys.stderr.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {label:<44}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")


@dataclass
class Story:
    """What the simulation decided, for the closing summary."""

    paused: str | None = None
    left: str | None = None
    rematched: int = 0
    waiting: bool = False  # the left-behind partner was told why they wait
    stalled_pair: int | None = None
    late_joiners: int = 0
    closed: int = 0
    confirmed: int = 0
    moved_channel: str | None = None


class Demo:
    def __init__(self, bot: LocalBot, people: list[Person], weeks: int, seed: int) -> None:
        self.bot, self.people, self.weeks = bot, people, weeks
        self.rng = random.Random(seed)
        self.by_id = {p.user_id: p for p in people}
        self.story = Story()
        self.answered: set[str] = set()  # check-in messages already reacted to
        self.confidence: dict[str, dict[str, int]] = {}  # first answers, per person and topic

    # -- Slack steps (signed requests through the fake) -----------------------------------------
    async def modal(self, user: str, command: str, values: dict[str, Any]) -> None:
        before = {v["id"] for v in self.bot.fake.open_views(user)}
        await self.bot.fake.slash_command(user, text=command)
        views = await self.bot.fake.wait_for(
            lambda: [v for v in self.bot.fake.open_views(user) if v["id"] not in before], timeout=15
        )
        result = await self.bot.fake.submit_view(user, views[-1]["id"], values)
        if result.errors:
            raise RuntimeError(f"/mentoring {command} refused: {result.errors}")

    async def open_program(self) -> None:
        await self.modal(
            HR_ADMIN_ID,
            "admin program",
            {
                ids.A_PROGRAM_NAME: FIRST_PROGRAM,
                ids.A_PROGRAM_START: PROGRAM_START.isoformat(),
                ids.A_PROGRAM_LENGTH: str(self.weeks),
                ids.A_PROGRAM_CADENCE: "1",
                ids.A_PROGRAM_WEEKDAY: "tue",
                ids.A_PROGRAM_TIME: "10:00",
                ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
            },
        )

    async def open_second_program(self, start: dt.date, weeks: int) -> None:
        """HR opens a shorter program half-way through the first one."""
        await self.modal(
            HR_ADMIN_ID,
            "admin program new",
            {
                ids.A_PROGRAM_NAME: SECOND_PROGRAM,
                ids.A_PROGRAM_START: start.isoformat(),
                ids.A_PROGRAM_LENGTH: str(weeks),
                ids.A_PROGRAM_CADENCE: "1",
                ids.A_PROGRAM_WEEKDAY: "tue",
                ids.A_PROGRAM_TIME: "10:00",
                ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
            },
        )

    async def program_id(self, name: str) -> int:
        async with self.bot.ctx.db.session() as session:
            found = await session.scalar(select(Program.id).where(Program.name == name))
        assert found is not None
        return found

    async def join(self, person: Person, program_id: int | None = None) -> None:
        """Sign up through the modal; with several programs open it asks which (`program_id`)."""
        async with self.bot.ctx.db.session() as session:
            open_now = await session.scalar(
                select(func.count()).where(Program.status == ProgramStatus.OPEN)
            )
        choice = {ids.A_JOIN_PROGRAM: str(program_id)} if program_id and open_now > 1 else {}
        await self.modal(
            person.user_id,
            "join",
            choice
            | {
                ids.A_ROLE: person.role,
                ids.A_EXPERIENCE: person.band,
                ids.A_DEPARTMENT: person.department,
                ids.A_MANAGER: person.manager_id,
                ids.A_SHARE_TOPICS: list(person.share),
                ids.A_LEARN_TOPICS: list(person.learn),
                ids.A_TIMEZONE: person.tz,
                ids.A_DAYS: list(person.days),
                ids.A_TIME_OF_DAY: person.time_of_day,
                ids.A_MEETING_LENGTH: self.rng.choice(["30", "45"]),
                ids.A_GOAL["category"]: person.goal_category,
                ids.A_GOAL["description"]: person.goal,
                ids.A_CONSENT: ["quote"] if self.rng.random() < 0.3 else [],
            },
        )
        if person.learn:
            await self.rate_confidence(person.user_id)

    async def rate_confidence(self, user: str) -> None:
        """After signing up: the DM's "Rate my confidence" button, then 1-3 for each topic."""
        fake = self.bot.fake
        asks = await fake.wait_for(
            lambda: [m for m in fake.dm_messages(user) if "how confident" in m["text"]],
            timeout=15,
        )
        before = {v["id"] for v in fake.open_views(user)}
        await fake.click(user, ids.CONFIDENCE_OPEN, channel=asks[-1]["channel"], ts=asks[-1]["ts"])
        views = await fake.wait_for(
            lambda: [v for v in fake.open_views(user) if v["id"] not in before], timeout=15
        )
        await self.answer_confidence(user, views[-1], lambda: self.rng.choice([1, 2, 2, 3]))

    async def answer_confidence(self, user: str, view: dict, rating: Any) -> None:
        """Answer every topic of a confidence modal; remembers the first answers per person."""
        blocks = [b["block_id"] for b in view["blocks"] if b.get("type") == "input"]
        start = self.confidence.setdefault(user, {})
        values = {}
        for block in blocks:
            value = min(5, start[block] + rating()) if block in start else rating()
            start.setdefault(block, value)
            values[(block, ids.A_CONFIDENCE)] = str(value)
        await self.bot.fake.submit_view(user, view["id"], values)

    async def match_and_approve(self, program: str = FIRST_PROGRAM) -> bool:
        """HR asks for matches in the HR channel, reads the proposal, approves it."""
        fake = self.bot.fake
        before = len(fake.messages(HR_CHANNEL_ID))
        await fake.slash_command(
            HR_ADMIN_ID, text=f"admin match {program}", channel_id=HR_CHANNEL_ID
        )
        proposal = await fake.wait_for(
            lambda: [
                m
                for m in fake.messages(HR_CHANNEL_ID)[before:]
                if any(b.get("type") == "actions" for b in m.get("blocks") or [])
            ],
            timeout=30,
        )
        if not any(
            e["action_id"] == ids.MATCH_APPROVE
            for b in proposal[-1]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        ):
            return False  # nobody could be matched this time; they were told why
        sent_before = self.kickoff_notes()
        await fake.click(
            HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal[-1]["ts"]
        )
        await fake.wait_for(lambda: self.kickoff_notes() > sent_before, timeout=60)
        return True

    def kickoff_notes(self) -> int:
        return sum("Kickoffs sent" in m["text"] for m in self.bot.fake.messages(HR_CHANNEL_ID))

    # -- the weekly rhythm -------------------------------------------------------------------
    async def run_scheduler_week(self, monday: dt.date) -> None:
        """The check-in pass over the working week (every 10 minutes in production; every six
        hours here): pairs with a confirmed meeting get theirs after it, others on Tuesday."""
        start = dt.datetime.combine(monday, dt.time(12), tzinfo=dt.UTC)
        for step in range(0, 4 * 24 + 12, 6):
            self.bot.clock.set(start + dt.timedelta(hours=step))
            await run_checkins(self.bot.ctx)

    # -- meeting times -------------------------------------------------------------------------
    def with_action(self, channel: str, action_id: str) -> dict | None:
        found = [
            m
            for m in self.bot.fake.messages(channel)
            if any(
                e.get("action_id") == action_id
                for b in m.get("blocks") or []
                if b.get("type") == "actions"
                for e in b["elements"]
            )
        ]
        return found[-1] if found else None

    def calendar_files(self, channel: str) -> list[bytes]:
        return [
            self.bot.fake.files[f["id"]]["content"]
            for m in self.bot.fake.messages(channel)
            for f in m.get("files") or []
        ]

    async def agree_meetings(self) -> None:
        """Most pairs say "Works for us" to the proposed time (one of the two, at random); the
        stalled pair and one other never do, and keep the program's check-in time."""
        pairs = await self.active_pairs()
        undecided = {self.story.stalled_pair, pairs[-2][0] if len(pairs) > 5 else None}
        for pair_id, channel, sharer, learner in pairs:
            proposal = self.with_action(channel, ids.MEETING_CONFIRM)
            if pair_id in undecided or proposal is None:
                continue
            clicker = self.rng.choice([sharer, learner])
            await self.bot.fake.click(
                clicker, ids.MEETING_CONFIRM, channel=channel, ts=proposal["ts"]
            )
            await self.bot.fake.wait_for(lambda c=channel: self.calendar_files(c), timeout=15)
            self.story.confirmed += 1

    async def move_this_week(self) -> None:
        """The first pair with a confirmed time moves this week's meeting a day later."""
        fake = self.bot.fake
        found = [
            (channel, sharer, message)
            for _pair, channel, sharer, _learner in await self.active_pairs()
            if (message := self.with_action(channel, ids.MEETING_MOVE)) is not None
        ]
        if not found:
            return
        channel, sharer, message = found[0]
        before = {v["id"] for v in fake.open_views(sharer)}
        await fake.click(sharer, ids.MEETING_MOVE, channel=channel, ts=message["ts"])
        views = await fake.wait_for(
            lambda: [v for v in fake.open_views(sharer) if v["id"] not in before], timeout=15
        )
        day = next(b for b in views[-1]["blocks"] if b.get("block_id") == ids.B_MEETING_DAY)
        weekday = day["element"]["initial_option"]["value"]
        later = {"mon": "tue", "tue": "wed", "wed": "thu", "thu": "fri", "fri": "thu"}
        uploaded = len(self.calendar_files(channel))
        result = await fake.submit_view(
            sharer, views[-1]["id"], {ids.A_MEETING_DAY: later[weekday]}
        )
        if result.errors:
            return
        asked = [
            v for v in fake.open_views(sharer) if v["callback_id"] == ids.MEETING_ANYWAY_CALLBACK
        ]
        if asked:  # outside someone's hours or days: they move it anyway
            await fake.submit_view(sharer, asked[-1]["id"], {})
        await fake.wait_for(lambda: len(self.calendar_files(channel)) > uploaded, timeout=15)
        self.story.moved_channel = channel

    async def active_pairs(self) -> list[tuple[int, str, str, str]]:
        async with self.bot.ctx.db.session() as session:
            rows = (
                await session.execute(
                    select(Pair.id, Pair.dm_channel_id, Participant.slack_user_id, Pair.learner_id)
                    .join(Participant, Participant.id == Pair.sharer_id)
                    .where(Pair.status == PairStatus.ACTIVE, Pair.dm_channel_id.is_not(None))
                    .order_by(Pair.id)
                )
            ).all()
            result = []
            for pair_id, channel, sharer, learner_pk in rows:
                learner = await session.get(Participant, learner_pk)
                assert learner is not None
                result.append((pair_id, channel, sharer, learner.slack_user_id))
        return result

    async def latest_checkin(self, channel: str) -> dict | None:
        messages = [
            m
            for m in self.bot.fake.messages(channel)
            if any(
                e.get("action_id") == ids.CHECKIN_MET
                for b in m.get("blocks") or []
                if b.get("type") == "actions"
                for e in b["elements"]
            )
        ]
        return messages[-1] if messages else None

    async def answer(self, week: int) -> None:
        """Each pair reacts to this week's check-in with its own habits."""
        fake = self.bot.fake
        for pair_id, channel, sharer, learner in await self.active_pairs():
            message = await self.latest_checkin(channel)
            if message is None or message["ts"] in self.answered:
                continue
            self.answered.add(message["ts"])
            if pair_id == self.story.stalled_pair and week >= 3:
                continue  # this pair has gone quiet: reminders, then the at-risk note
            roll = self.rng.random()
            clicker = self.rng.choice([sharer, learner])
            if roll < 0.72:
                await fake.click(clicker, ids.CHECKIN_MET, channel=channel, ts=message["ts"])
                for person in (sharer, learner):
                    if self.rng.random() < 0.75:
                        await self.feedback(person, channel, message["ts"], met=True)
            elif roll < 0.82:
                await fake.click(clicker, ids.CHECKIN_LATER, channel=channel, ts=message["ts"])
            else:
                await fake.click(clicker, ids.CHECKIN_SKIP, channel=channel, ts=message["ts"])
            if self.rng.random() < 0.35:
                thumbs = (
                    ids.CHECKIN_THUMBS_UP if self.rng.random() < 0.8 else ids.CHECKIN_THUMBS_DOWN
                )
                await fake.click(clicker, thumbs, channel=channel, ts=message["ts"])
            if "survey" in message["text"] or any(
                e.get("action_id") == ids.CHECKIN_SURVEY
                for b in message.get("blocks") or []
                if b.get("type") == "actions"
                for e in b["elements"]
            ):
                for person in (sharer, learner):
                    await self.survey(person, channel, message["ts"])

    async def feedback(self, user: str, channel: str, ts: str, *, met: bool) -> None:
        fake = self.bot.fake
        before = {v["id"] for v in fake.open_views(user)}
        await fake.click(user, ids.CHECKIN_FEEDBACK, channel=channel, ts=ts)
        views = await fake.wait_for(
            lambda: [v for v in fake.open_views(user) if v["id"] not in before], timeout=15
        )
        view = views[-1]
        values: dict[Any, Any] = {
            ids.A_FB_MET: "met" if met else "skipped",
            ids.A_FB_USEFUL: str(self.rng.choice([3, 4, 4, 5, 5])),
            ids.A_FB_CANDOUR: str(self.rng.choice([3, 4, 4, 5])),
            ids.A_FB_LEARNED: self.rng.choice(LEARNED),
            ids.A_FB_QUOTE: ["quote"] if self.rng.random() < 0.3 else [],
        }
        for block in view["blocks"]:
            if block.get("block_id", "").startswith("fb_goal_"):
                current = int(block["element"]["initial_option"]["value"])
                values[(block["block_id"], ids.A_FB_GOAL)] = str(min(100, current + 25))
        await fake.submit_view(user, view["id"], values)

    async def survey(self, user: str, channel: str, ts: str) -> None:
        fake = self.bot.fake
        before = {v["id"] for v in fake.open_views(user)}
        await fake.click(user, ids.CHECKIN_SURVEY, channel=channel, ts=ts)
        views = await fake.wait_for(
            lambda: [v for v in fake.open_views(user) if v["id"] not in before], timeout=15
        )
        result = await fake.submit_view(
            user,
            views[-1]["id"],
            {
                ids.A_SV_RECOMMEND: str(self.rng.choice([6, 8, 9, 9, 10, 10])),
                ids.A_SV_ATTAINMENT: str(self.rng.choice([3, 4, 4, 5])),
                ids.A_SV_CHANGED: "I ask for a quick demo before dismissing a new tool.",
            },
        )
        if result.view is not None and result.view["callback_id"] == ids.CONFIDENCE_CALLBACK:
            # The end survey asks again: most people feel more confident than at the start.
            await self.answer_confidence(user, result.view, lambda: self.rng.choice([0, 1, 1, 2]))

    async def life_events(self, week: int) -> None:
        """One person pauses for two weeks; another leaves and their partner is rematched."""
        pairs = await self.active_pairs()
        if week == 3 and len(pairs) > 2:
            _, _, sharer, _ = pairs[1]
            await self.bot.fake.slash_command(sharer, text="pause 2")
            self.story.paused = sharer
        if week == 5 and len(pairs) > 3:
            _, _, sharer, learner = pairs[2]
            fake = self.bot.fake
            before = len(fake.messages(HR_CHANNEL_ID))
            await self.modal(learner, "leave", {})
            self.story.left = learner
            # Nobody stranded: within seconds HR has a rematch proposal, or the partner is told
            # plainly why they wait.
            outcome = await fake.wait_for(
                lambda: (
                    [
                        m
                        for m in fake.messages(HR_CHANNEL_ID)[before:]
                        if "without a partner" in render_blocks(m.get("blocks"))
                    ]
                    or [m for m in fake.dm_messages(sharer) if "waiting list" in m["text"]]
                ),
                timeout=30,
            )
            if outcome[-1].get("channel") == HR_CHANNEL_ID:
                sent_before = self.kickoff_notes()
                await fake.click(
                    HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=outcome[-1]["ts"]
                )
                await fake.wait_for(lambda: self.kickoff_notes() > sent_before, timeout=60)
                self.story.rematched += 1
            else:
                self.story.waiting = True
                await self.newcomer_for(learner, before=len(fake.messages(HR_CHANNEL_ID)))
            await run_kickoffs(self.bot.ctx)

    async def newcomer_for(self, leaver: str, *, before: int) -> None:
        """A colleague with a profile like the leaver's joins the first program: HR gets a
        proposal for whoever was waiting, and approves it."""
        fake = self.bot.fake
        newcomer = dataclasses.replace(
            self.by_id[leaver], user_id="U0NEWCOMR", name="Noor Haddad", manager_id=None
        )
        fake.add_user(newcomer.user_id, "noor.haddad", real_name=newcomer.name, tz=newcomer.tz)
        self.by_id[newcomer.user_id] = newcomer
        await self.join(newcomer, await self.program_id(FIRST_PROGRAM))
        try:
            proposal = await fake.wait_for(
                lambda: [
                    m
                    for m in fake.messages(HR_CHANNEL_ID)[before:]
                    if "Someone who fits joined" in render_blocks(m.get("blocks"))
                ],
                timeout=30,
            )
        except TimeoutError:
            return  # the newcomer did not fit either: everyone waiting was told why
        sent_before = self.kickoff_notes()
        await fake.click(
            HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal[-1]["ts"]
        )
        await fake.wait_for(lambda: self.kickoff_notes() > sent_before, timeout=60)
        self.story.rematched += 1

    async def play(self, progress: Progress) -> None:
        await self.open_program()
        progress.step("HR opened the program")
        late = max(4, len(self.people) // 4)  # they join the second program, half-way through
        first_round, late_joiners = self.people[:-late], self.people[-late:]
        for person in first_round:
            await self.join(person)
            progress.step(f"{person.name} joined")
        await self.match_and_approve()
        pairs = await self.active_pairs()
        self.story.stalled_pair = pairs[-1][0] if len(pairs) > 4 else None
        progress.step("HR approved matches; kickoffs sent")
        await self.agree_meetings()
        for week in range(2, self.weeks + 1):
            monday = PROGRAM_START + dt.timedelta(weeks=week - 1)
            self.bot.clock.set(dt.datetime.combine(monday, dt.time(10), tzinfo=dt.UTC))
            await run_nudges(self.bot.ctx)  # reminders, and at-risk flags for stalled pairs
            if week == 2:
                await self.move_this_week()
            await self.run_scheduler_week(monday)
            await self.life_events(week)
            await self.answer(week)
            if week == self.weeks // 2:
                await self.second_program(late_joiners, week)
            progress.step(f"week {week} of {self.weeks}")
        end = PROGRAM_START + dt.timedelta(weeks=self.weeks)
        self.bot.clock.set(dt.datetime.combine(end, dt.time(10), tzinfo=dt.UTC))
        await run_nudges(self.bot.ctx)
        await self.close_programs()

    async def second_program(self, people: list[Person], week: int) -> None:
        """HR opens a shorter program starting now; late joiners pick it in the sign-up modal."""
        start = PROGRAM_START + dt.timedelta(weeks=week)
        await self.open_second_program(start, self.weeks - week)
        program_id = await self.program_id(SECOND_PROGRAM)
        for person in people:
            await self.join(person, program_id)
        self.story.late_joiners = len(people)
        await self.match_and_approve(SECOND_PROGRAM)

    async def close_programs(self) -> None:
        """A week after their last check-in (the end survey's time), both programs close by
        themselves: each pair gets its wrap-up, HR its final report."""
        async with self.bot.ctx.db.session() as session:
            programs = (await session.scalars(select(Program))).all()
            last = max(closes_on(p) for p in programs)
        self.bot.clock.set(dt.datetime.combine(last, dt.time(9), tzinfo=dt.UTC))
        await run_closing(self.bot.ctx)
        async with self.bot.ctx.db.session() as session:
            self.story.closed = (
                await session.scalar(
                    select(func.count()).where(Program.status == ProgramStatus.CLOSED)
                )
                or 0
            )

    async def hr_report(self) -> dict[str, bytes]:
        """HR asks in the HR channel; returns what Slack received (report text, chart, CSV)."""
        fake = self.bot.fake
        files_before = len(fake.files)

        def shared_files() -> list[dict]:
            """Uploads Slack has completed into the HR channel (step 3 of the external upload)."""
            return [
                f
                for f in list(fake.files.values())[files_before:]
                if f.get("content") is not None and HR_CHANNEL_ID in (f.get("channels") or [])
            ]

        await fake.slash_command(
            HR_ADMIN_ID, text=f"report {FIRST_PROGRAM}", channel_id=HR_CHANNEL_ID
        )
        await fake.slash_command(
            HR_ADMIN_ID, text=f"report csv {FIRST_PROGRAM}", channel_id=HR_CHANNEL_ID
        )
        await fake.wait_for(lambda: len(shared_files()) >= 2, timeout=60)
        report = next(
            m
            for m in reversed(fake.messages(HR_CHANNEL_ID))
            if "Mentoring report" in render_blocks(m.get("blocks"))
        )
        outputs = {"report.txt": (render_blocks(report["blocks"]) + "\n").encode()}
        for upload in shared_files():
            outputs["chart.png" if upload["name"].endswith(".png") else "weekly.csv"] = upload[
                "content"
            ]
        return outputs

    async def featured_pair(self) -> list[str]:
        """The two people of the first program's first pair (their pair ended at the close)."""
        async with self.bot.ctx.db.session() as session:
            pair = await session.scalar(select(Pair).order_by(Pair.id).limit(1))
            if pair is None:
                return []
            people = [
                await session.get(Participant, pid) for pid in (pair.sharer_id, pair.learner_id)
            ]
        return [p.slack_user_id for p in people if p is not None]

    def transcript(self, who: list[str]) -> str:
        """What HR and a few people saw in Slack, rendered as text."""
        fake = self.bot.fake
        lines: list[str] = []
        for user in who:
            person = self.by_id[user]
            lines += [
                "=" * 72,
                f"What {person.name} ({user}) saw",
                "=" * 72,
                "-- their DMs with Mentorbot",
            ]
            lines += [f"  {m['text']}" for m in fake.dm_messages(user)[:6]]
            for channel, messages in fake.group_dms_of(user):
                lines.append(
                    f"-- group DM {channel} ({len(messages)} messages; first 6 and the last)"
                )
                shown = messages[:6] + messages[-1:] if len(messages) > 7 else messages
                for message in shown:
                    lines += [render_blocks(message.get("blocks")) or message["text"], ""]
        lifecycle = [
            m
            for m in fake.messages(HR_CHANNEL_ID)
            if any(
                mark in f"{m['text']}\n{render_blocks(m.get('blocks'))}"
                for mark in ("without a partner", "Someone who fits joined", "Final report")
            )
        ]
        lines += ["=" * 72, "What HR saw in #mentoring-hr: rematches and final reports", "=" * 72]
        for message in lifecycle:
            first_line = message["text"].split("\n")[0]
            lines += [first_line, render_blocks(message.get("blocks")) or "", ""]
        lines += ["=" * 72, "What HR saw in #mentoring-hr (last 4 messages)", "=" * 72]
        for message in fake.messages(HR_CHANNEL_ID)[-4:]:
            lines += [render_blocks(message.get("blocks")) or message["text"], ""]
        return "\n".join(lines)


async def database_totals(bot: LocalBot) -> dict[str, int]:
    async with bot.ctx.db.session() as session:
        count = lambda model, *w: session.scalar(select(func.count()).select_from(model).where(*w))  # noqa: E731
        return {
            "people": await count(Participant) or 0,
            "pairs": await count(Pair) or 0,
            "checkins": await count(Checkin, Checkin.kind == "checkin") or 0,
            "answers": await count(Response, Response.feedback_submitted_at.is_not(None)) or 0,
            "at_risk": await count(Pair, Pair.at_risk.is_(True)) or 0,
            # What HR received: one note per pair per run of missed check-ins.
            "at_risk_notes": await count(Nudge, Nudge.kind == "at_risk_note") or 0,
            "flagged_pairs": await session.scalar(
                select(func.count(func.distinct(Nudge.pair_id))).where(Nudge.kind == "at_risk_note")
            )
            or 0,
        }


async def run_demo(
    *,
    people: int,
    weeks: int,
    seed: int,
    out: str,
    quiet: bool,
    database_url: str | None = None,
    socket_mode: bool = False,
) -> int:
    """Play a program end to end; returns the process exit status.

    `database_url` (tests) keeps the database for inspection; by default it is a throwaway
    SQLite file, migrated with the real migrations. `socket_mode` connects the bot to the fake
    over Socket Mode, so every step is an envelope on that connection instead of an HTTP request.
    """
    if people < 4 or not 4 <= weeks <= 26:
        print("mentorbot demo: use --people 4 or more and --weeks from 4 to 26", file=sys.stderr)
        return 2
    out_dir = Path(out)
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    workspace = synthetic_people(people, seed)
    progress = Progress(total=len(workspace) + weeks + 2, quiet=quiet)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = database_url or f"sqlite:///{tmp}/demo.sqlite3"
        if database_url is None:
            await asyncio.to_thread(dbmod.upgrade, db_url)
        async with LocalBot(
            db_url, clock=FixedClock(DEMO_START), seed=seed, socket_mode=socket_mode
        ) as bot:
            for person in workspace:
                bot.fake.add_user(
                    person.user_id,
                    person.name.lower().replace(" ", "."),
                    real_name=person.name,
                    tz=person.tz,
                )
            demo = Demo(bot, workspace, weeks, seed)
            await demo.play(progress)
            outputs = await demo.hr_report()
            featured = await demo.featured_pair() or [workspace[0].user_id]
            transcript = demo.transcript(featured)
            if demo.story.moved_channel:  # the moved week's update: series, override, VTIMEZONE
                outputs["meeting.ics"] = demo.calendar_files(demo.story.moved_channel)[-1]
            totals = await database_totals(bot)
            story = demo.story
        progress.close()
    outputs["transcript.txt"] = (transcript + "\n").encode()
    saved = [out_dir / name for name in outputs]
    for path in saved:
        await asyncio.to_thread(path.write_bytes, outputs[path.name])
    if not quiet:
        print(transcript)
    if story.rematched and story.waiting:
        rematch = (
            "one person left; their partner was told why they wait, and was rematched as soon "
            "as a fitting colleague joined"
        )
    elif story.rematched:
        rematch = "including a rematch proposed within seconds after someone left"
    elif story.waiting:
        rematch = "one person left; their partner was told why they wait for a new match"
    else:
        rematch = "nobody left"
    step = "an envelope over Socket Mode" if socket_mode else "a signed request"
    print(
        f"\nMentorbot demo, {weeks} weeks on a simulated clock: {totals['people']} people joined "
        f"through /mentoring and the sign-up modal, HR approved {totals['pairs']} pairs "
        f"({rematch}); {story.confirmed} pairs confirmed a regular meeting time and got a "
        f"calendar invite, one moved a week, and "
        f"{totals['checkins']} weekly check-ins went to the pairs' group DMs, each exactly once. "
        f"Half-way through HR opened a second, shorter program that {story.late_joiners} late "
        f"joiners chose in the sign-up modal; {story.closed} programs closed by themselves after "
        f"their last week, with a wrap-up in each pair's DM and a final report for HR. "
        f"People answered {totals['answers']} times in private feedback; one person paused and "
        f"one pair went quiet. HR received {counted(totals['at_risk_notes'], 'at_risk_note')} "
        f"about {counted(totals['flagged_pairs'], 'pair')} (one per run of missed check-ins); "
        f"{counted(totals['at_risk'], 'pair')} {'was' if totals['at_risk'] == 1 else 'were'} "
        "still flagged at risk at the end. "
        f"Every step was {step} into the bot and every message a Web API call to the "
        f"local Slack fake.\nFiles: " + ", ".join(str(path) for path in saved)
    )
    return 0
