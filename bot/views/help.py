"""The `/mentoring help` message."""

from __future__ import annotations

from typing import Any

from bot.texts import raw, text


def help_blocks(*, is_admin: bool, unknown: str | None = None) -> list[dict[str, Any]]:
    """Commands for everyone, plus the admin ones only for HR admins."""
    lines = [f"• `/mentoring {cmd}`: {what}" for cmd, what in raw("help.commands")]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": text("help.header")}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": text("help.unknown", command=unknown) if unknown else text("help.intro"),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
    ]
    if is_admin:
        admin = [f"• `/mentoring {cmd}`: {what}" for cmd, what in raw("help.admin_commands")]
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*For HR admins*\n" + "\n".join(admin)},
            }
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": text("help.footer")}]}
    )
    return blocks


def help_fallback_text() -> str:
    return text("help.header")
