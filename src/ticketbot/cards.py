"""The live card in Slack: posting it, re-rendering it in place, and catching up later.

A card that cannot be posted or updated (rate limits after retries, Slack down, network)
is not lost: the ticket is remembered in `card_refreshes` and the scheduled pass renders it
again as it is then, until Slack takes it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import delete, select

from ticketbot.card_extras import card_extras
from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services.deadlines import SlaStatus, sla_status
from ticketbot.services.tickets import set_card
from ticketbot.store.models import CardRefresh, Ticket
from ticketbot.views.card import ticket_card

logger = logging.getLogger("ticketbot.cards")
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)
BATCH = 100


def sla_of(runtime: Runtime, ticket: Ticket) -> SlaStatus:
    warn = min(runtime.config.sla.warn_at, default=0.75)
    return sla_status(ticket, now=runtime.clock.now(), policy=runtime.policy, warn_at=warn)


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(error).__name__)[:200]


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SLACK_FAILURES:
        return None


def _send(runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None) -> None:
    """Update the card, or post it when it was never posted."""
    if extras is None:
        extras = card_extras(runtime, ticket)
    with speaking(runtime.config.channel_language):  # a card is read by the whole channel
        message = ticket_card(
            ticket, sla_of(runtime, ticket), email=runtime.mailer is not None, **extras
        )
    if ticket.card_channel_id and ticket.card_ts:
        client.chat_update(channel=ticket.card_channel_id, ts=ticket.card_ts, **message)
        return
    channel = runtime.config.triage_channel or ticket.requester_id
    posted = client.chat_postMessage(channel=channel, **message)
    link = _permalink(client, posted["channel"], posted["ts"])
    with runtime.database.transaction() as session:
        # Locked, as every update of a ticket: a change committed meanwhile would otherwise
        # make this one fail on the ticket's version.
        fresh = session.get(Ticket, ticket.id, with_for_update={"of": Ticket})
        if fresh is not None:
            set_card(ticket=fresh, channel_id=posted["channel"], ts=posted["ts"], permalink=link)
    ticket.card_channel_id, ticket.card_ts, ticket.card_permalink = (
        posted["channel"],
        posted["ts"],
        link,
    )


def _remember(runtime: Runtime, ticket_id: int, reason: str, attempts: int = 0) -> None:
    delay = timedelta(minutes=min(2**attempts, 60)) if attempts else timedelta(0)
    with runtime.database.transaction() as session:
        row = session.get(CardRefresh, ticket_id)
        if row is None:
            session.add(
                CardRefresh(
                    ticket_id=ticket_id,
                    attempts=attempts,
                    last_error=reason,
                    available_at=runtime.clock.now() + delay,
                )
            )
        else:
            row.attempts, row.last_error = attempts, reason
            row.available_at = runtime.clock.now() + delay


def publish_card(
    runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None = None
) -> bool:
    """Show the ticket as it is now; False when Slack did not take it (it will, later).

    `extras` are `card_extras` read in the transaction that changed the ticket, if any."""
    try:
        _send(runtime, client, ticket, extras)
    except SLACK_FAILURES as error:
        logger.warning(
            "card of #%s not shown yet (%s); retrying later", ticket.number, _reason(error)
        )
        _remember(runtime, ticket.id, _reason(error))
        return False
    return True


def refresh_card(
    runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None = None
) -> None:
    """Re-render the live card in place after a change, so everyone sees the same ticket."""
    if ticket.card_channel_id and ticket.card_ts:
        publish_card(runtime, client, ticket, extras)


def catch_up_cards(runtime: Runtime, client: WebClient, *, now: datetime | None = None) -> int:
    """The scheduled part: render again every card Slack missed. Returns how many landed."""
    now = now or runtime.clock.now()
    with runtime.database.transaction() as session:
        rows = list(
            session.scalars(
                select(CardRefresh)
                .where(CardRefresh.available_at <= now)
                .order_by(CardRefresh.available_at)
                .limit(BATCH)
            )
        )
        tickets = {
            t.id: t
            for t in session.scalars(
                select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows]))
            ).unique()
        }
    landed = 0
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None:
            continue
        try:
            _send(runtime, client, ticket, None)
        except SLACK_FAILURES as error:
            _remember(runtime, row.ticket_id, _reason(error), row.attempts + 1)
            continue
        with runtime.database.transaction() as session:
            session.execute(delete(CardRefresh).where(CardRefresh.ticket_id == row.ticket_id))
        landed += 1
    return landed
