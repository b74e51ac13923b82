"""`ticketbot`: run the bot, migrate and back up the database, check the configuration."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from ticketbot.cli import settings
from ticketbot.cli.operations import (
    cmd_backup,
    cmd_check_config,
    cmd_db_upgrade,
    cmd_export,
    cmd_sla_tick,
    cmd_tick,
)
from ticketbot.cli.serving import cmd_serve, cmd_socket
from ticketbot.cli.workspaces import add_commands as add_workspace_commands
from ticketbot.config import ConfigError


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve Slack's HTTP requests (production)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2, help="worker processes")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker")
    serve.add_argument(
        "--listeners",
        type=int,
        default=4,
        # Work after the ack competes with the next requests' acks for the worker's GIL:
        # measured in benchmarks/RESULTS.md, 16 such threads doubled the p99 of an ack
        # under load compared with 4, which still overlap the waits on the database and
        # on Slack.
        help="threads per worker running listeners after the ack (default: 4)",
    )
    serve.set_defaults(func=cmd_serve)

    socket = commands.add_parser("socket", help="connect to Slack in Socket Mode")
    socket.add_argument(
        "--listeners", type=int, default=4, help="threads running the work after the acks"
    )
    socket.add_argument(
        "--ping-interval",
        type=_positive_seconds,
        metavar="SECONDS",
        default=10.0,
        help="seconds between pings to Slack; one unanswered for half that long ends the "
        "connection, and the bot opens a new one (default 10)",
    )
    socket.add_argument(
        "--metrics-port", type=int, help="serve GET /metrics on this port (default: none)"
    )
    socket.add_argument("--metrics-host", default="0.0.0.0", help="for --metrics-port")
    socket.set_defaults(func=cmd_socket)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    tick = commands.add_parser(
        "tick",
        help="run every scheduled pass once (cards, deadlines, waiting tickets, reports, "
        "webhooks, retention)",
    )
    tick.add_argument("--now", help="the passes' time, ISO 8601 (default: now)")
    tick.set_defaults(func=cmd_tick)

    sla = commands.add_parser("sla", help="engagement deadlines")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    sla_tick = sla_commands.add_parser(
        "tick", help="run one pass of deadline warnings and of tickets waiting on requesters"
    )
    sla_tick.add_argument("--now", help="the pass's time, ISO 8601 (default: now)")
    sla_tick.add_argument("--dry-run", action="store_true", help="print, send nothing")
    sla_tick.set_defaults(func=cmd_sla_tick)

    export = commands.add_parser("export", help="write tickets with their history")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--since", help="only tickets raised on or after this UTC date")
    export.add_argument(
        "--output",
        help="a file, or a directory (CSV there adds history.csv and comments.csv); "
        "default: standard output",
    )
    export.set_defaults(func=cmd_export)

    backup = commands.add_parser(
        "backup", help="copy the SQLite database while the bot runs (PostgreSQL: pg_dump)"
    )
    backup.add_argument("path", metavar="PATH", help="the file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.set_defaults(func=cmd_backup)

    add_workspace_commands(commands)

    check = commands.add_parser("check-config", help="validate the environment and config")
    check.set_defaults(func=cmd_check_config)
    settings.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"ticketbot: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
