"""Outbound webhook events, written to the outbox in the same transaction as the change.

The services that change tickets take the configured webhooks as an `Outbound` (the
runtime's, passed in by the caller), so an event can only exist if its change commits, and
a caller that passes none (unit tests, migrations, the command line) emits nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ticketbot.config import WebhookConfig
from ticketbot.store.models import Comment, Ticket, TicketChange, WebhookDelivery
from ticketbot.vocabulary import Status, WebhookEvent

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Outbound:
    hooks: tuple[WebhookConfig, ...]
    # Called once after a commit that emitted something: starts a delivery pass right away
    # instead of at the next scheduled one. It must not block (the request may not be acked).
    nudge: Callable[[], None] | None = None

    def subscribers(self, kind: WebhookEvent) -> list[WebhookConfig]:
        return [hook for hook in self.hooks if kind in hook.events]


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def ticket_snapshot(ticket: Ticket) -> dict:
    """The ticket as it is after the change, in stored (language-neutral) values."""
    party = ticket.party
    return {
        "number": ticket.number,
        "title": ticket.title,
        "status": str(ticket.status),
        "priority": str(ticket.priority),
        "engagement": str(ticket.engagement),
        "category": ticket.category,
        "assignee_id": ticket.assignee_id,
        "requester_id": ticket.requester_id,
        "party": {"kind": str(party.kind), "name": party.name} if party else None,
        "product": ticket.product,
        "visibility": str(ticket.visibility),
        "source": str(ticket.source),
        "description": ticket.description,
        "solution": ticket.solution,
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.updated_at),
        "due_at": timestamp(ticket.due_at),
        "closed_at": timestamp(ticket.closed_at),
        "card_url": ticket.card_permalink,
        "version": ticket.version,
    }


def change_list(changes: Iterable[TicketChange | None]) -> list[dict]:
    return [
        {"field": c.field, "old": c.old_value, "new": c.new_value} for c in changes if c is not None
    ]


def status_event(old: Status, new: Status) -> WebhookEvent:
    if new is Status.CLOSED:
        return WebhookEvent.CLOSED
    if old is Status.CLOSED:
        return WebhookEvent.REOPENED
    return WebhookEvent.UPDATED


def comment_details(comment: Comment) -> dict:
    return {
        "comment": {
            "id": comment.id,
            "author_id": comment.author_id,
            "text": comment.text,
            "files": comment.files or [],
            "internal": comment.internal,  # an agents' note: not for the requester's eyes
            "created_at": timestamp(comment.created_at),
        }
    }


def emit(
    *,
    session: Session,
    ticket: Ticket,
    kind: WebhookEvent,
    now: datetime,
    actor_id: str,
    changes: Iterable[TicketChange | None] = (),
    details: dict | None = None,
    outbound: Outbound | None = None,
) -> list[WebhookDelivery]:
    """Queue one delivery per webhook subscribed to `kind`; nothing when none is."""
    hooks = outbound.subscribers(kind) if outbound is not None else []
    if not hooks:
        return []
    content = {
        "event": kind.value,
        "occurred_at": timestamp(now),
        "workspace_id": ticket.workspace_id,
        "actor_id": actor_id,
        "ticket": ticket_snapshot(ticket),
        "changes": change_list(changes),
        **(details or {}),
    }
    rows = []
    for hook in hooks:
        delivery_id = str(uuid.uuid4())
        # The stored text is the exact body sent and signed, every attempt alike.
        payload = json.dumps(
            {"delivery_id": delivery_id, **content}, ensure_ascii=False, separators=(",", ":")
        )
        rows.append(
            WebhookDelivery(
                delivery_id=delivery_id,
                url=hook.url,
                event=kind.value,
                payload=payload,
                state=PENDING,
                attempts=0,
                available_at=now,
                created_at=now,
            )
        )
    session.add_all(rows)
    if outbound is not None and outbound.nudge is not None:
        nudge = outbound.nudge
        # Once the change is committed, never before: a rolled-back session is discarded.
        event.listen(session, "after_commit", lambda _session: nudge(), once=True)
    return rows


def forget_comment(*, session: Session, comment: Comment) -> int:
    """A comment deleted in Slack: its words are gone from every delivery that carried them,
    delivered or not (one still to go says that the comment was deleted, not what it said)."""
    carried = f'"comment":{{"id":{comment.id},'
    rows = session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.event == WebhookEvent.COMMENTED.value,
            WebhookDelivery.payload.contains(carried, autoescape=True),
        )
    ).all()
    for row in rows:
        body = json.loads(row.payload)
        body["comment"].update(text="", files=[], deleted=True)
        row.payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return len(rows)
