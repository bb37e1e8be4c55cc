"""App Home: published when a person opens it (and, from `bot.outbox`, after every change)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.listeners import Replay, Routes, app_context
from bot.outbox import publish_home


async def on_home_opened(
    body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
        await publish_home(app_context(context), event["user"], delivery=body)


def register(routes: Routes) -> None:
    routes.event("app_home_opened", on_home_opened, Replay.IN_TRANSACTION)
