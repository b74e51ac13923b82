"""Delivering webhook events from the outbox: signed POSTs, retried with backoff.

The rows are worked by the one outbox mechanism (jobs/outbox.py): racing passes (scheduler
ticks on every replica, the nudge after a request) never claim the same row, and a crashed
pass's rows come back when the lease ends; the receiver may then see a delivery_id twice,
which is why every body carries one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from ticketbot import __version__
from ticketbot.config import WebhookConfig
from ticketbot.failures import retry_delay
from ticketbot.jobs.background import Nudged
from ticketbot.jobs.outbox import FAILED, Outbox, new_token
from ticketbot.runtime import Runtime
from ticketbot.services.webhooks import DELIVERED
from ticketbot.store.models import WebhookDelivery

logger = logging.getLogger("ticketbot.webhooks")

BATCH = 50
TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
# Longer than a whole batch of timeouts (50 x 13 s), so no claim expires while its pass is
# still working through the batch.
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 8  # then the row is marked failed, its last error kept
SIGNATURE_HEADER = "X-Ticketbot-Signature"


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


OUTBOX = Outbox(WebhookDelivery, lease=LEASE, max_attempts=MAX_ATTEMPTS)


def deliver_webhooks(
    runtime: Runtime, *, now: datetime | None = None, http: requests.Session | None = None
) -> DeliveryReport:
    """One pass over the due deliveries."""
    now = now or runtime.clock.now()
    token = new_token()
    report = DeliveryReport()
    database = runtime.database
    rows = OUTBOX.claim(database, now=now, token=token, limit=BATCH)
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
                gone = "no webhook has this URL now"
                OUTBOX.record(database, [row.id], token, state=FAILED, last_error=gone)
                report.failed.append(row.delivery_id)
                continue
            if row.url in resting:
                OUTBOX.release(database, row, token, at=resting[row.url])
                report.deferred.append(row.delivery_id)
                continue
            error = _post(session, hook, row)
            if error is None:
                delivered = dict(state=DELIVERED, attempts=row.attempts + 1, delivered_at=now)
                if OUTBOX.record(database, [row.id], token, **delivered):
                    report.delivered.append(row.delivery_id)
                continue
            if OUTBOX.retry(database, row, token, now=now, error=error):
                logger.warning(
                    "webhook %s to %s failed %d times (%s); giving up",
                    row.delivery_id,
                    row.url,
                    row.attempts + 1,
                    error,
                )
                report.failed.append(row.delivery_id)
                continue
            resting[row.url] = now + retry_delay(row.attempts + 1)
            logger.info("webhook %s to %s: %s; retrying later", row.delivery_id, row.url, error)
            report.retrying.append(row.delivery_id)
    return report


class Dispatcher(Nudged):
    """Runs delivery passes on a background thread right after a commit that emitted events,
    so receivers hear within a moment instead of at the next scheduled pass."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__("webhooks", lambda: bool(deliver_webhooks(runtime).delivered))


def start_dispatcher(runtime: Runtime) -> Dispatcher | None:
    """Deliver each change's webhook events right after its commit (None: no webhooks)."""
    if runtime.outbound is None:
        return None
    dispatcher = Dispatcher(runtime)
    runtime.nudge_with(dispatcher)
    return dispatcher
