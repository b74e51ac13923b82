"""Web API calls over connections kept open between calls.

slack_sdk's WebClient opens a new connection for every call: a TCP handshake, then a TLS one
with slack.com, before each card update that follows a click. Here each thread keeps its
connection to the API host and sends the next call on it. Everything else (retries, 429s,
the parsing of answers) stays slack_sdk's: only the transport of one request is replaced,
and it raises what urllib would, so the retry handlers see the errors they know.
"""

from __future__ import annotations

import hashlib
import io
import ssl
import threading
import time
from http.client import (
    HTTPConnection,
    HTTPException,
    HTTPResponse,
    HTTPSConnection,
    RemoteDisconnected,
)
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import SplitResult, urlsplit
from urllib.request import Request

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient, WebhookResponse

from ticketbot import metrics
from ticketbot.config import Settings
from ticketbot.failures import SLACK_FAILURES, failure_reason
from ticketbot.pacing import Pacer, RateLimited

__all__ = ["SLACK_FAILURES", "UNCERTAIN", "failure_reason", "slack_client"]

# Web API methods that do something new each time they are called: when one was sent and no
# answer came, Slack may have done it, so it is never sent again blindly.
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.upload",
        "files.completeUploadExternal",
        "views.open",
        "views.push",
    }
)


def idempotent(path: str) -> bool:
    return path.rstrip("/").rpartition("/")[2] not in NOT_IDEMPOTENT


class DeliveryUncertain(TimeoutError):
    """A call that is not idempotent was sent and got no answer: it may have been done."""


UNCERTAIN = DeliveryUncertain.__name__  # its failure_reason, as outbox rows keep it


class IdempotentServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's retry of 500 and 503, for the methods that may be repeated: Slack may have
    posted a message before it failed to answer."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not idempotent(urlsplit(request.url).path):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


# Servers close connections left idle; one idle this long is replaced rather than risked.
MAX_IDLE_SECONDS = 30.0
# The peer closed a kept connection between two calls: the request never reached it.
_STALE = (RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Kept:
    def __init__(self, connection: HTTPConnection) -> None:
        self.connection = connection
        self.used_at = time.monotonic()


class KeptConnections:
    """Each thread's open connection to each host, and the POST of one request on it: what
    urllib's urlopen does, without a handshake before every call. Raises what urllib would
    (URLError when the request never went; HTTPError for 4xx and 5xx, as slack_sdk reads
    them), and DeliveryUncertain when a request that must not be repeated got no answer."""

    def __init__(self, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self._tls = tls  # None: the system's trust store, loaded once
        self._kept = threading.local()

    def post(self, url: str, req: Request, *, repeatable: bool) -> tuple[HTTPResponse, bytes]:
        """`repeatable`: whether a request sent without an answer may be sent again."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(req.header_items())
        while True:
            kept, reused = self._connection(parts)
            try:
                kept.connection.request("POST", target, body=req.data, headers=headers)
            except (HTTPException, OSError) as error:
                self._forget(parts)
                if reused and isinstance(error, _STALE):
                    continue  # once more, on a new connection
                raise URLError(error) from error  # never sent: safe to try again
            try:
                response = kept.connection.getresponse()
                body = response.read()
            except (HTTPException, OSError) as error:
                self._forget(parts)
                if repeatable:
                    if reused and isinstance(error, _STALE):
                        continue  # most likely the peer had closed the kept connection
                    raise URLError(error) from error
                # Sent, and maybe done by Slack (a post, an upload): trying again could do it
                # twice, so the caller decides (and looks before posting again).
                raise DeliveryUncertain(f"{parts.path}: no answer ({error!r})") from error
            break
        kept.used_at = time.monotonic()
        if response.will_close:
            self._forget(parts)
        return response, body

    @staticmethod
    def refuse(url: str, response: HTTPResponse, body: bytes) -> None:
        """As urlopen: 4xx and 5xx raise HTTPError, where slack_sdk reads 429s and 5xx."""
        if response.status >= 400:
            raise HTTPError(
                url, response.status, response.reason, response.headers, io.BytesIO(body)
            )

    def _connection(self, parts: SplitResult) -> tuple[_Kept, bool]:
        """This thread's connection to the host, and whether it served a call before."""
        pool = self._pool()
        key = f"{parts.scheme}://{parts.netloc}"
        kept = pool.get(key)
        if kept is not None and time.monotonic() - kept.used_at <= MAX_IDLE_SECONDS:
            return kept, True
        if kept is not None:
            kept.connection.close()
        if parts.scheme == "https":
            connection: HTTPConnection = HTTPSConnection(
                parts.hostname,
                parts.port,
                timeout=self.timeout,
                context=self._tls_context(),
            )
        else:
            connection = HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        pool[key] = kept = _Kept(connection)
        return kept, False

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _pool(self) -> dict[str, _Kept]:
        """This thread's connections, by scheme and host."""
        return self._kept.__dict__.setdefault("pool", {})

    def _forget(self, parts: SplitResult) -> None:
        kept = self._pool().pop(f"{parts.scheme}://{parts.netloc}", None)
        if kept is not None:
            kept.connection.close()


class Paced(SlackClientError):
    """The pacer would not let the call go (its turn comes too late): never sent to Slack."""


class KeepAliveWebClient(WebClient):
    """A WebClient whose threads each reuse one connection per API host, and whose calls are
    paced to Slack's rate limits (`pacer`, shared by the process's clients). `max_wait`: how
    long a call may wait for its turn (None: as long as it takes) before RateLimited."""

    def __init__(
        self,
        *args,
        pacer: Pacer | None = None,
        max_wait: float | None = None,
        workspace: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._connections = KeptConnections(self.timeout, self.ssl)
        self.pacer, self.max_wait = pacer, max_wait
        # Paced per workspace: its id when known (a rotated token is the same workspace),
        # else what the token stands for; the token itself is never kept here.
        self._workspace = workspace or hashlib.sha256((self.token or "").encode()).hexdigest()[:16]

    @property
    def workspace_key(self) -> str:
        """Who this client speaks for: what caches of per-workspace answers are keyed by."""
        return self._workspace

    def api_call(self, api_method: str, **kwargs):  # type: ignore[override]
        if self.pacer is not None:
            channel = None
            for part in ("json", "data", "params"):
                found = (kwargs.get(part) or {}).get("channel")
                if isinstance(found, str):
                    channel = found
                    break
            try:
                self.pacer.acquire(
                    self._workspace, api_method, channel=channel, max_wait=self.max_wait
                )
            except RateLimited as paced:
                metrics.api_paced(api_method)
                raise Paced(str(paced)) from paced
        with metrics.api_call(api_method):
            return super().api_call(api_method, **kwargs)

    def ready(self, api_method: str) -> int | None:
        """How many calls of `api_method` the pacer lets go at once now (None: not paced)."""
        return None if self.pacer is None else self.pacer.ready(self._workspace, api_method)

    def wait_turn(self, api_method: str, *, channel: str | None = None) -> float:
        """Wait until a call of `api_method` could go under the pacer (see Pacer.wait_turn).
        Returns the seconds waited: 0 without a pacer."""
        if self.pacer is None:
            return 0.0
        return self.pacer.wait_turn(self._workspace, api_method, channel=channel)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict:
        with metrics.api_attempt(url):
            return self._over_kept_connection(url, req)

    def _over_kept_connection(self, url: str, req: Request) -> dict:
        """One HTTP request of a call, on this thread's kept connection."""
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        response, body = self._connections.post(url, req, repeatable=idempotent(parts.path))
        if response.status == 429 and self.pacer is not None:
            # Every thread of the process holds back this method, not only this one.
            retry_after = response.headers.get("Retry-After") or "1"
            seconds = float(retry_after) if retry_after.isdigit() else 1.0
            method = parts.path.rstrip("/").rpartition("/")[2]
            self.pacer.pause(self._workspace, method, seconds)
        KeptConnections.refuse(url, response, body)
        if response.headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.headers, "body": body}
        charset = response.headers.get_content_charset() or "utf-8"
        return {
            "status": response.status,
            "headers": response.headers,
            "body": body.decode(charset),
        }


# The answers to clicks and commands (their response_url, on Slack's hooks host): one kept
# connection per thread for the whole process, as for the Web API.
_ANSWERS = KeptConnections(timeout=5)


class KeptWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient for a response_url, over this thread's kept connection.
    Sent on a kept connection the host had closed meanwhile, an answer is sent once more on a
    new one: a person told twice is better than a person told nothing."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_http_request_internal(url, req)
        response, body = _ANSWERS.post(url, req, repeatable=True)
        KeptConnections.refuse(url, response, body)
        charset = response.headers.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url,
            status_code=response.status,
            body=body.decode(charset),
            headers=dict(response.headers.items()),
        )


class KeptRespond(Respond):
    """Bolt's `respond`, sent over a kept connection rather than a new one each time."""

    def __call__(self, text: str | dict = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = _build_message(**(text if isinstance(text, dict) else {"text": text, **fields}))
        hook = KeptWebhookClient(url=self.response_url, proxy=self.proxy, ssl=self.ssl)
        return hook.send_dict(message)


def slack_client(
    settings: Settings,
    token: str | None = None,
    *,
    quick: bool = False,
    pacer: Pacer | None = None,
    workspace: str | None = None,
) -> KeepAliveWebClient:
    """A Web API client that keeps its connections open between calls, paces its calls to
    Slack's limits (with the process's `pacer`), honours 429 Retry-After and retries dropped
    connections, and 5xx where that cannot do a thing twice.

    `quick`: one try of at most a second and no wait for its turn, for what a request looks up
    before its answer (Slack waits three seconds): a slow or busy Slack gets no second chance
    there, the caller does without.

    `workspace`: the id of the workspace whose `token` it is (installed through OAuth)."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    if quick:
        return KeepAliveWebClient(
            token=token,
            base_url=settings.slack_api_url,
            timeout=1,
            retry_handlers=[],
            pacer=pacer,
            max_wait=0.0,
            workspace=workspace,
        )
    return KeepAliveWebClient(
        token=token,
        base_url=settings.slack_api_url,
        pacer=pacer,
        workspace=workspace,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            IdempotentServerErrorRetryHandler(max_retry_count=2),
        ],
    )
