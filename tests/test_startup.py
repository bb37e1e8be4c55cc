"""What `mentorbot serve` loads at start-up: its idle memory is what every deployment pays."""

from __future__ import annotations

import subprocess
import sys

# Builds the bot as `mentorbot serve` does (settings, context, Bolt app and its listeners), then
# names the heavy libraries that got imported on the way.
BUILD_THE_BOT = """
import sys
import bot.cli, bot.server
from bot.app import build_bolt_app, build_context, build_web_app
from bot.config import load_settings

settings = load_settings(
    None,
    slack_bot_token="xoxb-startup-test",
    slack_signing_secret="startup-test-secret",
    database_url="sqlite:///:memory:",
)
ctx = build_context(settings)
build_web_app(ctx, build_bolt_app(ctx))
heavy = ("matplotlib", "numpy", "scipy", "alembic", "icalendar")
print(",".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_serving_does_not_load_matching_chart_or_migration_libraries():
    # numpy and scipy (matching), matplotlib (the report chart) and alembic (migrations, run
    # before serving or by `mentorbot db upgrade`) held ~70 MB in every idle `serve`; they load
    # when HR first matches or asks for a report. icalendar (~80 modules) loads when a pair's
    # first calendar file is made.
    done = subprocess.run(
        [sys.executable, "-c", BUILD_THE_BOT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
