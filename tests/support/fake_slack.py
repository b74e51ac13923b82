"""A fake of Slack's Web API on loopback, strict about what the app sends.

Point a real `slack_sdk.WebClient(base_url=fake.api_url)` (or Bolt's client) at it. Every
request is recorded as a `Call`; every message and view is checked against Block Kit's
limits (see blockkit.py), and rejected ones answer `ok: false` like Slack and are listed in
`fake.errors`, which the `fake_slack` fixture turns into a test failure. Socket Mode (the
`apps.connections.open` method and its WebSocket) is added by socket_mode.SocketModeServer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.blockkit import message_problems, view_problems
from tests.support.fake_slack_api import SlackWebApi, error, ok
from tests.support.loopback import LoopbackServer
from tests.support.slack_payloads import JsonDict

MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}
# Arguments slack_sdk JSON-encodes inside form bodies.
JSON_ARGUMENTS = {"blocks", "attachments", "view", "files", "metadata", "unfurls", "outputs"}
TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-", "xwfp-")  # xwfp-: a workflow step's own
# Methods that take the app-level token (xapp-) and no other; every other method refuses it.
APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Call:
    method: str  # Web API method, "response_url" or "upload"
    args: dict[str, Any]  # decoded arguments, never the token
    at: float  # time.time() when the answer was decided
    failed: bool = False  # answered with a non-200 status or ok: false
    error: str | None = None
    status: int = 200
    response: JsonDict | None = None  # the JSON answered, e.g. response["view"]["id"]
    path: str = ""  # request path; for response_url calls, the name given to response_url()
    team: str | None = None  # the workspace whose token made the call


@dataclass
class _Fault:
    status: int
    retry_after: int
    remaining: int
    error: str | None
    delay: float
    drop: bool = False
    channel: str | None = None  # None: whatever the call is about


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection instead of answering


def _decode_json_arguments(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_ARGUMENTS & args.keys():
        if isinstance(args[key], str):
            with contextlib.suppress(ValueError):  # left as is, validation reports it
                args[key] = json.loads(args[key])
    return args


def _parse_body(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json") and body:
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        args.update(decoded)
    elif body:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
    return _decode_json_arguments(args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when a loaded app's listener threads all
    # call at once; the dropped SYN is retried a second later and looks like a slow Slack.
    request_queue_size = 128
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as slack.com: the app reuses connections
    # One write per answer. Headers and body sent apart on a kept connection wait for the
    # client's delayed ACK (Nagle): 40 ms a call that Slack's own servers do not add.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.server.fake._answer(self.command, self.path, dict(self.headers.items()), body)
        if answer.drop:  # done, but the answer is lost on the way back, as a read timeout
            self.close_connection = True
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests); Slack would not care either

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # calls are recorded; request logs would only clutter test output


class FakeSlack(SlackWebApi, LoopbackServer):
    """Slack's Web API on 127.0.0.1: `start()`/`stop()` or `with FakeSlack() as fake:`.

    Configure `users`, `usergroups` and `messages`; inspect `calls()`, `wait_for()`,
    `message()`, `view()`, `uploads` and `errors`; inject failures with `fail_next()`.
    """

    def __init__(self) -> None:
        SlackWebApi.__init__(self, base_url=lambda: self.base_url)
        LoopbackServer.__init__(self)
        self.errors: list[str] = []
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._bindings: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.RLock()

    # lifecycle

    def _make_server(self) -> _Server:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        return server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._started().server_address[1]}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(
        self, name: str, *, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response_url to put in payloads. Bound to a channel (and message), replies with
        replace_original/delete_original/in_channel change `messages` as on Slack."""
        with self._lock:
            self._bindings[name] = (channel, message_ts)
        return f"{self.base_url}response/{name}"

    # inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self,
        method: str | None,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until `count` calls of `method` (matching `predicate`) were recorded.

        Bolt runs listeners on worker threads after ack(), so a call may land after the
        HTTP response to the app's request; this polls instead of sleeping a fixed time.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                recorded = [f"{c.method}{' (failed)' if c.failed else ''}" for c in self.calls()]
                raise AssertionError(
                    f"expected {count} {method or 'any'} call(s) within {timeout}s, "
                    f"got {len(found)}; recorded: {recorded}; errors: {self.errors}"
                )
            time.sleep(0.01)

    def message(self, channel: str, ts: str) -> JsonDict:
        """The latest state of a posted (or seeded) message."""
        with self._lock:
            if (channel, ts) not in self.messages:
                raise KeyError(f"no message {channel}/{ts}; have {sorted(self.messages)}")
            return json.loads(json.dumps(self.messages[(channel, ts)]))

    def pop_errors(self) -> list[str]:
        """Take the validation errors, e.g. in a test that expects a rejection."""
        with self._lock:
            taken = list(self.errors)
            self.errors.clear()
            return taken

    def reset(self) -> None:
        """Forget recorded calls, errors and pending faults; keep the workspace state."""
        with self._lock:
            self._calls.clear()
            self.errors.clear()
            self._faults.clear()

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail: HTTP `status` (429 with Retry-After),
        or HTTP 200 `ok: false` with `error`. With status=200 and no error, only `delay` is
        applied and the call then succeeds: the client may have timed out meanwhile.
        `drop`: the call is done (a message posted) but its answer never arrives. `channel`:
        only calls about that channel fail (a card's update, not a status message's)."""
        with self._lock:
            fault = _Fault(status, retry_after, times, error, delay, drop, channel)
            self._faults.setdefault(method, deque()).append(fault)

    # request handling (server threads)

    def _take_fault(self, method: str, args: dict[str, Any]) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            fault = next(
                (f for f in queue or () if f.channel in (None, args.get("channel"))), None
            )
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.remove(fault)
            return fault

    def _answer(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Answer:
        parts = urlsplit(raw_path)
        kind, _, name = parts.path.lstrip("/").partition("/")
        if kind == "upload" and verb in ("PUT", "POST"):
            return self._upload(name, body)
        if kind not in ("api", "response") or not name:
            return _Answer(404, b"not found", {"Content-Type": "text/plain"})
        method = "response_url" if kind == "response" else name
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        try:
            args = _parse_body(body, content_type, parts.query)
        except ValueError:
            return self._finish(method, {}, parts.path, error("invalid_form_data"))
        token = args.pop("token", None)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        if method == "oauth.v2.access":  # the app's own credentials, not a token
            args = {**args, **self._client_credentials(auth, args)}
            token = "xoxb-oauth"
        fault = self._take_fault(method, args)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)  # outside the lock: other calls proceed meanwhile
        failing = fault is not None and (fault.error is not None or fault.status != 200)
        if failing and not fault.drop:
            return self._fault_answer(method, args, parts.path, fault)
        if kind == "api" and not token:
            return self._finish(method, args, parts.path, error("not_authed"))
        if kind == "api" and not str(token).startswith(TOKEN_PREFIXES):
            return self._finish(method, args, parts.path, error("invalid_auth"))
        if kind == "api" and (method in APP_TOKEN_METHODS) != str(token).startswith("xapp-"):
            return self._finish(method, args, parts.path, error("not_allowed_token_type"))
        if kind == "api" and token in self.retired:
            return self._finish(method, args, parts.path, error("invalid_auth"))
        if method.startswith("functions."):  # which kind of token completed the step
            args = {**args, "token_kind": str(token).split("-")[0]}
        with self._lock:
            self.calling_team = self.team_of(token)
            try:
                answer = self._dispatch(method, name, args)
            except Exception as exc:  # e.g. int("soon"): fail the test loudly, not the socket
                self.errors.append(f"{method}: arguments the fake cannot handle: {exc!r}")
                answer = error("invalid_arguments")
            finished = self._finish(method, args, parts.path, answer, team=self.calling_team)
        if fault is not None and fault.drop:
            return _Answer(0, b"", drop=True)
        return finished

    def _client_credentials(self, auth: str, args: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access's client id, from HTTP Basic auth or the form (the secret is only
        checked, never recorded)."""
        client_id, secret = args.pop("client_id", None), args.pop("client_secret", None)
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[len("Basic ") :]).decode()
            client_id, _, secret = decoded.partition(":")
        return {"client_id": client_id, "client_secret_ok": secret == self.client_secret}

    def _dispatch(self, method: str, name: str, args: dict[str, Any]) -> JsonDict:
        problems = []
        if method in MESSAGE_METHODS:
            problems = message_problems(args)
        elif method in VIEW_METHODS:
            problems = view_problems(args.get("view"), method)
        if problems:
            self.errors.extend(f"{method}: {p.detail}" for p in problems)
            answer = error(problems[0].code)
            answer["response_metadata"] = {"messages": [f"[ERROR] {p.detail}" for p in problems]}
            return answer
        if method == "response_url":
            return self._respond(name, args)
        handler = self.methods.get(method)
        return handler(args) if handler else error("unknown_method")

    def _respond(self, name: str, body: dict[str, Any]) -> JsonDict:
        channel, message_ts = self._bindings.get(name, (None, None))
        key = (channel or "", message_ts or "")
        if body.get("delete_original") and key in self.messages:
            del self.messages[key]
        elif body.get("replace_original") and key in self.messages:
            self.edit_message(*key, body)
        elif body.get("response_type") == "in_channel" and channel:
            self.post_bot_message(channel, body)
        return ok()

    def _fault_answer(self, method: str, args: dict[str, Any], path: str, fault: _Fault) -> _Answer:
        if fault.error is not None:
            return self._finish(method, args, path, error(fault.error))
        default = "ratelimited" if fault.status == 429 else "internal_error"
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        return self._finish(
            method, args, path, error(default), status=fault.status, headers=headers
        )

    def _finish(
        self,
        method: str,
        args: dict[str, Any],
        path: str,
        answer: JsonDict,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        team: str | None = None,
    ) -> _Answer:
        failed = status != 200 or not answer.get("ok")
        call = Call(
            method=method,
            args=args,
            at=time.time(),
            failed=failed,
            error=answer.get("error") if failed else None,
            status=status,
            response=json.loads(json.dumps(answer)),
            path=path.removeprefix("/response/") if method == "response_url" else path,
            team=team,
        )
        with self._lock:
            self._calls.append(call)
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return _Answer(status, json.dumps(answer).encode("utf-8"), all_headers)

    def _upload(self, file_id: str, body: bytes) -> _Answer:
        with self._lock:
            accepted = self.accept_upload(file_id, body)
            call = Call(
                method="upload",
                args={"file_id": file_id, "size": len(body)},
                at=time.time(),
                failed=not accepted,
                error=None if accepted else "file_not_found",
                status=200 if accepted else 404,
                path=f"/upload/{file_id}",
            )
            self._calls.append(call)
        if not accepted:
            return _Answer(404, b"file not found", {"Content-Type": "text/plain"})
        return _Answer(200, f"OK - {len(body)}".encode(), {"Content-Type": "text/plain"})
