"""`mentorbot serve` with the check-in and nudge passes fired at a chosen moment.

    MENTORBOT_BENCH_CLOCK=2026-01-28T10:05Z MENTORBOT_BENCH_PASSES_IN=3 \
        python -m mentorbot_sandbox.serve_passes serve --host 127.0.0.1 [--no-jobs]

The real server (`bot.server.serve`, so the same web app and the same job runner, on or off the
request loop as `serve` runs them), on a clock fixed at MENTORBOT_BENCH_CLOCK, with one check-in
pass and one nudge pass starting MENTORBOT_BENCH_PASSES_IN seconds after start-up instead of the
cron schedule. `bench/bench_load.py --with-jobs` and tests/reliability/test_shutdown.py run it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

from apscheduler.triggers.date import DateTrigger

from bot import db, server
from bot.clock import FixedClock
from bot.config import load_settings_or_exit
from bot.logging_setup import configure_logging
from bot.scheduler.checkins import run_checkins
from bot.scheduler.nudges import run_nudges


def main() -> None:
    settings = load_settings_or_exit()
    configure_logging(settings.log_level)
    at = dt.datetime.fromisoformat(os.environ["MENTORBOT_BENCH_CLOCK"].replace("Z", "+00:00"))
    start = dt.datetime.now(dt.UTC) + dt.timedelta(
        seconds=float(os.environ.get("MENTORBOT_BENCH_PASSES_IN", "3"))
    )
    schedule = {
        "checkins": (run_checkins, DateTrigger(run_date=start)),
        "nudges": (run_nudges, DateTrigger(run_date=start)),
    }
    host = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "0.0.0.0"
    db.upgrade(settings.database_url)
    asyncio.run(
        server.serve(
            settings,
            host=host,
            jobs="--no-jobs" not in sys.argv,
            clock=FixedClock(at),
            schedule=schedule,
        )
    )


if __name__ == "__main__":
    main()
