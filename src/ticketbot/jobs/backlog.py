"""How far behind each outbox is, read when Prometheus scrapes GET /metrics."""

from __future__ import annotations

from ticketbot.jobs import cards, messages, sla_alerts, webhooks
from ticketbot.metrics import Backlog
from ticketbot.runtime import Runtime

# Deadline warnings, webhook deliveries, card and status message updates, notices and
# relayed replies: named by their tables.
OUTBOXES = (
    sla_alerts.OUTBOX,
    webhooks.OUTBOX,
    cards.OUTBOX,
    cards.STATUS_OUTBOX,
    messages.OUTBOX,
)


def backlogs(runtime: Runtime) -> dict[str, Backlog]:
    """Each outbox's rows pending and due, and the wait of its oldest due row (by the
    runtime's clock): one read-only transaction, one query a table."""
    now = runtime.clock.now()
    found = {}
    with runtime.database.transaction(read_only=True) as session:
        for outbox in OUTBOXES:
            pending, due, oldest = outbox.backlog(session, now)
            lag = (now - oldest).total_seconds() if oldest is not None else 0.0
            found[outbox.model.__tablename__] = Backlog(pending, due, lag)
    return found
