"""The `mentorbot` command: serve, db, jobs, demo."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys

from bot.config import Settings, load_settings_or_exit
from bot.logging_setup import configure_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentorbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the bot (HTTP on $PORT, or Socket Mode)")
    serve.add_argument("--socket", action="store_true", help="connect over Socket Mode")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--no-migrate", action="store_true", help="skip `db upgrade` at start")
    serve.add_argument(
        "--no-jobs",
        action="store_true",
        help="serve requests only; scheduled jobs run in a `mentorbot scheduler` worker",
    )

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")
    down = db_sub.add_parser("downgrade", help="revert to a revision")
    down.add_argument("revision")

    sub.add_parser("scheduler", help="run only the scheduled jobs (a separate worker)")
    org = sub.add_parser("org", help="org data from the HR system")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_import = org_sub.add_parser(
        "import", help="import a people CSV (email or slack_id, department, manager_email, ...)"
    )
    org_import.add_argument("file")
    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run = jobs_sub.add_parser("run", help="run one pass now and exit")
    run.add_argument("name", choices=["checkins", "nudges", "kickoffs", "digest", "closing"])
    run.add_argument(
        "--at", type=_instant, help="as of this ISO-8601 instant (e.g. 2026-01-13T10:00Z)"
    )
    jobs_sub.add_parser("list", help="show the jobs and their next run times")

    demo = sub.add_parser(
        "demo", help="run the bot against the local Slack fake, no account needed"
    )
    demo.add_argument("--people", type=int, default=40)
    demo.add_argument("--weeks", type=int, default=12)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", default="demo-out")
    demo.add_argument("--quiet", action="store_true")
    demo.add_argument(
        "--socket", action="store_true", help="connect the bot to the fake over Socket Mode"
    )
    return parser


def _instant(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00+01:00 is before year 1
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "jobs" and args.jobs_command == "list":
        from bot.server import list_jobs

        print("\n".join(list_jobs()))
        return 0
    if args.command == "demo":
        from mentorbot_sandbox.demo import run_demo

        return asyncio.run(
            run_demo(
                people=args.people,
                weeks=args.weeks,
                seed=args.seed,
                out=args.out,
                quiet=args.quiet,
                socket_mode=args.socket,
            )
        )

    settings = load_settings_or_exit()
    secrets = [
        settings.slack_bot_token.get_secret_value(),
        settings.slack_signing_secret.get_secret_value(),
    ]
    if settings.slack_app_token:
        secrets.append(settings.slack_app_token.get_secret_value())
    configure_logging(settings.log_level, secrets)

    from sqlalchemy.exc import DBAPIError

    from bot.prompts import PromptFileError

    try:
        return _run(args, settings)
    except PromptFileError as exc:  # HR's own prompt folder (PROMPTS_DIR) has a mistake
        print(f"mentorbot: prompt file error: {exc}", file=sys.stderr)
    except DBAPIError as exc:  # not migrated yet (no such table), or refused
        print(
            f"mentorbot: database error: {_first_line(exc.orig)} ({DATABASE_HINT})", file=sys.stderr
        )
        return 1
    except OSError as exc:  # asyncpg's refused connection, a port already taken, ...
        print(f"mentorbot: {_first_line(exc)} (check DATABASE_URL and PORT)", file=sys.stderr)
        return 1
    return 2


DATABASE_HINT = "check DATABASE_URL; `mentorbot db upgrade` creates the tables"


def _first_line(error: BaseException | None) -> str:
    """One line for the operator: the error's own first line (SQL errors hide parameters)."""
    return (str(error or "").strip() or type(error).__name__).splitlines()[0]


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import server

    if args.command == "db":
        return _migrate(args, settings)
    if args.command == "scheduler":
        asyncio.run(server.run_scheduler(settings))
        return 0
    if args.command == "jobs":
        return asyncio.run(server.run_once(settings, args.name, args.at))
    if args.command == "org":
        from bot.org_import import run_org_import

        return asyncio.run(run_org_import(settings, args.file))
    if args.command == "serve":
        return _serve(args, settings)
    return 2


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    """`db upgrade` / `db downgrade`; the only command that imports Alembic (see `_serve`)."""
    from alembic.util import CommandError

    from bot import db

    try:
        if args.db_command == "upgrade":
            db.upgrade(settings.database_url)
        else:
            db.downgrade(settings.database_url, args.revision)
    except CommandError as exc:  # e.g. `db downgrade` to a revision that does not exist
        print(f"mentorbot: migration error: {exc}", file=sys.stderr)
        return 2
    return 0


def _upgrade_in_own_process() -> int:
    """`mentorbot db upgrade` as a process of its own, same environment and errors: Alembic
    and the migration scripts (about 12 MB) would otherwise stay in the server's memory."""
    return subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], check=False).returncode


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot import server
    from bot.socket_mode import SocketModeRefused

    socket_mode = args.socket or settings.socket_mode
    if socket_mode and settings.slack_app_token is None:  # before touching the database
        expected = Settings.model_fields["slack_app_token"].description
        print(
            f"mentorbot: configuration error: SLACK_APP_TOKEN is not set: expected {expected}.",
            file=sys.stderr,
        )
        return 2
    if not args.no_migrate and (failed := _upgrade_in_own_process()):
        return failed
    try:
        asyncio.run(
            server.serve(settings, host=args.host, socket_mode=socket_mode, jobs=not args.no_jobs)
        )
    except SocketModeRefused as exc:
        print(
            f"mentorbot: Slack refused SLACK_APP_TOKEN ({exc.error}): use the app-level token "
            "(xapp-...) of this app, with the connections:write scope.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
