"""Importing the bot has no side effects: no YAML read, no settings, no app built."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import bot.app, bot.cli, bot.server, bot.forms, bot.views.kickoff, bot.views.signup
import bot.reports.metrics
from bot import texts
assert texts._catalogue.cache_info().currsize == 0, "the texts catalogue was read at import"
assert texts.codes.cache_info().currsize == 0, "a catalogue list was read at import"
"""


def test_importing_the_bot_reads_no_yaml():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
