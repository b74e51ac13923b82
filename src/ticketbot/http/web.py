"""The WSGI application: Slack's endpoint, a health check and the metrics (GET /metrics, see
metrics.py), for any production server; installed by many workspaces, the pages of Slack's
install flow too (GET /slack/install and /slack/oauth_redirect, see slack/install.py).

Nothing is read from a request before its signature is verified: a request that fails
verification for any reason (no signature, a stale or malformed timestamp, another body) is
answered 401 and reaches neither the app nor the database nor Slack. A signed request whose
body is not what Slack sends is answered 400. Each request runs in a context of its own, so
what one request chose (its language, its database deadline) never leaks into the next."""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context

from ticketbot import metrics
from ticketbot.http import arrival
from ticketbot.http.forms import parse_form
from ticketbot.jobs.backlog import backlogs
from ticketbot.runtime import Runtime
from ticketbot.slack.install import INSTALL_PATH, REDIRECT_PATH
from ticketbot.slack.payloads import payload_problem
from ticketbot.store.db import request_arrived

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY = 2 * 1024 * 1024  # far above anything Slack sends; a larger body is not Slack's
MAX_AGE = 5 * 60  # seconds: an older (or newer) signed request is a replay
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
logger = logging.getLogger("ticketbot.http")

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
_REASONS |= {405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Unknown')}"


def _plain(start_response: Callable, code: int, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        _status(code),
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _headers(environ: dict) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _read_body(environ: dict) -> bytes | int:
    """The body, or the status to answer when it cannot be read as Slack sends it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return 411
    if length < 0:
        return 400
    if length > MAX_BODY:
        return 413
    return environ["wsgi.input"].read(length) if length else b""


def signed_by_slack(secret: bytes, body: bytes, headers: dict[str, str], now: float) -> bool:
    """Slack's v0 signature over these exact bytes, sent within the last five minutes."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not timestamp.isdigit() or not signature.startswith("v0="):
        return False
    if abs(now - int(timestamp)) > MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def read_body(text: str, content_type: str) -> dict | str:
    """What a signed body says, read once, or why it is not one Slack would send. Slack sends
    events as a JSON object, everything else as a form (interactions with their JSON in
    `payload`); Bolt reads any body that starts with "{" as JSON, so the type must say which
    it is. (Bolt's own reading takes any form holding the word "payload", a slash command's
    text included, for an interaction, and is not done again: see SlackRequest.)"""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in (FORM, JSON):
        return f"a body of type {kind or 'none'!r}"
    if (kind == JSON) != text.startswith("{"):
        return f"a body that is not {kind}"
    try:
        if kind == JSON:
            parsed: object = json.loads(text)
        else:
            fields = parse_form(text)
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except (ValueError, RecursionError) as error:
        # RecursionError: JSON nested deeper than the parser's stack (Slack nests a few levels).
        return f"unreadable body ({type(error).__name__})"
    if not isinstance(parsed, dict):
        return f"a body of {type(parsed).__name__}, not an object"
    return parsed


class SlackRequest(BoltRequest):
    """A BoltRequest of a body read already (`read_body`): Bolt's signature check gets the
    raw text, its listeners the body, and the body is not parsed a second time (which cost as
    much as the rest of Bolt's work on a click)."""

    def __init__(self, *, text: str, body: dict, query: str, headers: dict) -> None:
        super().__init__(body="", query=query, headers=headers)
        self.raw_body = text
        self.body = body
        self.context = build_context(BoltContext({}), body)


def _respond(start_response: Callable, response: BoltResponse) -> list[bytes]:
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    if not any(name.lower() == "content-length" for name, _value in headers):
        headers.append(("Content-Length", str(len(body))))
    start_response(_status(response.status), headers)
    return [body]


def _text(code: int, text: str, **headers: str) -> BoltResponse:
    return BoltResponse(
        status=code, body=text, headers={"content-type": "text/plain; charset=utf-8", **headers}
    )


def bearer_matches(environ: dict, token: str) -> bool:
    """Whether the request says `Authorization: Bearer <token>`."""
    scheme, _, given = (environ.get("HTTP_AUTHORIZATION") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode()
    )


def metrics_app(runtime: Runtime) -> Callable:
    """GET /metrics, Prometheus' text format: behind `Authorization: Bearer <token>` when
    TICKETBOT_METRICS_TOKEN is set. Served by `wsgi_app`, or alone (`ticketbot socket`)."""
    secret = runtime.settings.ticketbot_metrics_token
    token = secret.get_secret_value() if secret is not None else None
    outboxes = metrics.Backlogs(lambda: backlogs(runtime))

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            return _respond(start_response, _text(404, "not found"))
        if environ.get("REQUEST_METHOD") != "GET":
            return _respond(start_response, _text(405, "GET only"))
        if token is not None and not bearer_matches(environ, token):
            refused = _text(401, "a bearer token is required", **{"www-authenticate": "Bearer"})
            return _respond(start_response, refused)
        body, content_type = metrics.exposition(environ.get("HTTP_ACCEPT"), outboxes)
        start_response(
            _status(200), [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]

    return application


def wsgi_app(app: App, runtime: Runtime) -> Callable:
    signing_secret = runtime.settings.slack_signing_secret
    assert signing_secret is not None
    secret = signing_secret.get_secret_value().encode()
    metrics_page = metrics_app(runtime)

    def answer(environ: dict) -> tuple[str, BoltResponse]:
        """The kind of request (for the metrics) and the answer to it."""
        body = _read_body(environ)
        if isinstance(body, int):
            return metrics.UNSIGNED, _text(body, _REASONS[body])
        headers = _headers(environ)
        if not signed_by_slack(secret, body, headers, time.time()):
            return metrics.UNSIGNED, _text(401, "invalid request signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return metrics.OTHER, _text(400, "the body is not UTF-8")
        read = read_body(text, headers.get("content-type", ""))
        if isinstance(read, str):
            problem: str | None = read
        else:
            try:
                request = SlackRequest(
                    text=text, body=read, query=environ.get("QUERY_STRING") or "", headers=headers
                )
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                problem = f"a payload of the wrong shape ({type(error).__name__})"
            else:
                problem = payload_problem(request.body)
        if problem is not None:
            logger.warning("signed request refused: %s", problem)
            return metrics.OTHER, _text(400, problem)
        return metrics.request_kind(request.body), app.dispatch(request)

    def slack_request(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        request_arrived(arrival.take())  # its budget counts the wait for a thread
        kind, response = answer(environ)
        metrics.acked(kind, response.status, time.perf_counter() - started)
        return _respond(start_response, response)

    def install_page(environ: dict, start_response: Callable) -> Iterable[bytes]:
        """A page of the install flow: a person's browser, not Slack, asks for it."""
        if environ.get("REQUEST_METHOD") != "GET":
            return _plain(start_response, 405, "GET only")
        request = BoltRequest(
            body="",
            query=environ.get("QUERY_STRING") or "",
            headers=_headers(environ),
            mode="http",
        )
        flow = app.oauth_flow
        if environ.get("PATH_INFO") == INSTALL_PATH:
            response = flow.handle_installation(request)
        else:
            response = flow.handle_callback(request)
        logger.info("%s answered %s", environ.get("PATH_INFO"), response.status)
        return _respond(start_response, response)

    def health(start_response: Callable) -> Iterable[bytes]:
        healthy = runtime.database.ping()
        body = json.dumps({"status": "ok" if healthy else "unavailable", "database": healthy})
        start_response(
            _status(200 if healthy else 503),
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body.encode()]

    def route(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return health(start_response)
        if path == METRICS_PATH:
            return metrics_page(environ, start_response)
        if path in (INSTALL_PATH, REDIRECT_PATH) and app.oauth_flow is not None:
            return install_page(environ, start_response)
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, 405, "POST only")
            return slack_request(environ, start_response)
        return _plain(start_response, 404, "not found")

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        return contextvars.Context().run(route, environ, start_response)

    return application
