"""`mentorbot serve` under cProfile, for `bench_ack.py --profile KIND` (not a test, not for use).

The profiler measures the main thread's CPU time (`time.thread_time`) and runs only while the
benchmark says so, around the requests of one kind: SIGUSR1 switches it on, SIGUSR2 off, SIGHUP
writes the statistics to $PROFILE_OUT. While it is on, each SQL statement the process sends is
appended to $PROFILE_OUT.sql, one line each, with a `--- request N` line per request.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.cli import main

OUT = os.environ["PROFILE_OUT"]
profiler = cProfile.Profile(time.thread_time)
statements = open(OUT + ".sql", "w")  # noqa: SIM115 (open for the process's life)
requests = 0
profiling = False


def start(*_: Any) -> None:
    global profiling, requests
    requests += 1
    statements.write(f"--- request {requests}\n")
    profiling = True
    profiler.enable()


def stop(*_: Any) -> None:
    global profiling
    profiler.disable()
    profiling = False
    statements.flush()


@event.listens_for(Engine, "before_cursor_execute")
def log_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if profiling:
        statements.write(" ".join(statement.split())[:160] + "\n")


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    signal.signal(signal.SIGHUP, lambda *_: profiler.dump_stats(OUT))
    raise SystemExit(main(sys.argv[1:]))
