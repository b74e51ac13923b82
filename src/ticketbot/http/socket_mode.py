"""Socket Mode: Slack's requests over a websocket the bot opens, instead of HTTP.

The same app answers them; each request runs in a context of its own, as over HTTP
(http/web.py), so what one chose (its language, its database deadline) never leaks into the
next one handled on the same thread. `run()` returns on SIGTERM or Ctrl+C, once the socket is
closed, so the caller can finish the work after the acks before the process ends."""

from __future__ import annotations

import contextvars
import logging
import signal
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.response import SocketModeResponse

from ticketbot.slack.payloads import payload_problem

logger = logging.getLogger("ticketbot.socket")


class _Handler(SocketModeHandler):
    def handle(self, socket, req) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload) if isinstance(req.payload, dict) else "no payload"
        if problem is not None:
            logger.warning("Socket Mode envelope refused: %s", problem)
            socket.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        contextvars.Context().run(super().handle, socket, req)


def run(app: App, app_token: str) -> None:
    handler = _Handler(app, app_token)
    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        logger.info("%s: closing the Socket Mode connection", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        handler.connect()
        stopping.wait()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        handler.close()
