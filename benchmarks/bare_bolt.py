"""The floor: a Bolt app whose listeners only acknowledge, served like `ticketbot serve`.

Same Bolt version and settings as ticketbot's app (signature check, single-team authorize,
`process_before_response=False`, a listener pool of 2 x threads), same gunicorn gthread
configuration from `ticketbot.http.server.serve`. What ticketbot costs more than this is ours.

    python benchmarks/bare_bolt.py --host 127.0.0.1 --port 3001 [--workers 2] [--threads 8]

Reads SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL like ticketbot.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from ticketbot.http.server import serve


def build_bare_app(*, listener_executor: ThreadPoolExecutor) -> App:
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(
            token=os.environ["SLACK_BOT_TOKEN"],
            base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        ),
        process_before_response=False,
        listener_executor=listener_executor,
    )

    @app.command(re.compile(".*"))
    def on_command(ack: Ack):
        ack()

    @app.action(re.compile(".*"))
    def on_action(ack: Ack):
        ack()

    @app.event("message")
    def on_message():
        pass  # events are acknowledged by Bolt before the listener runs

    @app.event("app_home_opened")
    def on_home():
        pass

    return app


def wsgi(app: App):
    slack = SlackRequestHandler(app, path="/slack/events")
    healthy = json.dumps({"status": "ok"}).encode()

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(healthy)))],
            )
            return [healthy]
        return slack(environ, start_response)

    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--listeners", type=int, default=4, help="default: 4, as ticketbot")
    args = parser.parse_args()

    def load():
        pool = args.listeners
        listeners = ThreadPoolExecutor(max_workers=pool, thread_name_prefix="listener")
        return wsgi(build_bare_app(listener_executor=listeners))

    serve(load, host=args.host, port=args.port, workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    main()
