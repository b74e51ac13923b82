"""Which outbox and processed-event rows are done with, and deleting them a batch at a time.

An outbox row is finished once delivered or given up; after `retention_days` it is only
history, and without a purge the tables would grow forever. Pending rows are work still to do
and are never touched. Each kind says when its rows were finished:

- deadline warnings (sent, cancelled, superseded or failed) from `sent_at`, else `created_at`;
  the warnings and breach of an open ticket's current deadline stay however old, because
  re-planning that deadline (saving the ticket's edit form) inserts the rows that are not there:
  purged, a breach sent weeks ago would be posted again;
- webhook deliveries (delivered or failed) from `delivered_at`, else `created_at`;
- card and status-message refreshes only once given up (`failed`; a pending one is a message
  still to show), from `available_at`, their last attempt;
- messages posted, cancelled or given up (relayed replies, notices, and the edits and
  deletions that followed them) from `sent_at`, else `created_at`, unless an edit still waits
  to be applied to them; after that an edit of the original is no longer followed on its copy;
- Slack event ids after their two days (`events.KEEP_FOR`), whatever `retention_days` says:
  they only guard against Slack's retries.

`purge_batch` deletes at most `limit` rows of one kind in the caller's transaction, by key
from a SELECT ... LIMIT (a WITH on PostgreSQL, a subquery on SQLite). On PostgreSQL it locks
its rows FOR UPDATE SKIP LOCKED: a row another transaction holds (a given-up card being
marked again) is left for a later pass rather than waited for, and one changed since the
statement began is checked again as it now is. SQLite has one writer at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ticketbot.services import messages
from ticketbot.services.alert_plan import CANCELLED, ESCALATION, SENT, SUPERSEDED
from ticketbot.services.events import KEEP_FOR
from ticketbot.services.webhooks import DELIVERED, FAILED  # FAILED: any outbox gave up
from ticketbot.store.models import (
    CardRefresh,
    OutgoingMessage,
    ProcessedEvent,
    SlaAlert,
    StatusRefresh,
    Ticket,
    WebhookDelivery,
)
from ticketbot.vocabulary import Status

Conditions = tuple[ColumnElement[bool], ...]


@dataclass(frozen=True)
class Purgeable:
    """One kind of row the purge deletes: its table, its key, and which of its rows are
    finished and old at `now` for a retention (`finished(now, retention)`)."""

    model: Any
    key: str
    finished: Callable[[datetime, timedelta], Conditions]
    outbox: bool = True  # False: the processed events

    @property
    def name(self) -> str:
        return self.model.__tablename__


def _alerts(now: datetime, retention: timedelta) -> Conditions:
    cutoff = now - retention
    current_deadline = exists().where(
        Ticket.id == SlaAlert.ticket_id,
        Ticket.status != Status.CLOSED,  # reopening restarts the clock: a new deadline
        Ticket.due_at == SlaAlert.deadline,
    )
    return (
        SlaAlert.state.in_((SENT, CANCELLED, SUPERSEDED, FAILED)),
        # A warning is sent after it was raised: this bound adds nothing but the index.
        SlaAlert.created_at < cutoff,
        func.coalesce(SlaAlert.sent_at, SlaAlert.created_at) < cutoff,
        # An escalation is planned only after the one before it was posted, never again.
        or_(SlaAlert.kind == ESCALATION, ~current_deadline),
    )


def _deliveries(now: datetime, retention: timedelta) -> Conditions:
    cutoff = now - retention
    return (
        WebhookDelivery.state.in_((DELIVERED, FAILED)),
        WebhookDelivery.created_at < cutoff,  # delivered after it was raised: for the index
        func.coalesce(WebhookDelivery.delivered_at, WebhookDelivery.created_at) < cutoff,
    )


def _cards(now: datetime, retention: timedelta) -> Conditions:
    return CardRefresh.state == FAILED, CardRefresh.available_at < now - retention


def _statuses(now: datetime, retention: timedelta) -> Conditions:
    return StatusRefresh.state == FAILED, StatusRefresh.available_at < now - retention


def _messages(now: datetime, retention: timedelta) -> Conditions:
    cutoff = now - retention
    follow_up = aliased(OutgoingMessage)
    waiting = exists().where(
        follow_up.edits_id == OutgoingMessage.id, follow_up.state == messages.PENDING
    )
    return (
        OutgoingMessage.state.in_((messages.SENT, messages.CANCELLED, FAILED)),
        OutgoingMessage.created_at < cutoff,  # posted after it was queued: for the index
        func.coalesce(OutgoingMessage.sent_at, OutgoingMessage.created_at) < cutoff,
        ~waiting,  # an edit still to apply keeps its copy
    )


def _events(now: datetime, _retention: timedelta) -> Conditions:
    return (ProcessedEvent.received_at < now - KEEP_FOR,)


SLA_ALERTS = Purgeable(SlaAlert, "id", _alerts)
WEBHOOK_DELIVERIES = Purgeable(WebhookDelivery, "id", _deliveries)
CARD_REFRESHES = Purgeable(CardRefresh, "ticket_id", _cards)
STATUS_REFRESHES = Purgeable(StatusRefresh, "ticket_id", _statuses)
OUTGOING_MESSAGES = Purgeable(OutgoingMessage, "id", _messages)
PROCESSED_EVENTS = Purgeable(ProcessedEvent, "event_id", _events, outbox=False)
PURGEABLE = (
    SLA_ALERTS,
    WEBHOOK_DELIVERIES,
    CARD_REFRESHES,
    STATUS_REFRESHES,
    OUTGOING_MESSAGES,
    PROCESSED_EVENTS,
)


def purge_batch(
    *, session: Session, kind: Purgeable, now: datetime, retention: timedelta, limit: int
) -> int:
    """Delete up to `limit` finished, old rows of `kind`; returns how many went. Fewer than
    `limit`: none is left (but for rows another transaction holds on PostgreSQL)."""
    key = getattr(kind.model, kind.key)
    batch = select(key).where(*kind.finished(now, retention)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Materialised, run once: as a plain IN (subquery) PostgreSQL may rescan the LIMIT
        # for each row of a nested loop, every rescan passing over the rows just deleted to
        # the next ones, and so delete them all in one statement.
        batch = (
            batch.with_for_update(skip_locked=True)
            .cte("batch")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        keys = select(batch.c[kind.key])
    else:
        # SQLite runs an uncorrelated IN (subquery) once (and counts no rows of a WITH).
        keys = batch.scalar_subquery()
    result = session.execute(
        delete(kind.model).where(key.in_(keys)).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
