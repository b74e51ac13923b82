"""`serve` (HTTP, under gunicorn) and `socket` (Socket Mode): the bot answering Slack."""

from __future__ import annotations

import argparse
import logging
import os

from ticketbot.cli.common import open_runtime, upgrade_database
from ticketbot.config import ConfigError

logger = logging.getLogger("ticketbot.cli")


def _serving(runtime, *, listeners: int):
    """The app of a serving process, and what it runs in the background."""
    from ticketbot.app import build_app, work_queue
    from ticketbot.jobs.scheduler import Background
    from ticketbot.slack.settings import settle_home

    work = work_queue(workers=listeners)
    app = build_app(runtime, work=work)
    # One workspace: learn it and seed its settings at start. Slack not reached as the app
    # was built: the first request names the workspace, rather than a second wait for Slack.
    if not app.workspaces.oauth and app.slack_reached:
        settle_home(runtime, app.client)
    return app, Background(runtime, app.workspaces, work, schedule=True)


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
    runtime = open_runtime()
    # Installed by many workspaces (SLACK_CLIENT_ID...), the tokens come from the installs.
    tokens = () if runtime.settings.oauth else ("slack_bot_token",)
    runtime.settings.require(*tokens, "slack_signing_secret")
    upgrade_database(runtime)
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

    runtime = open_runtime()
    if runtime.settings.oauth:
        raise ConfigError(
            "Socket Mode serves the one workspace of SLACK_BOT_TOKEN: installs by many "
            "workspaces need `ticketbot serve` (Slack sends people to /slack/install and "
            "/slack/oauth_redirect); unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET here"
        )
    runtime.settings.require("slack_bot_token", "slack_app_token")
    if runtime.settings.slack_signing_secret is None:
        # Socket Mode has no HTTP requests to sign; Bolt still wants a value.
        from pydantic import SecretStr

        runtime.settings.slack_signing_secret = SecretStr("socket-mode")
    upgrade_database(runtime)
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
