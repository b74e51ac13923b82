"""The WSGI application: Slack's endpoint plus a health check, for any production server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from ticketbot.runtime import Runtime

SLACK_PATH = "/slack/events"


def wsgi_app(app: App, runtime: Runtime) -> Callable:
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            healthy = runtime.database.ping()
            body = json.dumps(
                {"status": "ok" if healthy else "unavailable", "database": healthy}
            ).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return application
