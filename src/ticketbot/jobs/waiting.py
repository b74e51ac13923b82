"""Tickets that would wait forever on their requester (`conversation.auto_close_days`): a
reminder halfway, then the closing, each told to the requester where they talk with us.

Once across replicas: each ticket is changed under its row lock (skipped, not waited for,
when another replica holds it), after checking again that it still waits since the same
moment and was not reminded yet; the reminder and the notice are queued in that same
transaction (services/messages.py), so the change and what tells of it land together or
not at all. A requester's answer moves the ticket out of Waiting on reply and resets both."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Role, Viewer
from ticketbot.services.conversation import News
from ticketbot.services.refreshes import refresh_views
from ticketbot.slack import notify
from ticketbot.store.models import Ticket
from ticketbot.views import status as status_views
from ticketbot.vocabulary import Status

logger = logging.getLogger("ticketbot.waiting")
BATCH = 100


@dataclass
class WaitingReport:
    reminded: list[int] = field(default_factory=list)  # ticket numbers
    closed: list[int] = field(default_factory=list)

    def add(self, other: WaitingReport) -> WaitingReport:
        return WaitingReport(self.reminded + other.reminded, self.closed + other.closed)


def _limit(runtime: Runtime) -> timedelta | None:
    days = runtime.config.conversation.auto_close_days
    return timedelta(days=days) if days else None


def due_waiting(
    runtime: Runtime, now: datetime, workspace_id: str | None = None
) -> list[tuple[int, datetime, bool]]:
    """(ticket id, waiting since, to close) of the tickets due a reminder or their closing;
    `workspace_id`: that workspace's only (None: every one)."""
    limit = _limit(runtime)
    if limit is None:
        return []
    mine = () if workspace_id is None else (Ticket.workspace_id == workspace_id,)
    with runtime.database.transaction(read_only=True) as session:
        rows = session.execute(
            select(Ticket.id, Ticket.waiting_since, Ticket.reminded_at)
            .where(Ticket.status == Status.WAITING, Ticket.waiting_since <= now - limit / 2, *mine)
            .order_by(Ticket.waiting_since, Ticket.id)
            .limit(BATCH)
        ).all()
    due = []
    for ticket_id, since, reminded_at in rows:
        close = since <= now - limit
        if close or reminded_at is None:
            due.append((ticket_id, since, close))
    return due


def remind_and_close(
    runtime: Runtime,
    client: WebClient,
    now: datetime | None = None,
    *,
    workspace_id: str | None = None,
) -> WaitingReport:
    report = WaitingReport()
    now = now or runtime.clock.now()
    due = due_waiting(runtime, now, workspace_id)
    if not due:
        return report
    bot = Viewer(runtime.directory.bot_id(client), Role.ADMIN)  # history says the bot did it
    limit = _limit(runtime)
    assert limit is not None
    for ticket_id, since, close in due:
        with runtime.database.transaction() as session:
            ticket = session.scalars(
                select(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status == Status.WAITING,
                    Ticket.waiting_since == since,
                )
                .with_for_update(of=Ticket, skip_locked=True)
            ).first()
            if ticket is None:  # answered meanwhile, or another replica has it
                continue
            if close:
                _close(runtime, session, client, ticket, bot, now, limit.days)
                report.closed.append(ticket.number)
            elif ticket.reminded_at is None:
                ticket.reminded_at = now
                closes_at = since + limit
                notify.to_requester(
                    runtime, session, client, ticket,
                    lambda t=ticket, at=closes_at: status_views.reminder(t, closes_at=at),
                )  # fmt: skip
                report.reminded.append(ticket.number)
    if report.reminded or report.closed:
        logger.info(
            "waiting tickets: %d reminded, %d closed", len(report.reminded), len(report.closed)
        )
        runtime.slack_changed()
    return report


def _close(runtime, session, client, ticket: Ticket, bot: Viewer, now, days: int) -> None:
    with speaking(runtime.config.channel_language):  # the solution shows on the card
        solution = ticket.solution or _(
            "Closed automatically: no reply from the requester in {days} days."
        ).format(days=days)
    ticket_service.change_status(
        session=session,
        ticket=ticket,
        status=Status.CLOSED,
        solution=solution,
        viewer=bot,
        now=now,
        policy=runtime.policy,
        outbound=runtime.outbound,
    )
    notify.to_requester(
        runtime, session, client, ticket,
        lambda: status_views.auto_closed(ticket, days=days),
    )  # fmt: skip
    notify.followers_hear(
        runtime, session, client, ticket, News.CLOSED, bot.user_id,
        lambda: status_views.auto_closed_text(ticket, days=days),
    )  # fmt: skip
    refresh_views(session=session, ticket=ticket, now=now)
