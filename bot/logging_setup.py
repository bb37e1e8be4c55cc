"""Structured logs: one JSON object per line, Slack ids only, secrets scrubbed.

Handlers log ids (user, channel, pair) and counts, never names, emails or answer text; the
`SecretScrubber` is a last line of defence that masks anything shaped like a Slack token or the
configured secrets if one ever slips into a message or an exception.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from typing import Any, TextIO

from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)

TOKEN_PATTERN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def describe_exception(exc_info: Any) -> str:
    """The exception's type and stack frames, without its message: messages can quote input."""
    exc_type, _, tb = exc_info
    frames = "".join(traceback.format_tb(tb))
    return f"{frames}{exc_type.__name__ if exc_type else 'Exception'} (message withheld)"


class SecretScrubber(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def scrub(self, text: str) -> str:
        text = TOKEN_PATTERN.sub("[redacted-token]", text)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = self.scrub(describe_exception(record.exc_info))
            record.exc_info = None
        return True


OWN_LOGGERS = ("root", "bot", "__main__")


class OwnRecordsOnly(logging.Filter):
    """Below WARNING, only our own loggers' records pass.

    Libraries log whole payloads at DEBUG/INFO: aiosqlite every SQL statement with its parameters
    (names, goals, answers), Bolt request bodies. Bolt also sets its loggers' level from the root
    logger, so lowering their level in `configure_logging` is not enough; this filter is.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in OWN_LOGGERS


class WithoutKnownBoltNotice(logging.Filter):
    """Drop Bolt's start-up warnings that our `client` and `authorize` win over a token.

    We hand Bolt our retrying client and an `authorize` function (bot.identity), and Bolt also
    reads SLACK_BOT_TOKEN from the environment on its own, so every start would warn about
    choices that are deliberate.
    """

    NOTICES = (warning_client_prioritized_and_token_skipped(), warning_token_skipped())

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("slack_bolt") and record.getMessage() in self.NOTICES)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, default=str)


#: slack_sdk's clients decide whether to format their debug messages from their own logger's
#: `level`, not the effective one. Left unset (0, "inherit"), every Web API call formatted its
#: whole request and response (the sign-up modal, 22 KB, twice: about 0.5 ms of CPU on a join)
#: only for the record to be dropped at WARNING. Their level is therefore set by name.
SDK_CLIENTS = ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client")


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Install the JSON handler on the root logger (idempotent: replaces earlier handlers)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(OwnRecordsOnly())
    handler.addFilter(WithoutKnownBoltNotice())
    handler.addFilter(SecretScrubber(secrets))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Bolt logs whole request bodies at DEBUG; keep third-party chatter at WARNING.
    third_party = max(logging.getLevelName(level), logging.WARNING)
    for noisy in (
        "slack_bolt",
        "slack_sdk",
        "aiohttp.access",
        "apscheduler",
        "alembic",
        *SDK_CLIENTS,
    ):
        logging.getLogger(noisy).setLevel(third_party)
