"""The transport as Slack sees it: signatures, url_verification, health, the slash command."""

import time

import httpx
import pytest

from bot.clock import FixedClock
from mentorbot_sandbox.local import HR_ADMIN_ID, LocalBot
from tests.conftest import START
from tests.flows import add_person

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


async def test_bad_signature_is_rejected_with_401(bot):
    body = b"command=%2Fmentoring&text=help&user_id=U1"
    result = await bot.fake.post_raw(
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Signature": "v0=" + "0" * 64,
            "X-Slack-Request-Timestamp": str(int(time.time())),
        },
        sign=False,
    )
    assert result.status == 401


async def test_stale_signature_is_rejected_with_401(bot):
    body = b"command=%2Fmentoring&text=help&user_id=U1"
    result = await bot.fake.post_raw(
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
        sign=True,
        timestamp=int(time.time()) - 10 * 60,
    )
    assert result.status == 401


async def test_url_verification_answers_the_challenge(bot):
    result = await bot.fake.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert result.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in result.body


async def test_healthz_ok_with_database(bot):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{bot.url}/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


async def test_healthz_503_without_database(tmp_path, db_url):
    unreachable = (
        f"sqlite:///{tmp_path}/missing-dir/x.sqlite3"
        if db_url.startswith("sqlite")
        else "postgresql://postgres@127.0.0.1:1/nowhere"
    )
    async with (
        LocalBot(unreachable, clock=FixedClock(START)) as local,
        httpx.AsyncClient() as client,
    ):
        response = await client.get(f"{local.url}/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_help_for_everyone_lists_commands_but_not_admin_ones(bot):
    add_person(bot, "U100", "Priya Patel")
    result = await bot.fake.slash_command("U100", text="")
    assert result.status == 200
    rendered = str(result.json)
    for command in ("join", "goals", "status", "pause", "resume", "leave", "delete-my-data"):
        assert f"/mentoring {command}" in rendered
    assert "admin" not in rendered
    # Bolt answers 404 when the listener did not ack within its 3 s: 200 means it acked in time.


async def test_help_for_hr_admins_lists_admin_commands(bot):
    result = await bot.fake.slash_command(HR_ADMIN_ID, text="help")
    assert "/mentoring admin match" in str(result.json)


async def test_unknown_subcommand_says_so_and_shows_help(bot):
    add_person(bot, "U100", "Priya Patel")
    result = await bot.fake.slash_command("U100", text="dance")
    assert "I don't know `dance`" in str(result.json)
    assert "/mentoring join" in str(result.json)


def test_start_up_logs_no_warning_about_our_own_client(monkeypatch):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client wins; operators see no noise,
    while Bolt's other warnings still reach the log."""
    import io
    import logging

    from bot.app import build_bolt_app, build_context
    from bot.config import load_settings
    from bot.logging_setup import configure_logging

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        settings = load_settings(
            None,
            slack_bot_token="xoxb-from-the-environment",
            slack_signing_secret="s" * 32,
            database_url="sqlite:///:memory:",
        )
        build_bolt_app(build_context(settings))
        logging.getLogger("slack_bolt.AsyncApp").warning("another Bolt warning")
    finally:
        root.handlers = handlers
        root.setLevel(level)
    assert "token` will be unused" not in stream.getvalue()
    assert "another Bolt warning" in stream.getvalue()


async def test_a_web_api_call_at_info_never_formats_its_arguments(bot):
    """slack_sdk builds its debug messages (the whole request and response) unless its client
    loggers have a level of their own: formatted, then dropped, on every call (#18)."""
    import io
    import logging

    from bot.logging_setup import configure_logging

    class Watched(dict):
        formatted = 0

        def __repr__(self) -> str:
            Watched.formatted += 1
            return super().__repr__()

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    configure_logging("INFO", stream=io.StringIO())
    try:
        await bot.ctx.client.api_call("auth.test", json={"probe": Watched(kind="modal")})
    finally:
        root.handlers, level = saved
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
    assert Watched.formatted == 0
