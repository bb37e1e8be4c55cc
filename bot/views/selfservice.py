"""Status message and the confirmation dialogs for leaving and deleting data."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.models import ParticipantStatus
from bot.services.dashboard import PersonalView
from bot.texts import text
from bot.views import blocks as b
from bot.views.home import goals_text, local_time, paused_until


def status_blocks(view: PersonalView) -> list[dict[str, Any]]:
    """The ephemeral answer to `/mentoring status`."""
    p = view.participant
    if p is None or p.status == ParticipantStatus.DELETED:
        return [b.section(text("status.not_joined"))]
    lines: list[str] = [
        text("status.program", program=view.program.name if view.program else "none open")
    ]
    if p.status == ParticipantStatus.LEFT:
        lines.append(text("status.left"))
    elif view.partner is not None and view.pair is not None:
        lines.append(
            text(
                "status.partner",
                partner=view.partner.slack_user_id,
                channel=view.pair.dm_channel_id or "",
            )
            if view.pair.dm_channel_id
            else f"*Partner:* <@{view.partner.slack_user_id}>"
        )
    else:
        lines.append(text("status.no_partner"))
    if p.status == ParticipantStatus.PAUSED:
        lines.append(text("status.paused", until=paused_until(view)))
    elif view.next_checkin is not None:
        lines.append(text("status.next_checkin", when=local_time(view.next_checkin, p.timezone)))
    return [
        b.header(text("status.header")),
        b.section("\n".join(lines)),
        b.section(goals_text(view)),
    ]


def confirm_modal(callback_id: str, title: str, body: str, submit: str) -> dict[str, Any]:
    return b.modal(callback_id, title, [b.section(body)], submit=submit, close="Keep me in")


def leave_modal() -> dict[str, Any]:
    return confirm_modal(
        ids.LEAVE_CALLBACK,
        text("self_service.leave_title"),
        text("self_service.leave_body"),
        text("self_service.leave_submit"),
    )


def delete_modal() -> dict[str, Any]:
    return confirm_modal(
        ids.DELETE_CALLBACK,
        text("self_service.delete_title"),
        text("self_service.delete_body"),
        text("self_service.delete_submit"),
    )
