"""`ticketbot`: run the bot, migrate the database, check the configuration."""

from __future__ import annotations

import argparse
import logging
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
    from ticketbot.app import build_app
    from ticketbot.runtime import Runtime
    from ticketbot.server import serve
    from ticketbot.web import wsgi_app

    runtime = _runtime()
    runtime.settings.require("slack_bot_token", "slack_signing_secret")
    _upgrade(runtime)
    runtime.database.dispose()  # nothing open may cross the fork into the workers

    def load():
        worker_runtime = Runtime.from_environment()
        return wsgi_app(build_app(worker_runtime), worker_runtime)

    logger.info("serving Slack requests on http://%s:%s/slack/events", args.host, args.port)
    serve(load, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return 0


def cmd_socket(args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from ticketbot.app import build_app

    runtime = _runtime()
    runtime.settings.require("slack_bot_token", "slack_app_token")
    if runtime.settings.slack_signing_secret is None:
        # Socket Mode has no HTTP requests to sign; Bolt still wants a value.
        from pydantic import SecretStr

        runtime.settings.slack_signing_secret = SecretStr("socket-mode")
    _upgrade(runtime)
    app = build_app(runtime)
    assert runtime.settings.slack_app_token
    logger.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, runtime.settings.slack_app_token.get_secret_value()).start()
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from ticketbot.store.migrate import current_revision

    runtime = _runtime()
    _upgrade(runtime)
    print(f"database at revision {current_revision(runtime.database)}")
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
    missing = [
        name.upper()
        for name in ("slack_bot_token", "slack_signing_secret")
        if getattr(settings, name) is None
    ]
    if missing:
        print(f"  note: {', '.join(missing)} not set: needed to run the bot")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve Slack's HTTP requests (production)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2, help="worker processes")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker")
    serve.set_defaults(func=cmd_serve)

    socket = commands.add_parser("socket", help="connect to Slack in Socket Mode")
    socket.set_defaults(func=cmd_socket)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    check = commands.add_parser("check-config", help="validate the environment and config")
    check.set_defaults(func=cmd_check_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        print(f"ticketbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
