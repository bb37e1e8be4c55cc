"""Settings: one typed object read from the environment (and an optional `.env`).

Every setting has a clear name and a description; a missing or malformed value is reported as one
line naming the variable, and the command exits with status 2 (see `load_settings`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///mentorbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr = Field(description="the bot token, starting with xoxb-")
    slack_signing_secret: SecretStr = Field(description="the app's signing secret")
    slack_app_token: SecretStr | None = Field(
        default=None, description="an app-level token (xapp-...) to connect over Socket Mode"
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        description="the Web API base URL, e.g. https://slack.com/api/",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="a SQLAlchemy URL, e.g. sqlite:///mentorbot.sqlite3 or postgresql://host/db",
    )
    port: int = Field(default=3000, ge=1, le=65535, description="a TCP port between 1 and 65535")
    hr_channel_id: str | None = Field(
        default=None, description="a Slack channel id such as C0123456789"
    )
    hr_admin_ids: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="comma-separated Slack user ids such as U012,U034"
    )
    default_timezone: str = Field(
        default="UTC", description="an IANA time zone name such as Europe/London"
    )
    log_level: str = Field(default="INFO", description="one of " + ", ".join(LOG_LEVELS))
    reminder_after_days: int = Field(
        default=2, ge=1, le=6, description="days before an unanswered check-in gets one reminder"
    )
    privacy_min_group_size: int = Field(
        default=5, ge=3, le=100, description="the smallest group shown in breakdowns (3 or more)"
    )
    prompts_dir: Path | None = Field(
        default=None, description="a folder of extra prompt .yaml files HR maintains"
    )
    slack_max_concurrency: int = Field(
        default=8, ge=1, le=64, description="how many Slack calls a job makes at once (1-64)"
    )
    slack_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="seconds to wait for one Web API call (0-120)"
    )

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgres")):
            raise ValueError("a sqlite:// or postgresql:// URL")
        return value

    @field_validator("hr_channel_id")
    @classmethod
    def _channel_shape(cls, value: str | None) -> str | None:
        if value and value[:1] not in ("C", "G"):
            raise ValueError("a Slack channel id such as C0123456789")
        return value or None

    @field_validator("hr_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            ids = tuple(part.strip() for part in value.split(",") if part.strip())
        else:
            ids = tuple(value or ())  # type: ignore[arg-type]
        bad = [i for i in ids if not (i[:1] in ("U", "W") and i.isalnum())]
        if bad:
            raise ValueError("comma-separated Slack user ids such as U012,U034")
        return ids

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone name such as Europe/London") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError("one of " + ", ".join(LOG_LEVELS))
        return value.upper()

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def is_hr_admin(self, user_id: str) -> bool:
        return user_id in self.hr_admin_ids


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is the one line shown to the operator."""


def describe_error(exc: ValidationError) -> str:
    """Turn pydantic's report into one line naming the environment variable and what it expects."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    variable = field.upper()
    info = Settings.model_fields.get(field)
    expected = info.description if info and info.description else "a valid value"
    if first["type"] == "missing":
        return f"{variable} is not set: expected {expected}."
    message = str(first.get("msg", ""))
    if message.startswith("Value error, "):
        expected = message.removeprefix("Value error, ")
    return f"{variable} is malformed: expected {expected}."


def load_settings(env_file: Path | str | None = ".env", **overrides: Any) -> Settings:
    """Read settings, raising `SettingsError` with one readable line when something is wrong."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None


def load_settings_or_exit(**overrides: Any) -> Settings:
    """For command-line entry points: print the problem on stderr and exit 2, no traceback."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"mentorbot: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
