"""The deliverer: render every marked card and status message as its ticket is now, and post
the queued messages, until Slack takes them.

Woken right after each change (`Deliverer.kick`) and run by the scheduled pass too, on every
replica: the outboxes' claims make each row worked by one of them at a time, and a message
marked again while its update is in flight is simply done once more."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.jobs.background import Nudged
from ticketbot.jobs.messages import deliver_messages
from ticketbot.jobs.outbox import Outbox, new_token, of_workspace
from ticketbot.runtime import Runtime, acting_for
from ticketbot.slack.cards import card_extras, send_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.status import send_status
from ticketbot.slack.workspaces import Workspaces
from ticketbot.store.models import CardRefresh, StatusRefresh, Ticket

logger = logging.getLogger("ticketbot.cards")
BATCH = 50
OUTBOX = Outbox(CardRefresh, lease=timedelta(minutes=2), key="ticket_id")
STATUS_OUTBOX = Outbox(StatusRefresh, lease=timedelta(minutes=2), key="ticket_id")


def catch_up_cards(runtime: Runtime, client: WebClient, *, now: datetime | None = None) -> int:
    """One pass over the cards waiting to be shown. Returns how many landed."""
    return deliver_cards(runtime, client, now=now)[1]


def deliver_cards(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    workspace_id: str | None = None,
) -> tuple[int, int]:
    """One pass: how many cards it claimed, and how many of them Slack took. `workspace_id`:
    only that workspace's (whose `client` it is); None: all of them."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    shown: dict[int, tuple[Ticket, dict]] = {}

    def load(session, rows: list[CardRefresh]) -> None:
        # In the claiming transaction: each ticket and what its card shows besides it.
        ids = [row.ticket_id for row in rows]
        for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique():
            shown[ticket.id] = (ticket, card_extras(runtime, ticket))

    where = of_workspace(CardRefresh.ticket_id, workspace_id)
    rows = OUTBOX.claim(database, now=now, token=token, limit=BATCH, where=where, then=load)
    landed = 0
    for row in rows:
        if row.ticket_id not in shown:  # deleted meanwhile: its row went with it
            continue
        ticket, extras = shown[row.ticket_id]
        try:
            send_card(runtime, client, ticket, extras=extras)
        except SLACK_FAILURES as error:
            reason = failure_reason(error)
            logger.warning("card of #%s not shown (%s); retrying later", ticket.number, reason)
            OUTBOX.retry(database, row, token, now=runtime.clock.now(), error=reason)
            continue
        OUTBOX.clear(database, [row.ticket_id], token)
        landed += 1
    return len(rows), landed


def deliver_statuses(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    workspace_id: str | None = None,
) -> tuple[int, int]:
    """One pass over the requester's status messages waiting to be shown."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    tickets: dict[int, Ticket] = {}

    def load(session, rows: list[StatusRefresh]) -> None:
        ids = [row.ticket_id for row in rows]
        tickets.update(
            (t.id, t) for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique()
        )

    where = of_workspace(StatusRefresh.ticket_id, workspace_id)
    rows = STATUS_OUTBOX.claim(database, now=now, token=token, limit=BATCH, where=where, then=load)
    landed = 0
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None:
            continue
        try:
            send_status(runtime, client, ticket)
        except SLACK_FAILURES as error:
            reason = failure_reason(error)
            logger.warning("status of #%s not shown (%s); retrying later", ticket.number, reason)
            STATUS_OUTBOX.retry(database, row, token, now=runtime.clock.now(), error=reason)
            continue
        STATUS_OUTBOX.clear(database, [row.ticket_id], token)
        landed += 1
    return len(rows), landed


def deliver_all(runtime: Runtime, client: WebClient, *, workspace_id: str | None = None) -> bool:
    """Cards, status messages, then queued messages (which may wait for a card's place).
    True when a pass filled a batch: there may be more."""
    passes = (deliver_cards, deliver_statuses, deliver_messages)
    return any(work(runtime, client, workspace_id=workspace_id)[0] >= BATCH for work in passes)


def deliver_everywhere(runtime: Runtime, workspaces: Workspaces) -> bool:
    """deliver_all for each workspace served, with its client and as its settings say."""
    more = False
    for served in workspaces.serving():
        with acting_for(served.workspace_id):
            more |= deliver_all(runtime, served.client, workspace_id=served.workspace_id)
    return more


class Deliverer(Nudged):
    """Shows changes moments after they commit, on a thread of its own."""

    def __init__(self, runtime: Runtime, workspaces: Workspaces) -> None:
        # A full batch may leave more behind; a change made meanwhile kicks again anyway.
        super().__init__("deliverer", lambda: deliver_everywhere(runtime, workspaces))


def start_deliverer(runtime: Runtime, workspaces: Workspaces) -> Deliverer:
    deliverer = Deliverer(runtime, workspaces)
    runtime.deliverer = deliverer
    return deliverer
