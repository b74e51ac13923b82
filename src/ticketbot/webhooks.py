"""Delivering webhook events from the outbox: signed POSTs, retried with backoff.

Like the SLA pass: a pass claims due rows atomically (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serialises writers) under a lease, POSTs outside any transaction, then records each
outcome under its claim. Racing passes (scheduler ticks on every replica, the nudge after a
request) never claim the same row, and a crashed pass's rows come back when the lease ends;
the receiver may then see a delivery_id twice, which is why every body carries one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests
from sqlalchemy import select, update

from ticketbot import __version__
from ticketbot.config import WebhookConfig
from ticketbot.services.webhooks import DELIVERED, FAILED, PENDING
from ticketbot.store.models import WebhookDelivery

if TYPE_CHECKING:
    from ticketbot.runtime import Runtime

logger = logging.getLogger("ticketbot.webhooks")

BATCH = 50
TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
# Longer than a whole batch of timeouts (50 x 13 s), so no claim expires while its pass is
# still working through the batch.
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 8  # then the row is marked failed, its last error kept
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
SIGNATURE_HEADER = "X-Ticketbot-Signature"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after the n-th failed attempt, at most an hour."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_CAP)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # delivery ids
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # not tried: their receiver just failed


def _post(http: requests.Session, hook: WebhookConfig, row: WebhookDelivery) -> str | None:
    """None when the receiver took it (2xx); otherwise why not, for `last_error`."""
    body = row.payload.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"ticketbot-webhooks/{__version__}",
        "X-Ticketbot-Event": row.event,
        "X-Ticketbot-Delivery": row.delivery_id,
        SIGNATURE_HEADER: signature(hook.secret.get_secret_value(), body),
    }
    try:
        # A redirect would resend the body elsewhere (or drop it as a GET): a failure instead.
        response = http.post(
            row.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.Timeout:
        return "timeout"
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"[:200]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def _claim(runtime: Runtime, now: datetime, token: str) -> list[WebhookDelivery]:
    with runtime.database.transaction() as session:
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.state == PENDING, WebhookDelivery.available_at <= now)
            .order_by(WebhookDelivery.available_at, WebhookDelivery.id)
            .limit(BATCH)
        )
        if runtime.database.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.claim_token = token
            row.available_at = now + LEASE
    return rows


def _record(runtime: Runtime, row: WebhookDelivery, token: str, **values) -> bool:
    """Write an outcome, only if this pass still holds the claim."""
    with runtime.database.transaction() as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id, WebhookDelivery.claim_token == token)
            .values(claim_token=None, **values)
        )
        return bool(result.rowcount)


def deliver_webhooks(
    runtime: Runtime, *, now: datetime | None = None, http: requests.Session | None = None
) -> DeliveryReport:
    """One pass over the due deliveries."""
    now = now or runtime.clock.now()
    token = uuid.uuid4().hex
    report = DeliveryReport()
    rows = _claim(runtime, now, token)
    if not rows:
        return report
    hooks = {hook.url: hook for hook in runtime.config.webhooks}
    # A receiver that just failed is not tried again in this pass: its other rows wait for
    # the same retry time instead of each costing a timeout now.
    resting: dict[str, datetime] = {}
    with requests.Session() if http is None else nullcontext(http) as session:
        for row in rows:
            hook = hooks.get(row.url)
            if hook is None:
                _record(runtime, row, token, state=FAILED, last_error="no webhook has this URL now")
                report.failed.append(row.delivery_id)
                continue
            if row.url in resting:
                _record(runtime, row, token, available_at=resting[row.url])
                report.deferred.append(row.delivery_id)
                continue
            error = _post(session, hook, row)
            attempts = row.attempts + 1
            if error is None:
                if _record(
                    runtime, row, token, state=DELIVERED, attempts=attempts, delivered_at=now
                ):
                    report.delivered.append(row.delivery_id)
                continue
            if attempts >= MAX_ATTEMPTS:
                logger.warning(
                    "webhook %s to %s failed %d times (%s); giving up",
                    row.delivery_id,
                    row.url,
                    attempts,
                    error,
                )
                _record(runtime, row, token, state=FAILED, attempts=attempts, last_error=error)
                report.failed.append(row.delivery_id)
                continue
            retry_at = now + retry_delay(attempts)
            resting[row.url] = retry_at
            logger.info("webhook %s to %s: %s; retrying later", row.delivery_id, row.url, error)
            _record(runtime, row, token, attempts=attempts, last_error=error, available_at=retry_at)
            report.retrying.append(row.delivery_id)
    return report


class Dispatcher:
    """Runs delivery passes on a background thread right after a commit that emitted events,
    so receivers hear within a moment instead of at the next scheduled pass. Best effort: the
    request never waits for it, and whatever it misses the scheduled pass delivers."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._state = threading.Condition()
        self._wanted = False
        self._running = False

    def kick(self) -> None:
        with self._state:
            self._wanted = True
            if self._running:
                return  # the running thread passes again before it stops
            self._running = True
        threading.Thread(target=self._work, name="webhooks", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._state:
                if not self._wanted:
                    self._running = False
                    self._state.notify_all()
                    return
                self._wanted = False
            try:
                deliver_webhooks(self._runtime)
            except Exception:
                logger.exception("webhook delivery pass failed; the scheduled pass retries")

    def wait_idle(self, timeout: float) -> bool:
        """True once no pass runs or is wanted (tests, and shutdown)."""
        with self._state:
            return self._state.wait_for(lambda: not self._running, timeout)
