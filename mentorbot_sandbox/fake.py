"""FakeSlack: the assembled local Slack used by tests and ``mentorbot demo``."""

from __future__ import annotations

from types import TracebackType

from .driver import AppDriver


class FakeSlack(AppDriver):
    """A local Slack workspace: Web API server, state, and a driver that plays the users.

    Point slack_sdk at :meth:`start`'s base_url and set :attr:`app_url` to the bot's request
    URL; then drive the bot with slash_command/click/submit_view/send_event and inspect
    messages(), ephemerals(), open_views(), calls, stats and validation_errors.
    """

    def __init__(
        self,
        signing_secret: str = "sandbox-signing-secret",
        bot_token: str = "xoxb-sandbox-token",
        app_url: str | None = None,
        team_id: str = "T0001",
        bot_user_id: str = "UBOT",
        rate_limits: bool = False,
        rate_limit_scale: float = 1.0,
        seed: int = 0,
        *,
        app_id: str = "A0SANDBOX",
        bot_id: str = "B0SANDBOX",
    ) -> None:
        super().__init__(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_token=bot_token,
            seed=seed,
            app_id=app_id,
            bot_id=bot_id,
        )
        self._init_server(rate_limits=rate_limits, rate_limit_scale=rate_limit_scale, seed=seed)
        self._init_driver(signing_secret=signing_secret, app_url=app_url)

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
