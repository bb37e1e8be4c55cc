"""What a person does in Slack, as test steps: every step is a signed request from the fake."""

from __future__ import annotations

from typing import Any

from bot import ids
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID, LocalBot

DEFAULT_ANSWERS: dict[str, Any] = {
    ids.A_ROLE: "share",
    ids.A_EXPERIENCE: "0-2",
    ids.A_DEPARTMENT: "Marketing",
    ids.A_SHARE_TOPICS: ["generative AI tools", "social media and short video"],
    ids.A_LEARN_TOPICS: ["strategic planning"],
    ids.A_TIMEZONE: "Europe/London",
    ids.A_DAYS: ["tue", "wed", "thu"],
    ids.A_TIME_OF_DAY: "morning",
    ids.A_MEETING_LENGTH: "30",
}


async def open_modal(bot: LocalBot, user_id: str, text: str) -> dict[str, Any]:
    """Run `/mentoring <text>` and return the modal it opened."""

    def top_id() -> str | None:
        stack = bot.fake.open_views(user_id)
        return stack[-1]["id"] if stack else None

    before = top_id()
    result = await bot.fake.slash_command(user_id, text=text)
    assert result.status == 200, result.body
    await bot.fake.wait_for(lambda: top_id() not in (None, before))
    return bot.fake.open_views(user_id)[-1]


async def join(bot: LocalBot, user_id: str, **answers: Any):
    """Sign up through the modal with sensible defaults; returns the submission result."""
    view = await open_modal(bot, user_id, "join")
    values = {**DEFAULT_ANSWERS, **answers}
    return await bot.fake.submit_view(user_id, view["id"], values)


#: A senior partner from Finance who wants to learn generative AI (rematch, next round).
LEARNER_ANSWERS = {
    ids.A_ROLE: "learn",
    ids.A_EXPERIENCE: "21+",
    ids.A_DEPARTMENT: "Finance",
    ids.A_SHARE_TOPICS: ["strategic planning"],
    ids.A_LEARN_TOPICS: ["generative AI tools"],
}


def add_person(bot: LocalBot, user_id: str, name: str, tz: str = "Europe/London") -> None:
    bot.fake.add_user(user_id, name.lower().replace(" ", "."), real_name=name, tz=tz)


def texts_of(messages: list[Any]) -> str:
    """All the words of a list of fake messages (text and blocks), for assertions."""
    from mentorbot_sandbox.render import render_blocks

    parts = []
    for message in messages:
        data = message if isinstance(message, dict) else vars(message)
        parts.append(data.get("text") or "")
        if data.get("blocks"):
            parts.append(render_blocks(data["blocks"]))
    return "\n".join(parts)


SHARERS = {"U0AISHA01": "Aisha Okafor", "U0LENA001": "Lena Lindqvist"}
LEARNERS = {"U0MARCUS1": "Marcus Rossi", "U0KENJI01": "Kenji Tanaka"}
ODD_ONE = ("U0SOLO001", "Solo Murphy")


async def open_program(bot) -> None:
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        view["id"],
        {
            ids.A_PROGRAM_NAME: "Spring cohort",
            ids.A_PROGRAM_START: "2026-01-12",
            ids.A_PROGRAM_LENGTH: "12",
            ids.A_PROGRAM_CADENCE: "1",
            ids.A_PROGRAM_WEEKDAY: "tue",
            ids.A_PROGRAM_TIME: "10:00",
            ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
        },
    )
    assert not result.errors, result.errors


async def enrol_everyone(bot, *, odd_one: bool = False) -> None:
    await open_program(bot)
    for user, name in SHARERS.items():
        add_person(bot, user, name)
        await join(bot, user)
    for user, name in LEARNERS.items():
        add_person(bot, user, name)
        await join(
            bot,
            user,
            **{
                ids.A_ROLE: "learn",
                ids.A_EXPERIENCE: "21+",
                ids.A_DEPARTMENT: "Finance",
                ids.A_SHARE_TOPICS: ["strategic planning"],
                ids.A_LEARN_TOPICS: ["generative AI tools"],
                ids.A_GOAL["category"]: "tech_upskilling",
                ids.A_GOAL["description"]: "Use an AI assistant every week",
            },
        )
    if odd_one:  # wants to learn something no sharer offers
        add_person(bot, *ODD_ONE)
        await join(
            bot,
            ODD_ONE[0],
            **{
                ids.A_ROLE: "learn",
                ids.A_EXPERIENCE: "21+",
                ids.A_SHARE_TOPICS: ["negotiation"],
                ids.A_LEARN_TOPICS: ["gaming and online communities"],
            },
        )


def proposals(bot) -> list:
    return [m for m in bot.fake.messages(HR_CHANNEL_ID) if "Matching proposal" in texts_of([m])]


async def request_match(bot, program: str | None = None) -> dict:
    """HR asks for a proposal (for the named program: needed while several are open)."""
    before = len(proposals(bot))
    command = f"admin match {program}" if program else "admin match"
    await bot.fake.slash_command(HR_ADMIN_ID, text=command, channel_id=HR_CHANNEL_ID)
    return await bot.fake.wait_for(lambda: len(proposals(bot)) > before and proposals(bot)[-1])


async def approve_latest(bot) -> None:
    """HR clicks "Approve all" on the newest proposal and the kickoffs go out."""
    proposal = proposals(bot)[-1]
    await bot.fake.click(HR_ADMIN_ID, ids.MATCH_APPROVE, channel=HR_CHANNEL_ID, ts=proposal["ts"])
    await bot.fake.wait_for(
        lambda: any("Kickoffs sent" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )


async def paired_program(bot) -> None:
    """Four people joined, matched and kicked off: two pairs, each in its group DM."""
    await enrol_everyone(bot)
    await request_match(bot)
    await approve_latest(bot)
