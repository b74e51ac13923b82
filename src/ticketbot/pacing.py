"""Keeping within Slack's rate limits before Slack has to say 429.

Slack limits each Web API method per workspace by tier (Tier 2 about 20 calls a minute, Tier 3
about 50, Tier 4 about 100, each with short bursts) and `chat.postMessage` to about one
message a second per channel. A token bucket per (workspace, method) and per (workspace,
channel) for posts paces every call of this process; a 429's Retry-After pauses that method
for every thread of the process.

What a person waits for (a modal, an answer, their card) goes first: work marked as
background (`background()`: scheduled passes) may not take a bucket's last tokens, which stay
for the next person. Each process takes its `share` of the budget (the replicas times the
workers of each), so that together they stay within Slack's.

A modal opens with the `trigger_id` of the click or command, which Slack honours for three
seconds: `trigger_expires(at)` says when, and a `views.open` or `views.push` whose turn would
come later is refused at once (RateLimited) rather than sent dead after holding a thread.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ticketbot import metrics

# Calls a minute and the burst Slack tolerates, per workspace, by tier.
TIER_2 = (20.0, 4)
TIER_3 = (50.0, 10)
TIER_4 = (100.0, 20)
POST_PER_CHANNEL = (60.0, 1)  # chat.postMessage: about one a second per channel
POSTS = (300.0, 30)  # chat.postMessage across channels: Slack's "several hundred a minute"

# Socket Mode's connection: limited per app, not per workspace, and the bot opens one only
# when the last one ended (or Slack asked it to move); its keeper backs off on its own when
# attempts fail. Paced at Tier 1, a second move within a minute would leave the bot deaf.
UNPACED = frozenset({"apps.connections.open"})
TIERS: dict[str, tuple[float, int]] = {
    "usergroups.users.list": TIER_2,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "conversations.open": TIER_3,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "reactions.add": TIER_3,
    "users.info": TIER_4,
    "chat.getPermalink": TIER_4,
    "chat.postEphemeral": TIER_4,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "functions.completeSuccess": TIER_4,
    "functions.completeError": TIER_4,
    "auth.test": TIER_4,
    "chat.postMessage": POSTS,
}
DEFAULT = TIER_3
# Methods called with a trigger_id, which expires: they never wait beyond it.
TRIGGERED = frozenset({"views.open", "views.push"})
RESERVE = 0.25  # of each bucket's burst, kept for what a person waits for

_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ticketbot_pacing_background", default=False
)
_TRIGGER_EXPIRES: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ticketbot_pacing_trigger_expires", default=None
)


@contextmanager
def background() -> Iterator[None]:
    """Calls made inside are background work: they leave the last tokens to people."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def trigger_expires(at: float | None) -> None:
    """For the request being handled (and the work it starts after its answer, which runs in
    a copy of its context): time.monotonic() when its trigger_id stops being honoured."""
    _TRIGGER_EXPIRES.set(at)


def _trigger_wait(method: str) -> float | None:
    """How long a call of `method` may wait for its turn before its trigger_id expires (None:
    no trigger to outlive). Real time: Slack's clock, whatever the pacer's."""
    expires = _TRIGGER_EXPIRES.get()
    if method not in TRIGGERED or expires is None:
        return None
    return max(expires - time.monotonic(), 0.0)


class RateLimited(Exception):
    """No call of this method may go now, and the caller would not wait (`max_wait`)."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method}: paced, next call in {wait:.1f} s")
        self.method, self.wait = method, wait


@dataclass
class _Bucket:
    rate: float  # tokens a second
    capacity: float
    tokens: float
    at: float  # when `tokens` was counted (monotonic)
    paused_until: float = 0.0
    waiting: int = 0  # callers asleep until their turn, each before a newcomer

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self, now: float, reserve: float) -> float:
        """Seconds until a token beyond `reserve` is there (0: now)."""
        if now < self.paused_until:
            return self.paused_until - now
        self.refill(now)
        missing = 1 + reserve - self.tokens
        return missing / self.rate if missing > 1e-9 else 0.0  # rounding is no reason to wait


class Pacer:
    def __init__(
        self,
        share: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("a share of the budget is between 0 and 1")
        self.share = share
        self._monotonic, self._sleep = monotonic, sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.waited = 0.0  # seconds callers spent waiting, for the metrics

    def _bucket(self, key: tuple[str, str], limits: tuple[float, int], now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            per_minute, burst = limits
            capacity = max(burst * self.share, 1.0)
            rate = per_minute * self.share / 60
            bucket = self._buckets[key] = _Bucket(rate, capacity, capacity, now)
        return bucket

    def _buckets_of(self, workspace: str, method: str, channel: str | None, now: float):
        buckets = [self._bucket((workspace, method), TIERS.get(method, DEFAULT), now)]
        if method == "chat.postMessage" and channel:
            buckets.append(self._bucket((workspace, f"channel:{channel}"), POST_PER_CHANNEL, now))
        return buckets

    def acquire(
        self,
        workspace: str,
        method: str,
        *,
        channel: str | None = None,
        max_wait: float | None = None,
    ) -> float:
        """Take a token for one call, waiting as long as needed (at most `max_wait`, else
        RateLimited). Returns the seconds waited."""
        if method in UNPACED:
            return 0.0
        left = _trigger_wait(method)
        if left is not None:
            max_wait = left if max_wait is None else min(max_wait, left)
        return self._await(workspace, method, channel, max_wait, take=True)

    def ready(self, workspace: str, method: str) -> int:
        """How many calls of `method` could go at once now, beyond the background reserve when
        called as background work (0 while a 429 pauses it)."""
        if method in UNPACED:
            return 1_000_000
        with self._lock:
            now = self._monotonic()
            bucket = self._bucket((workspace, method), TIERS.get(method, DEFAULT), now)
            if now < bucket.paused_until:
                return 0
            bucket.refill(now)
            reserve = max(round(bucket.capacity * RESERVE), 0) if _BACKGROUND.get() else 0
            return max(int(bucket.tokens + 1e-9) - reserve, 0)

    def wait_turn(self, workspace: str, method: str, *, channel: str | None = None) -> float:
        """Wait until a call of `method` could go, without taking its token (the call then
        takes it). For work that is rendered from the database: rendered after the wait, it
        shows what changed meanwhile. Returns the seconds waited."""
        if method in UNPACED:
            return 0.0
        return self._await(workspace, method, channel, None, take=False)

    def _await(
        self,
        workspace: str,
        method: str,
        channel: str | None,
        max_wait: float | None,
        *,
        take: bool,
    ) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = self._monotonic()
                buckets = self._buckets_of(workspace, method, channel, now)
                reserve = 0.0
                if _BACKGROUND.get():
                    reserve = max(round(buckets[0].capacity * RESERVE), 0)
                wait = max(b.wait(now, reserve if b is buckets[0] else 0.0) for b in buckets)
                if wait <= 0:
                    if take:
                        for bucket in buckets:
                            bucket.tokens -= 1
                        self.waited += waited
                        metrics.paced(method, waited)
                    return waited
                if max_wait is not None:
                    # Those asleep before this caller take the next tokens first: a turn that
                    # cannot come in time is refused now, not after holding the thread.
                    ahead = buckets[0].waiting if not waited else 0
                    turn = wait + ahead / buckets[0].rate
                    if waited + turn > max_wait:
                        raise RateLimited(method, turn)
                buckets[0].waiting += 1
            try:
                self._sleep(wait)
            finally:
                with self._lock:
                    buckets[0].waiting -= 1
            waited += wait

    def pause(self, workspace: str, method: str, seconds: float) -> None:
        """Slack said 429 with Retry-After: no call of `method` until it has passed."""
        with self._lock:
            now = self._monotonic()
            bucket = self._bucket((workspace, method), TIERS.get(method, DEFAULT), now)
            bucket.paused_until = max(bucket.paused_until, now + seconds)
            bucket.tokens = min(bucket.tokens, 0.0)
