"""Opening a modal on a trigger id, shared by every flow that opens one."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.context import AppContext
from bot.texts import text

log = logging.getLogger(__name__)


async def open_modal(
    ctx: AppContext, trigger_id: str, view: dict[str, Any], *, command: str
) -> str | None:
    """Open `view`; if Slack refuses (stale trigger, outage), return what to tell the person:
    run `/mentoring <command>` again."""
    try:
        await ctx.client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, OSError, TimeoutError) as exc:
        log.warning(
            "modal not opened",
            extra={"callback": view.get("callback_id"), "error_type": type(exc).__name__},
        )
        return text("errors.slack_down", command=command)
    return None
