"""The card deliverer: render every marked card as its ticket is now, until Slack takes it.

Woken right after each change (`CardDeliverer.kick`) and run by the scheduled pass too, on
every replica: the card outbox's claims make each card row worked by one of them at a time,
and a card marked again while its update is in flight is simply done once more."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.jobs.background import Nudged
from ticketbot.jobs.outbox import Outbox, new_token
from ticketbot.runtime import Runtime
from ticketbot.slack.cards import card_extras, send_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.store.models import CardRefresh, Ticket

logger = logging.getLogger("ticketbot.cards")
BATCH = 50
OUTBOX = Outbox(CardRefresh, lease=timedelta(minutes=2), key="ticket_id")


def catch_up_cards(runtime: Runtime, client: WebClient, *, now: datetime | None = None) -> int:
    """One pass over the cards waiting to be shown. Returns how many landed."""
    return deliver_cards(runtime, client, now=now)[1]


def deliver_cards(
    runtime: Runtime, client: WebClient, *, now: datetime | None = None
) -> tuple[int, int]:
    """One pass: how many cards it claimed, and how many of them Slack took."""
    now = now or runtime.clock.now()
    token = new_token()
    database = runtime.database
    shown: dict[int, tuple[Ticket, dict]] = {}

    def load(session, rows: list[CardRefresh]) -> None:
        # In the claiming transaction: each ticket and what its card shows besides it.
        ids = [row.ticket_id for row in rows]
        for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids))).unique():
            shown[ticket.id] = (ticket, card_extras(runtime, ticket))

    rows = OUTBOX.claim(database, now=now, token=token, limit=BATCH, then=load)
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


class CardDeliverer(Nudged):
    """Shows changes moments after they commit, on a thread of its own."""

    def __init__(self, runtime: Runtime, client: WebClient) -> None:
        # A full batch may leave more behind; a change made meanwhile kicks again anyway.
        super().__init__("cards", lambda: deliver_cards(runtime, client)[0] >= BATCH)


def start_card_deliverer(runtime: Runtime, client: WebClient) -> CardDeliverer:
    deliverer = CardDeliverer(runtime, client)
    runtime.cards = deliverer
    return deliverer
