"""What a person does in Slack, as test steps: every step is a signed request from the fake."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.local import LocalBot

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


def add_person(bot: LocalBot, user_id: str, name: str, tz: str = "Europe/London") -> None:
    bot.fake.add_user(user_id, name.lower().replace(" ", "."), real_name=name, tz=tz)


def texts_of(messages: list[Any]) -> str:
    """All the words of a list of fake messages (text and blocks), for assertions."""
    from bot.sandbox.render import render_blocks

    parts = []
    for message in messages:
        data = message if isinstance(message, dict) else vars(message)
        parts.append(data.get("text") or "")
        if data.get("blocks"):
            parts.append(render_blocks(data["blocks"]))
    return "\n".join(parts)
