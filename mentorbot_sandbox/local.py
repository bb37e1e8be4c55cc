"""The bot and the local Slack fake, wired together on loopback.

Used by `mentorbot demo` and by the tests: the bot is the real app (signature checks, Bolt,
database, Web API client), the fake plays Slack on the other side of real HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.app import build_bolt_app, build_context, build_web_app
from bot.clock import Clock, FixedClock
from bot.config import Settings, load_settings
from bot.context import AppContext
from bot.db import Database
from bot.socket_mode import SocketModeConnection
from mentorbot_sandbox import FakeSlack

HR_ADMIN_ID = "UHRADMIN1"
HR_CHANNEL_ID = "CHRTEAM01"


class LocalBot(AbstractAsyncContextManager["LocalBot"]):
    """`async with LocalBot(db_url) as bot:` gives `bot.fake`, `bot.ctx`, `bot.clock`, `bot.url`.

    With `socket_mode=True` the bot connects to the fake over Socket Mode (its app-level token,
    `apps.connections.open`, the WebSocket link) and the fake delivers every request there.
    """

    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock | None = None,
        rate_limits: bool = False,
        rate_limit_scale: float = 1.0,
        seed: int = 0,
        socket_mode: bool = False,
        **settings_overrides: Any,
    ) -> None:
        self.signing_secret = secrets.token_hex(16)
        self.bot_token = "xoxb-local-" + secrets.token_hex(8)
        self.database_url = database_url
        self.clock = clock or FixedClock(dt.datetime.now(dt.UTC))
        self.fake = FakeSlack(
            signing_secret=self.signing_secret,
            bot_token=self.bot_token,
            rate_limits=rate_limits,
            rate_limit_scale=rate_limit_scale,
            seed=seed,
        )
        self.settings_overrides = settings_overrides
        self.socket_mode = socket_mode
        self.socket: SocketModeConnection | None = None
        self.ctx: AppContext
        self.settings: Settings
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> LocalBot:
        base_url = await self.fake.start()
        overrides: dict[str, Any] = {
            "slack_bot_token": self.bot_token,
            "slack_signing_secret": self.signing_secret,
            "slack_api_url": base_url,
            "database_url": self.database_url,
            "hr_admin_ids": HR_ADMIN_ID,
            "hr_channel_id": HR_CHANNEL_ID,
        }
        if self.socket_mode:
            overrides["slack_app_token"] = self.fake.app_token
        overrides.update(self.settings_overrides)
        self.settings = load_settings(None, **overrides)
        self.ctx = build_context(self.settings, db=Database(self.database_url), clock=self.clock)
        bolt_app = build_bolt_app(self.ctx)
        if self.socket_mode:
            self.socket = SocketModeConnection(
                bolt_app, app_token=self.fake.app_token, api_url=base_url
            )
        self._runner = web.AppRunner(build_web_app(self.ctx, bolt_app, self.socket))
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.fake.app_url = f"{self.url}/slack/events"
        if self.socket is not None:
            self.fake.transport = "socket"
            self.socket.start()
            await self.fake.wait_for(lambda: self.socket.connected or self.socket.task.done())
            if not self.socket.connected:
                await self.socket.task  # raises what stopped it
        self.fake.add_user(HR_ADMIN_ID, "hr.admin", real_name="Harriet Admin", tz="Europe/London")
        self.fake.add_channel(HR_CHANNEL_ID, "mentoring-hr", members=[HR_ADMIN_ID])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Let listeners that run after their ack finish before the loop tears them down.
        await asyncio.sleep(0)
        if self.socket is not None:
            await self.socket.close(grace=5)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.ctx.db.dispose()
        await self.fake.stop()
