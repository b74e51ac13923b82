"""Socket Mode: Slack's requests over a websocket the bot opens, instead of HTTP.

The same app answers them; each request runs in a context of its own, as over HTTP
(http/web.py), so what one chose (its language, its database deadline) never leaks into the
next one handled on the same thread. `run()` returns on SIGTERM or Ctrl+C, once the socket is
closed, so the caller can finish the work after the acks before the process ends.

The connection is slack_sdk's client on websocket-client, whose reader sleeps in select()
and sees the end of a connection at once, with or without a close frame (slack_sdk's
builtin client spins on a dead socket until its health check gives up, a minute later).
`_Keeper` owns reconnecting: when a connection ends it opens the next one at once, then
backs off while they keep failing; a connection that stops answering pings is replaced. The
client moves by itself when Slack asks it to (a `disconnect` message)."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import signal
import socket
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.socket_mode.websocket_client import SocketModeClient
from websocket import WebSocketConnectionClosedException

from ticketbot.slack.payloads import payload_problem

logger = logging.getLogger("ticketbot.socket")

PING_INTERVAL = 10.0  # seconds between the client's pings (Bolt's default); a ping unanswered
# for half of that means the connection is silently gone
WATCH_INTERVAL = 0.5  # how often the keeper looks at the connection
MAX_BACKOFF = 30.0  # the longest wait between two failing attempts to connect
GOODBYE_TIMEOUT = 2.0  # how long a closing bot waits for Slack's answer to its close frame


class _ReportedByKeeper(logging.Filter):
    """slack_sdk and websocket-client each log the end of a connection as an error; the
    keeper reports it once, as what it is (Slack closing a connection is routine, a lost one
    is worth a warning)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith(("on_error invoked", "close status: "))
            or message.endswith(" - goodbye")
        )


_client_logger = logging.getLogger("ticketbot.socket.client")
_client_logger.addFilter(_ReportedByKeeper())
logging.getLogger("websocket").addFilter(_ReportedByKeeper())


class _Client(SocketModeClient):
    """slack_sdk's websocket-client client, whose replaced connection ends at once. When
    Slack asks it to move, it closes the old connection; if that closes the socket while
    websocket-client's reader of it is not in select() yet, the reader then sleeps there
    for ten seconds, and the new connection waits for that reader. So connect() first ends
    the old connection's reading and waits for its reader to be done."""

    replaced = None  # the connection connect() last replaced
    retiring = None  # the connection whose `disconnect` message waits to be handled

    def enqueue_message(self, message: str) -> None:
        # Handled later, on another thread: by then that connection may have ended and the
        # keeper opened the next one, which the message is not about.
        if '"disconnect"' in message and _kind(message) == "disconnect":
            self.retiring = self.current_session
        super().enqueue_message(message)

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        """Move to a new connection, as Slack's `disconnect` asks (`force`), unless the one it
        was about is gone already: Slack closed it too, and the keeper opened the next one
        (or is opening it). Checked and moved under one hold of the lock the keeper takes."""
        with self.connect_operation_lock:
            retiring, self.retiring = self.retiring, None
            session = self.current_session
            if force and (session is None or session is not retiring):
                logger.info("Slack asked to move off a connection that has ended already")
                return
            if force or not self.is_connected():
                self.wss_uri = self.issue_new_wss_url()
                self.connect()

    def connect(self) -> None:
        old = self.replaced = self.current_session
        if old is not None and old.sock is not None:
            _cut(old, socket.SHUT_RD)  # still writable, for its close frame
            deadline = time.monotonic() + GOODBYE_TIMEOUT
            while not old.has_done_teardown and time.monotonic() < deadline:
                time.sleep(0.01)
        super().connect()


class _Handler(BaseSocketModeHandler):
    def __init__(self, app: App, app_token: str, *, ping_interval: float) -> None:
        self.app = app
        self.client = _Client(
            app_token=app_token,
            logger=_client_logger,
            web_client=app.client,
            auto_reconnect_enabled=False,  # the keeper reconnects
            ping_interval=ping_interval,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(self, socket_client, req) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload) if isinstance(req.payload, dict) else "no payload"
        if problem is not None:
            logger.warning("Socket Mode envelope refused: %s", problem)
            response = SocketModeResponse(envelope_id=req.envelope_id)
            socket_client.send_socket_mode_response(response)
            return
        contextvars.Context().run(self._dispatch, socket_client, req)

    def _dispatch(self, socket_client, req) -> None:
        started = time.time()  # for Bolt's debug line of the ack's time
        send_response(socket_client, req, run_bolt_app(self.app, req), started)


class _Keeper:
    """Keeps one connection open; `watch()` runs on the main thread until `stop()`."""

    def __init__(self, socket_client: _Client, *, pong_timeout: float) -> None:
        self.socket_client = socket_client
        self.pong_timeout = pong_timeout
        self.failures = 0  # attempts in a row that did not reach an open connection
        self.last_attempt = 0.0
        self.stopping = False
        self.given_up = None  # the silent connection the keeper cut, reported already
        self.attention = threading.Event()
        self.hung_up = threading.Event()
        socket_client.on_open_listeners.append(self._opened)
        socket_client.on_error_listeners.append(self._failed)
        socket_client.on_close_listeners.append(self._closed)

    def watch(self) -> None:
        while not self.stopping:
            self.attention.wait(WATCH_INTERVAL)
            self.attention.clear()
            if not self.stopping:
                self.check()

    def stop(self) -> None:
        self.stopping = True
        self.attention.set()

    def hang_up(self) -> None:
        """Send a close frame and wait a little for Slack's. (The client's own close() leaves
        its reader asleep in select() for up to ten seconds.)"""
        self.stop()
        session = self.socket_client.current_session
        if session is None or session.sock is None:
            return
        with contextlib.suppress(Exception):  # gone already
            session.sock.send_close()
        if not self.hung_up.wait(GOODBYE_TIMEOUT):
            _cut(session)

    def check(self) -> None:
        socket_client = self.socket_client
        session = socket_client.current_session
        if session is not None:
            if _silent(session, self.pong_timeout):
                logger.warning(
                    "Socket Mode connection silent: no pong in %.1fs; reconnecting",
                    self.pong_timeout,
                )
                self.given_up = session
                _cut(session)  # its end brings the keeper back, with no session
            return
        if time.monotonic() < self.last_attempt + self._backoff():
            return
        with socket_client.connect_operation_lock:
            if socket_client.current_session is not None or socket_client.closed:
                return
            self.last_attempt = time.monotonic()
            self.failures += 1
            try:
                socket_client.wss_uri = socket_client.issue_new_wss_url()
                socket_client.connect()  # the client's runner opens it within half a second
            except Exception as error:  # Slack or the network is down: try again later
                logger.warning(
                    "cannot open a Socket Mode connection (%s); trying again in %.0fs",
                    error,
                    self._backoff(),
                )

    def _backoff(self) -> float:
        return 0.0 if self.failures == 0 else min(MAX_BACKOFF, 2.0 ** (self.failures - 1))

    # the client's listeners (its runner thread)

    def _opened(self, session) -> None:
        self.failures = 0

    def _failed(self, session, error: Exception) -> None:
        if session in (self.socket_client.replaced, self.given_up) or self.stopping:
            return
        code = getattr(error, "status_code", None)
        if isinstance(error, WebSocketConnectionClosedException) and code is not None:
            logger.info("Slack closed the Socket Mode connection (%s); reconnecting", code)
            # Close frames went both ways; websocket-client leaves the socket to the garbage
            # collector, and Slack waits for the end of the TCP stream meanwhile.
            _cut(session)
        else:
            logger.warning("Socket Mode connection ended (%s); reconnecting", error)

    def _closed(self, session) -> None:
        if self.stopping:
            if session is self.socket_client.current_session:
                self.hung_up.set()
            return
        with self.socket_client.connect_operation_lock:
            if session is not self.socket_client.current_session or self.socket_client.closed:
                return  # replaced already: Slack asked the client to move
            self.socket_client.current_session = None  # the runner would run it again, stale URL
        self.attention.set()


def _kind(message: str) -> str | None:
    try:
        parsed = json.loads(message)
    except ValueError:
        return None
    return parsed.get("type") if isinstance(parsed, dict) else None


def _silent(session, pong_timeout: float) -> bool:
    pinged, ponged = session.last_ping_tm, session.last_pong_tm
    return (
        session.sock is not None
        and pinged > ponged
        and time.time() - pinged > pong_timeout  # websocket-client's own clock
    )


def _cut(session, how: int = socket.SHUT_RDWR) -> None:
    """End a connection now (its reading, or all of it) and wake its reader."""
    raw = getattr(session.sock, "sock", None)
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.shutdown(how)


def run(app: App, app_token: str, *, ping_interval: float = PING_INTERVAL) -> None:
    handler = _Handler(app, app_token, ping_interval=ping_interval)
    keeper = _Keeper(handler.client, pong_timeout=ping_interval / 2)

    def stop(signum, _frame) -> None:
        logger.info("%s: closing the Socket Mode connection", signal.Signals(signum).name)
        keeper.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        handler.connect()
        keeper.watch()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        keeper.hang_up()
        handler.close()
