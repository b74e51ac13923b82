"""The WSGI application: Slack's endpoint plus a health check, for any production server.

Nothing is read from a request before its signature is verified: a request that fails
verification for any reason (no signature, a stale or malformed timestamp, another body) is
answered 401 and reaches neither the app nor the database nor Slack. A signed request whose
body is not what Slack sends is answered 400. Each request runs in a context of its own, so
what one request chose (its language, its database deadline) never leaks into the next."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from ticketbot.runtime import Runtime

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 2 * 1024 * 1024  # far above anything Slack sends; a larger body is not Slack's
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


def signed_by_slack(verifier: SignatureVerifier, body: bytes, headers: dict[str, str]) -> bool:
    """Slack's v0 signature over these exact bytes, sent within the last five minutes."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        return False
    try:
        return verifier.is_valid(body, timestamp, signature)
    except Exception:  # a timestamp that is not a number, bytes that are not text...
        return False


def body_problem(text: str) -> str | None:
    """Why a signed body is not one Slack would send (None: it is): Bolt reads a body that
    starts with "{" as JSON, one holding a `payload` field as that field's JSON, and any other
    as a form; each must come out as one object."""
    try:
        if text.startswith("{"):
            parsed: object = json.loads(text)
        elif "payload" in text:
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
        else:
            parsed = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except ValueError as error:
        return f"unreadable body ({type(error).__name__})"
    if not isinstance(parsed, dict):
        return f"a body of {type(parsed).__name__}, not an object"
    return None


def _respond(start_response: Callable, response: BoltResponse) -> list[bytes]:
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    if not any(name.lower() == "content-length" for name, _value in headers):
        headers.append(("Content-Length", str(len(body))))
    start_response(_status(response.status), headers)
    return [body]


def wsgi_app(app: App, runtime: Runtime) -> Callable:
    secret = runtime.settings.slack_signing_secret
    assert secret is not None
    verifier = SignatureVerifier(secret.get_secret_value())

    def slack_request(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = _read_body(environ)
        if isinstance(body, int):
            return _plain(start_response, body, _REASONS[body])
        headers = _headers(environ)
        if not signed_by_slack(verifier, body, headers):
            return _plain(start_response, 401, "invalid request signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _plain(start_response, 400, "the body is not UTF-8")
        problem = body_problem(text)
        if problem is None:
            try:
                request = BoltRequest(
                    body=text, query=environ.get("QUERY_STRING") or "", headers=headers
                )
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                problem = f"a payload of the wrong shape ({type(error).__name__})"
        if problem is not None:
            logger.warning("signed request refused: %s", problem)
            return _plain(start_response, 400, problem)
        return _respond(start_response, app.dispatch(request))

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
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, 405, "POST only")
            return slack_request(environ, start_response)
        return _plain(start_response, 404, "not found")

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        return contextvars.Context().run(route, environ, start_response)

    return application
