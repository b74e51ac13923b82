"""Which deadline warnings a ticket will need, kept in the outbox as the ticket changes.

Called by the ticket services whenever a deadline may have moved. Rows are keyed by
(ticket, kind, step, deadline, target): re-planning for the same deadline adds nothing, a
new deadline gets its own rows, and rows of an old deadline are cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ticketbot.services.deadlines import DeadlinePolicy, Policies
from ticketbot.store.db import dialect_insert
from ticketbot.store.models import SlaAlert, Ticket
from ticketbot.vocabulary import Status

WARNING, BREACH, ESCALATION = "warning", "breach", "escalation"
CHANNEL, ASSIGNEE = "channel", "assignee"
PENDING, SENT, CANCELLED, SUPERSEDED = "pending", "sent", "cancelled", "superseded"


def _targets(policy: DeadlinePolicy) -> list[str]:
    return [CHANNEL, ASSIGNEE] if policy.dm_assignee else [CHANNEL]


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    session.execute(dialect_insert(session, SlaAlert).on_conflict_do_nothing(), rows)


def _row(ticket: Ticket, kind: str, step: int, at: datetime, target: str, now: datetime) -> dict:
    return {
        "ticket_id": ticket.id,
        "kind": kind,
        "step": step,
        "deadline": ticket.due_at,
        "target": target,
        "notify_at": at,
        "available_at": at,
        "state": PENDING,
        "attempts": 0,
        "created_at": now,
    }


def cancel_pending(session: Session, ticket: Ticket, *, keep_deadline: datetime | None) -> None:
    condition = [SlaAlert.ticket_id == ticket.id, SlaAlert.state == PENDING]
    if keep_deadline is not None:
        condition.append(SlaAlert.deadline != keep_deadline)
    session.execute(update(SlaAlert).where(*condition).values(state=CANCELLED))


def plan_alerts(
    *, session: Session, ticket: Ticket, policy: DeadlinePolicy | Policies, now: datetime
) -> None:
    """Bring the ticket's pending warnings in line with its current deadline."""
    policy = policy.of(ticket)
    running = (
        policy.alerts_enabled
        and ticket.status is not Status.CLOSED
        and ticket.paused_at is None
        and ticket.due_at is not None
    )
    if not running:
        cancel_pending(session, ticket, keep_deadline=None)
        return
    session.flush()
    cancel_pending(session, ticket, keep_deadline=ticket.due_at)
    budget = policy.engagement(ticket)
    paused = timedelta(seconds=ticket.paused_seconds)
    rows = []
    for target in _targets(policy):
        for fraction in policy.warn_at:
            at = policy.calendar.add(ticket.sla_started_at, budget * fraction + paused)
            rows.append(_row(ticket, WARNING, round(fraction * 100), at, target, now))
        rows.append(_row(ticket, BREACH, 100, ticket.due_at, target, now))
    _insert_ignoring_duplicates(session, rows)


def plan_escalation(
    *, session: Session, alert: SlaAlert, policy: DeadlinePolicy, now: datetime
) -> None:
    """After a breach (or an escalation) is posted, the next reminder, if the team wants them
    (`policy`: the alert's ticket's)."""
    if policy.escalate_every is None or alert.target != CHANNEL:
        return
    step = alert.step + 1 if alert.kind == ESCALATION else 1
    at = alert.deadline + policy.escalate_every * step
    _insert_ignoring_duplicates(
        session,
        [
            {
                "ticket_id": alert.ticket_id,
                "kind": ESCALATION,
                "step": step,
                "deadline": alert.deadline,
                "target": CHANNEL,
                "notify_at": at,
                "available_at": at,
                "state": PENDING,
                "attempts": 0,
                "created_at": now,
            }
        ],
    )
