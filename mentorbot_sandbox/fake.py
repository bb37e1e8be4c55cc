"""FakeSlack: the assembled local Slack used by tests and ``mentorbot demo``."""

from __future__ import annotations

from types import TracebackType

from .socket_mode import SocketModeDriver


class FakeSlack(SocketModeDriver):
    """A local Slack workspace: Web API server, state, and a driver that plays the users.

    Point slack_sdk at :meth:`start`'s base_url and set :attr:`app_url` to the bot's request
    URL; then drive the bot with slash_command/click/submit_view/send_event and inspect
    messages(), ephemerals(), open_views(), calls, stats and validation_errors. With
    ``transport = "socket"`` the same requests go over Socket Mode to an app that connected with
    :attr:`app_token` (see :mod:`mentorbot_sandbox.socket_mode`).
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
        app_token: str = "xapp-1-A0SANDBOX-sandbox-app-token",
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
        self._init_socket_mode(app_token)

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
