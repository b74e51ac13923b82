"""`ticketbot`: run the bot, migrate and back up the database, check the configuration."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence

from ticketbot.config import ConfigError

logger = logging.getLogger("ticketbot.cli")


def _runtime():
    from ticketbot.logs import configure_logging
    from ticketbot.runtime import Runtime

    runtime = Runtime.from_environment()
    configure_logging(runtime.settings.log_level, runtime.settings.log_format)
    return runtime


def _serving(runtime, *, listeners: int):
    """The app of a serving process, and what it runs in the background."""
    from ticketbot.app import build_app, work_queue
    from ticketbot.jobs.scheduler import Background

    work = work_queue(workers=listeners)
    app = build_app(runtime, work=work)
    return app, Background(runtime, app.client, work, schedule=True)


def _upgrade(runtime) -> None:
    from sqlalchemy.exc import OperationalError

    from ticketbot.store.migrate import upgrade

    try:
        upgrade(runtime.database)
    except OperationalError as error:
        raise ConfigError(
            f"cannot reach the database at {runtime.database.url.render_as_string()}: "
            f"{str(error.orig).strip().splitlines()[0]}"
        ) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import shutil

    from ticketbot.http.server import metrics_directory  # before prometheus_client is imported

    created = metrics_directory()
    try:
        return _serve(args)
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    from ticketbot import metrics
    from ticketbot.http.server import serve
    from ticketbot.http.web import wsgi_app

    assert metrics.MULTIPROCESS, "prometheus_client was imported before its directory was set"
    runtime = _runtime()
    runtime.settings.require("slack_bot_token", "slack_signing_secret")
    _upgrade(runtime)
    runtime.database.dispose()  # nothing open may cross the fork into the workers
    # Each worker paces its Web API calls to its share of Slack's limits.
    os.environ["TICKETBOT_WORKERS"] = str(args.workers)

    started = []  # what each worker runs besides requests, stopped when it exits

    def load():
        # Runs in each worker after the fork: its own engine, app and timers. Replicas and
        # workers all tick; the outbox claims make each warning and card go out once.
        from ticketbot.runtime import Runtime

        worker_runtime = Runtime.from_environment()
        app, background = _serving(worker_runtime, listeners=args.listeners)
        started.append(background)
        return wsgi_app(app, worker_runtime)

    def drain():
        # SIGTERM: gunicorn lets in-flight requests finish; the work they started after the
        # ack (modals, messages) and the cards they marked are finished too.
        for background in started:
            background.stop()
        logger.info("worker stopped cleanly")

    logger.info("serving Slack requests on http://%s:%s/slack/events", args.host, args.port)
    serve(
        load,
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        on_worker_exit=drain,
        on_child_exit=metrics.process_exited,  # a dead worker's gauges stop counting
    )
    return 0


def cmd_socket(args: argparse.Namespace) -> int:
    from ticketbot.http.socket_mode import run

    runtime = _runtime()
    runtime.settings.require("slack_bot_token", "slack_app_token")
    if runtime.settings.slack_signing_secret is None:
        # Socket Mode has no HTTP requests to sign; Bolt still wants a value.
        from pydantic import SecretStr

        runtime.settings.slack_signing_secret = SecretStr("socket-mode")
    _upgrade(runtime)
    metrics_server = _serve_metrics(runtime, args.metrics_host, args.metrics_port)
    app, background = _serving(runtime, listeners=args.listeners)
    assert runtime.settings.slack_app_token
    logger.info("connecting to Slack in Socket Mode")
    try:
        run(
            app,
            runtime.settings.slack_app_token.get_secret_value(),
            ping_interval=args.ping_interval,
        )
    finally:
        background.stop()
        if metrics_server is not None:
            metrics_server.shutdown()
    logger.info("stopped cleanly")
    return 0


def _serve_metrics(runtime, host: str, port: int | None):
    """GET /metrics on a port of its own (Socket Mode serves no HTTP otherwise), or None."""
    if port is None:
        return None
    from ticketbot.http.server import serve_metrics
    from ticketbot.http.web import metrics_app

    try:
        server = serve_metrics(metrics_app(runtime), host=host, port=port)
    except OSError as error:
        raise ConfigError(f"--metrics-port: cannot listen on {host}:{port}: {error}") from None
    logger.info("serving metrics on http://%s:%s/metrics", host, server.server_port)
    return server


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from ticketbot.store.migrate import current_revision

    runtime = _runtime()
    _upgrade(runtime)
    print(f"database at revision {current_revision(runtime.database)}")
    return 0


def _when(text: str | None):
    """--now as an aware UTC time (naive: UTC), or None."""
    from datetime import UTC, datetime

    if not text:
        return None
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now: {text!r} is not an ISO 8601 time") from None
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def cmd_tick(args: argparse.Namespace) -> int:
    """Every scheduled pass once, for cron or a Kubernetes CronJob instead of the timer that
    runs inside `serve` and `socket`."""
    from ticketbot.clock import FakeClock
    from ticketbot.jobs.scheduler import tick
    from ticketbot.logs import configure_logging
    from ticketbot.runtime import Runtime
    from ticketbot.slack.client import slack_client

    at = _when(args.now)
    runtime = Runtime.from_environment(clock=FakeClock(at) if at else None)
    configure_logging(runtime.settings.log_level, runtime.settings.log_format)
    runtime.settings.require("slack_bot_token")
    _upgrade(runtime)
    report = tick(runtime, slack_client(runtime.settings, pacer=runtime.pacer))
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def cmd_sla_tick(args: argparse.Namespace) -> int:
    from ticketbot.jobs.sla_alerts import due_warnings, run_pass

    runtime = _runtime()
    now = _when(args.now) or runtime.clock.now()
    _upgrade(runtime)
    if args.dry_run:
        lines = due_warnings(runtime, now=now)
        for line in lines:
            print(f"would send {line}")
        print(f"{len(lines)} warning(s) due at {now.isoformat()}; nothing sent (dry run)")
        return 0
    runtime.settings.require("slack_bot_token")
    from ticketbot.slack.client import slack_client

    report = run_pass(runtime, slack_client(runtime.settings, pacer=runtime.pacer), now=now)
    for line in report.sent:
        print(f"sent {line}")
    for line in report.failed:
        print(f"failed {line} (kept for the next pass)")
    print(f"{len(report.sent)} sent, {len(report.failed)} failed, {report.digests} digest(s)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime, time
    from pathlib import Path

    from ticketbot.services.export import export_tickets
    from ticketbot.services.export_files import export_to

    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), time(0), tzinfo=UTC)
        except ValueError:
            raise ConfigError(f"--since: {args.since!r} is not a date (YYYY-MM-DD)") from None
    output = Path(args.output) if args.output else None
    if output is not None and not output.is_dir() and not output.parent.is_dir():
        raise ConfigError(f"--output: the directory {output.parent} does not exist")
    runtime = _runtime()
    _upgrade(runtime)
    with runtime.database.snapshot() as session:
        tickets = export_tickets(session=session, since=since)
        count, where = export_to(tickets, fmt=args.format, output=output, stdout=sys.stdout)
    print(f"exported {count} ticket(s) to {where}", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ticketbot.config import load_settings
    from ticketbot.store.backup import BackupError, backup_database

    # Only the environment: a backup needs neither a valid ticketbot.yml nor a migration.
    settings = load_settings()
    try:
        done = backup_database(settings.database_url, Path(args.path), force=args.force)
    except BackupError as error:
        raise ConfigError(str(error)) from None
    print(f"wrote {done.path}: {done.size} bytes, {done.tickets} ticket(s), integrity ok")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from ticketbot.config import config_path, load_config, load_settings

    settings = load_settings()
    config = load_config(settings)
    path = config_path(settings)
    print(f"config ok: {path or 'defaults (no ticketbot.yml)'}")
    print(f"  triage channel: {config.triage_channel or '(none: cards stay with the requester)'}")
    print(f"  agents: {len(config.agents)}, admins: {len(config.admins)}")
    print(f"  categories: {', '.join(config.categories) or '(none)'}")
    print(f"  SLA alerts: {config.sla.alert_channel or '(off)'}")
    weekly = config.reports.weekly
    if weekly is not None:
        print(
            f"  weekly report: {weekly.day} {weekly.time:%H:%M} {config.report_timezone} "
            f"-> {config.weekly_report_channel}"
        )
    print(f"  email: {settings.smtp_url or '(off: SMTP_URL not set)'}")
    print(f"  webhooks: {', '.join(h.url for h in config.webhooks) or '(none)'}")
    missing = [
        name.upper()
        for name in ("slack_bot_token", "slack_signing_secret")
        if getattr(settings, name) is None
    ]
    if missing:
        print(f"  note: {', '.join(missing)} not set: needed to run the bot")
    return 0


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
        "tick", help="run every scheduled pass once (cards, deadlines, reports, webhooks)"
    )
    tick.add_argument("--now", help="the passes' time, ISO 8601 (default: now)")
    tick.set_defaults(func=cmd_tick)

    sla = commands.add_parser("sla", help="engagement deadlines")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    sla_tick = sla_commands.add_parser("tick", help="run one pass of deadline warnings")
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

    check = commands.add_parser("check-config", help="validate the environment and config")
    check.set_defaults(func=cmd_check_config)
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


if __name__ == "__main__":
    sys.exit(main())
