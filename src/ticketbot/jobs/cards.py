"""The card catch-up: render again every card Slack missed, until Slack takes it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.jobs.outbox import Outbox, new_token
from ticketbot.runtime import Runtime
from ticketbot.slack.cards import send_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.store.models import CardRefresh, Ticket

logger = logging.getLogger("ticketbot.cards")
BATCH = 100
OUTBOX = Outbox(CardRefresh, lease=timedelta(minutes=5), key="ticket_id")


def catch_up_cards(runtime: Runtime, client: WebClient, *, now: datetime | None = None) -> int:
    """One pass over the cards waiting for a refresh. Returns how many landed."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    rows = OUTBOX.claim(database, now=now, token=token, limit=BATCH)
    if not rows:
        return 0
    with database.transaction(read_only=True) as session:
        tickets = {
            t.id: t
            for t in session.scalars(
                select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows]))
            ).unique()
        }
    landed = 0
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None:  # deleted meanwhile: its row went with it
            continue
        try:
            send_card(runtime, client, ticket, None)
        except SLACK_FAILURES as error:
            OUTBOX.retry(database, row, token, now=now, error=failure_reason(error))
            continue
        OUTBOX.clear(database, [row.ticket_id], token)
        landed += 1
    return landed
