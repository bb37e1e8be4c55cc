"""Settings: one readable line naming the variable, exit status 2, no traceback."""

import os
import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings

BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "s3cret-signing"}


def run_cli(env: dict[str, str], *args: str, cwd) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HR_", "DATABASE"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({**BASE_ENV, "SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN is malformed"),
        ({**BASE_ENV, "PORT": "eighty"}, "PORT is malformed"),
        ({**BASE_ENV, "DATABASE_URL": "mysql://x"}, "DATABASE_URL is malformed"),
        ({**BASE_ENV, "HR_ADMIN_IDS": "U123,alice"}, "HR_ADMIN_IDS is malformed"),
        ({**BASE_ENV, "DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE is malformed"),
        ({**BASE_ENV, "LOG_LEVEL": "chatty"}, "LOG_LEVEL is malformed"),
        ({**BASE_ENV, "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN is malformed"),
        ({**BASE_ENV, "HR_CHANNEL_ID": "#hr"}, "HR_CHANNEL_ID is malformed"),
        # Stored in String(32) columns (who created a program, where a proposal went):
        # PostgreSQL would refuse the first program or proposal.
        ({**BASE_ENV, "HR_CHANNEL_ID": "C" + "0" * 32}, "HR_CHANNEL_ID is malformed"),
        ({**BASE_ENV, "HR_ADMIN_IDS": "U012,U" + "0" * 32}, "HR_ADMIN_IDS is malformed"),
    ],
)
def test_bad_setting_exits_2_with_one_line(env, variable, tmp_path):
    result = run_cli(env, "serve", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert "s3cret-signing" not in result.stderr


def test_settings_read_from_dotenv(tmp_path):
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=abc\nHR_ADMIN_IDS=U1, U2\n"
    )
    settings = load_settings(tmp_path / ".env")
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert settings.hr_admin_ids == ("U1", "U2")
    assert settings.slack_api_url == "https://slack.com/api/"
    assert not settings.socket_mode
    assert "xoxb-from-file" not in repr(settings)


def test_api_url_gets_trailing_slash():
    settings = load_settings(None, **BASE_ENV, slack_api_url="https://slack-gov.com/api")
    assert settings.slack_api_url == "https://slack-gov.com/api/"


def test_error_names_expectation():
    with pytest.raises(SettingsError, match="between 1 and 65535"):
        load_settings(None, **BASE_ENV, port=0)
