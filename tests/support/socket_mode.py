"""Slack's Socket Mode on loopback: `apps.connections.open` and the WebSocket it hands out.

`SocketModeServer(fake)` adds `apps.connections.open` to a FakeSlack: called with the app-level
token (xapp-), it answers a `ws://127.0.0.1:PORT/link/?ticket=...` URL whose ticket opens one
connection, once, as Slack's do. On each connection the server says `hello`, then pushes the
envelopes a test gives it and records the acks the app sends back:

    {"envelope_id": "...", "type": "slash_commands" | "interactive" | "events_api",
     "payload": {...}, "accepts_response_payload": true | false}      server -> app
    {"envelope_id": "...", "payload": {...}}                           app -> server (ack)

`refresh()` sends `{"type": "disconnect", "reason": "refresh_requested"}` as Slack does before
retiring a connection; `drop()` ends one without notice, with a close frame or without one
(its TCP stream ended or reset, as when the network between goes); `silenced()` stops
answering one, pings included, as a hung peer does. An ack Slack would not take
(not JSON, an unknown or twice-acked envelope, a payload where none is accepted, a message or
view Block Kit refuses, later than 3 seconds) is added to `fake.errors`, so the `fake_slack`
fixture's check covers Socket Mode too.

The WebSocket side is the `websockets` library's threaded server; payloads come from
slack_builders.PayloadBuilder, the same ones SlackSender posts over HTTP.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.blockkit import message_problems, view_problems
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_api import ok
from tests.support.loopback import LoopbackServer
from tests.support.slack_payloads import APP_ID, JsonDict

ACK_DEADLINE = 3.0  # seconds Slack waits for an ack before it gives up on the envelope
DEBUG_INFO = {"host": "applink-fake-1", "build_number": 1}
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() aborts with a RST


@dataclass
class Ack:
    envelope_id: str
    payload: JsonDict | None
    link: int  # the connection it came back on
    seconds: float  # from the push to the ack


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: JsonDict
    accepts_response_payload: bool
    link: int
    sent_at: float
    ack: Ack | None = None


@dataclass
class Link:
    """One WebSocket connection the app opened with a URL from apps.connections.open."""

    number: int  # 1, then 2 after the first reconnection, ...
    ticket: str
    websocket: ServerConnection = field(repr=False)
    closed: bool = False


class SocketModeServer(LoopbackServer):
    """Start with `start()`/`stop()` or `with SocketModeServer(fake) as server:`."""

    poll_interval = None  # websockets' server has none

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.links: list[Link] = []
        self.envelopes: dict[str, Envelope] = {}
        self._tickets: dict[str, bool] = {}  # issued ticket -> used
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()
        super().__init__()
        fake.methods["apps.connections.open"] = self._connections_open

    # lifecycle

    def _make_server(self) -> Server:
        return serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,  # Slack's client offers no extension
            close_timeout=2,
        )

    @property
    def port(self) -> int:
        return self._started().socket.getsockname()[1]

    # what the test does

    def wait_for_link(self, number: int = 1, timeout: float = 10.0) -> Link:
        """Wait until the app has opened its `number`-th connection (and got its hello)."""
        self._wait(lambda: len(self.links) >= number, timeout, f"connection #{number}")
        return self.links[number - 1]

    def wait_closed(self, link: Link, timeout: float = 5.0) -> None:
        self._wait(lambda: link.closed, timeout, f"connection #{link.number} to close")

    def open_links(self) -> list[Link]:
        with self._changed:
            return [link for link in self.links if not link.closed]

    def push(
        self,
        kind: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool = False,
        envelope_id: str | None = None,
        **extra: Any,
    ) -> str:
        """Send one envelope on the newest open connection; return its envelope_id."""
        link = self._newest()
        envelope = Envelope(
            envelope_id=envelope_id or str(uuid.uuid4()),
            type=kind,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            link=link.number,
            sent_at=time.monotonic(),
        )
        with self._changed:
            self.envelopes[envelope.envelope_id] = envelope
        message = {
            "envelope_id": envelope.envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            **extra,
        }
        link.websocket.send(json.dumps(message))
        return envelope.envelope_id

    def slash_command(self, fields: dict[str, str]) -> str:
        return self.push("slash_commands", fields, accepts_response_payload=True)

    def interactive(self, payload: JsonDict) -> str:
        # Slack takes an answer in the ack where HTTP mode takes one in the response body.
        answers = payload.get("type") in ("view_submission", "block_suggestion")
        return self.push("interactive", payload, accepts_response_payload=answers)

    def event(self, envelope: JsonDict, *, retry_attempt: int = 0, retry_reason: str = "") -> str:
        """An Events API envelope; a redelivery has the same event_id, a new envelope_id, and
        retry_attempt 1, 2, ... with retry_reason "timeout"."""
        return self.push(
            "events_api", envelope, retry_attempt=retry_attempt, retry_reason=retry_reason
        )

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        envelope = self.envelopes[envelope_id]
        self._wait(lambda: envelope.ack is not None, timeout, f"the ack of {envelope_id}")
        assert envelope.ack is not None
        return envelope.ack

    def refresh(self) -> Link:
        """Ask the app to move to a new connection, as Slack does every few hours."""
        link = self._newest()
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": DEBUG_INFO}
        link.websocket.send(json.dumps(message))
        return link

    def drop(
        self, link: Link | None = None, *, how: Literal["close", "eof", "reset"] = "close"
    ) -> Link:
        """End a connection (the newest by default). "close": with a close frame (1001), as
        Slack does after a `disconnect` or when one of its servers goes away. Without one, as
        when the network between goes: "eof" ends the TCP stream (FIN), "reset" aborts it
        (RST)."""
        link = link or self._newest()
        if how == "close":
            link.websocket.close(1001, "")
        elif how == "eof":
            link.websocket.socket.shutdown(socket.SHUT_RDWR)
        elif how == "reset":
            link.websocket.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
            link.websocket.socket.close()  # before its reader wakes, or that ends it with a FIN
            link.websocket.close_socket()  # wakes the reader
        else:
            raise ValueError(f"drop(how={how!r}): close, eof or reset")
        self.wait_closed(link)
        return link

    @contextlib.contextmanager
    def silenced(self, link: Link | None = None) -> Iterator[Link]:
        """Stop reading a connection (the newest by default) for the block, as a peer that
        hung or a network that lost its way: what the app sends then, its pings included,
        goes unanswered."""
        link = link or self._newest()
        link.websocket.recv_flow_control.acquire()  # the reader waits on it before each read
        try:
            # The reader may be waiting for one more read already: the app's pong to this
            # ping is that read, and the reader stops after it.
            if not link.websocket.ping().wait(5):
                raise AssertionError(f"connection #{link.number} answered no ping")
            yield link
        finally:
            link.websocket.recv_flow_control.release()

    # the app's side (server threads)

    def _connections_open(self, args: JsonDict) -> JsonDict:
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets[ticket] = False
        return ok(url=f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}")

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._changed:
            if parts.path.rstrip("/") != "/link" or self._tickets.get(ticket) is not False:
                self._error(f"connection refused: {request.path!r} is not a fresh URL")
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
            self._tickets[ticket] = True
        return None

    def _serve(self, websocket: ServerConnection) -> None:
        query = parse_qs(urlsplit(websocket.request.path).query)
        with self._changed:
            link = Link(next(self._numbers), query["ticket"][0], websocket)
            opened = len([known for known in self.links if not known.closed]) + 1
        hello = {
            "type": "hello",
            "num_connections": opened,
            "debug_info": {**DEBUG_INFO, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        websocket.send(json.dumps(hello))
        with self._changed:
            self.links.append(link)
            self._changed.notify_all()
        try:
            for message in websocket:
                self._receive(link, message)
        except ConnectionClosed:
            pass  # closed without a close frame; as good as closed
        finally:
            with self._changed:
                link.closed = True
                self._changed.notify_all()

    def _receive(self, link: Link, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            ack = None
        if not isinstance(ack, dict) or not isinstance(ack.get("envelope_id"), str):
            self._error(f"not an ack: {message!r:.200}")
            return
        with self._changed:
            envelope = self.envelopes.get(ack["envelope_id"])
            if envelope is None or envelope.ack is not None:
                what = "unknown" if envelope is None else "already acked"
                self._error(f"ack for an {what} envelope {ack['envelope_id']}")
                return
            payload = ack.get("payload")
            envelope.ack = Ack(
                envelope.envelope_id, payload, link.number, time.monotonic() - envelope.sent_at
            )
            for problem in self._ack_problems(envelope, payload):  # before anyone looks
                self._error(f"ack of {envelope.type} {envelope.envelope_id}: {problem}")
            self._changed.notify_all()

    def _ack_problems(self, envelope: Envelope, payload: Any) -> list[str]:
        assert envelope.ack is not None
        if envelope.ack.seconds > ACK_DEADLINE:
            return [f"after {envelope.ack.seconds:.1f}s; Slack gives up after {ACK_DEADLINE}s"]
        if payload is None:
            return []
        if not envelope.accepts_response_payload:
            return ["a payload where the envelope accepts none: Slack drops it"]
        if not isinstance(payload, dict):
            return [f"payload is not an object: {payload!r:.200}"]
        if envelope.type == "slash_commands":
            return [p.detail for p in message_problems(payload)]
        if payload.get("response_action") in ("update", "push"):
            return [p.detail for p in view_problems(payload.get("view"), "views.update")]
        return []

    # helpers

    def _newest(self) -> Link:
        with self._changed:
            open_links = [link for link in self.links if not link.closed]
        if not open_links:
            raise AssertionError(f"the app has no open connection; links: {self.links}")
        return open_links[-1]

    def _wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(
                    f"waited {timeout}s for {what}; links: {self.links}; "
                    f"errors: {self.fake.errors}"
                )

    def _error(self, problem: str) -> None:
        self.fake.errors.append(f"socket mode: {problem}")
