"""App Home: published when opened and after every change a person makes."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.context import AppContext
from bot.services.dashboard import personal_view, program_numbers
from bot.views.home import home_view

log = logging.getLogger(__name__)


async def publish_home(ctx: AppContext, user_id: str) -> None:
    """Render and publish one person's home tab; failures are logged, never raised."""
    async with ctx.db.session() as session:
        view = await personal_view(session, user_id, ctx.clock.now())
        numbers = await program_numbers(session) if ctx.is_admin(user_id) else None
        rendered = home_view(view, numbers)
    try:
        await ctx.client.views_publish(user_id=user_id, view=rendered)
    except (SlackApiError, OSError, TimeoutError) as exc:
        log.warning("home not published", extra={"user": user_id, "error_type": type(exc).__name__})


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict) -> None:
        if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
            await publish_home(ctx, event["user"])
