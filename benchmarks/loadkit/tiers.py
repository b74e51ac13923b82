"""A fake Slack that enforces Slack's published rate-limit tiers, as slack.com does.

Slack limits each Web API method per workspace by tier (Tier 2 about 20 calls a minute,
Tier 3 about 50, Tier 4 about 100, each "with occasional bursts"), and `chat.postMessage` to
about one message a second per channel ("short bursts above that allowed"). Beyond them it
answers HTTP 429 with `Retry-After`, the seconds until a call of that method may go again.

Each limit is a token bucket per (workspace token, method), and per (token, channel) for
posts: `burst` calls at once, refilled at `per_minute`. The table is this file's own reading
of Slack's documentation (api.slack.com/apis/rate-limits and each method's page), not
ticketbot's pacing table: the referee does not borrow the player's rules. The bursts are not
published; the ones here are about twelve seconds' worth of each tier.

Besides the limits, the fake counts what a benchmark reads about its own run: calls and 429s
per method, TCP connections opened to it, calls that asked to close their connection, and
(inherited) the last text and blocks of every message.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from loadkit.fake_process import CountingFake
from tests.support.fake_slack import _parse_body
from tests.support.fake_slack_api import error


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: int


TIER_2 = Limit(20, 4)
TIER_3 = Limit(50, 10)
TIER_4 = Limit(100, 20)
POSTS_PER_CHANNEL = Limit(60, 3)  # "1 per second per channel, short bursts allowed"
POSTS_PER_WORKSPACE = Limit(600, 60)  # "several hundred messages a minute"

METHOD_LIMITS: dict[str, Limit] = {
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "conversations.open": TIER_3,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "reactions.add": TIER_3,
    "usergroups.users.list": TIER_2,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "users.info": TIER_4,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": TIER_4,
    "auth.test": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "chat.postMessage": POSTS_PER_WORKSPACE,
}
DEFAULT_LIMIT = TIER_3  # a method not listed: Slack's most common tier


class _Bucket:
    def __init__(self, limit: Limit, now: float) -> None:
        self.rate = limit.per_minute / 60
        self.capacity = float(limit.burst)
        self.tokens = self.capacity
        self.at = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def retry_after(self) -> int:
        """Whole seconds until the next token (Slack's Retry-After is an integer, at least 1)."""
        return max(1, math.ceil((1 - self.tokens) / self.rate))


class TieredFake(CountingFake):
    """CountingFake with Slack's limits (`enforce(True)`; off while a benchmark seeds)."""

    def __init__(self) -> None:
        super().__init__()
        self.enforcing = False
        self.limited: Counter[str] = Counter()  # 429s answered, per method
        self.api_calls: Counter[str] = Counter()  # Web API calls answered, 429s included
        self.connections = 0  # TCP connections accepted
        self.asked_close = 0  # calls sent with `Connection: close`
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._limits_lock = threading.Lock()

    def _make_server(self):
        server = super()._make_server()
        accept = server.process_request

        def process_request(request, client_address) -> None:
            with self._limits_lock:
                self.connections += 1
            accept(request, client_address)

        server.process_request = process_request
        return server

    def enforce(self, on: bool) -> None:
        with self._limits_lock:
            self.enforcing = on
            self._buckets.clear()  # every limit starts with its whole burst

    def start_window(self) -> None:
        """Counts from now on (what seeding did is not the run's)."""
        with self._limits_lock:
            self.limited.clear()
            self.api_calls.clear()
            self.connections = 0
            self.asked_close = 0

    def tier_report(self) -> dict[str, Any]:
        with self._limits_lock:
            return {
                "api_calls": dict(self.api_calls),
                "limited": dict(self.limited),
                "connections": self.connections,
                "asked_close": self.asked_close,
            }

    def messages_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """The text and blocks each of these messages shows now (absent: never posted)."""
        with self._lock:
            found = {}
            for key in keys:
                message = self.messages.get(tuple(key))
                if message is not None:
                    found[tuple(key)] = {
                        "text": message.get("text", ""),
                        "blocks": message.get("blocks", []),
                    }
            return found

    def _take(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, now)
        bucket.refill(now)
        return bucket

    def _over_limit(self, token: str, method: str, channel: str | None) -> int:
        """0 when the call may go (its tokens taken), else the Retry-After to answer."""
        now = time.monotonic()
        with self._limits_lock:
            buckets = [self._take((token, method), METHOD_LIMITS.get(method, DEFAULT_LIMIT), now)]
            if method == "chat.postMessage" and channel:
                buckets.append(self._take((token, f"channel:{channel}"), POSTS_PER_CHANNEL, now))
            short = [b for b in buckets if b.tokens < 1]
            if short:
                return max(b.retry_after() for b in short)
            for bucket in buckets:
                bucket.tokens -= 1
            return 0

    def _answer(self, verb, raw_path, headers, body):
        parts = urlsplit(raw_path)
        kind, _, method = parts.path.lstrip("/").partition("/")
        if kind != "api" or not method:
            return super()._answer(verb, raw_path, headers, body)
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._limits_lock:
            self.api_calls[method] += 1
            if lowered.get("connection", "").lower() == "close":
                self.asked_close += 1
            enforcing = self.enforcing
        if enforcing:
            try:
                args = _parse_body(body, lowered.get("content-type", ""), parts.query)
            except ValueError:
                args = {}
            token = lowered.get("authorization", "") or str(args.get("token", ""))
            channel = args.get("channel")
            wait = self._over_limit(token, method, channel if isinstance(channel, str) else None)
            if wait:
                with self._limits_lock:
                    self.limited[method] += 1
                return self._finish(
                    method,
                    {},
                    parts.path,
                    error("ratelimited"),
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
        return super()._answer(verb, raw_path, headers, body)
