"""The live card in Slack: posting it, re-rendering it in place after every change.

A card that cannot be posted or updated (rate limits after retries, Slack down, network)
is not lost: the ticket is marked in the card outbox (`card_refreshes`) and the scheduled
catch-up (jobs/cards.py) renders it again as it is then, until Slack takes it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk import WebClient
from sqlalchemy.orm import Session, object_session

from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services import faq, related
from ticketbot.services.access import Role, Viewer, related_kinds_for
from ticketbot.services.deadlines import SlaStatus, sla_status
from ticketbot.services.refreshes import card_missed
from ticketbot.services.tickets import set_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.request import permalink
from ticketbot.store.models import Ticket
from ticketbot.views.card import can_become_faq, ticket_card

logger = logging.getLogger("ticketbot.cards")


def sla_of(runtime: Runtime, ticket: Ticket) -> SlaStatus:
    warn = min(runtime.config.sla.warn_at, default=0.75)
    return sla_status(ticket, now=runtime.clock.now(), policy=runtime.policy, warn_at=warn)


@contextmanager
def _reading(runtime: Runtime, ticket: Ticket) -> Iterator[Session]:
    """The caller's transaction when it still holds the ticket: a change reads what its card
    shows before it commits, saving a transaction of its own. Otherwise a read-only one,
    which under SQLite neither takes nor waits for the write lock."""
    current = object_session(ticket)
    if current is not None and current.in_transaction():
        yield current
        return
    with runtime.database.transaction(read_only=True) as session:
        yield session


def card_extras(runtime: Runtime, ticket: Ticket) -> dict:
    """What the card shows besides the ticket: related items and whether it is in the FAQ.

    The card lives in the triage channel (agents) or, without one, in the requester's direct
    messages: there it counts only the kinds a requester may see, and offers no FAQ button.
    Keyword arguments for views.card.ticket_card."""
    triage = runtime.config.triage_channel
    for_agents = triage is not None and (ticket.card_channel_id or triage) == triage
    audience = Viewer(ticket.requester_id, Role.AGENT if for_agents else Role.REQUESTER)
    kinds = related_kinds_for(audience, runtime.config.related_kinds)
    with _reading(runtime, ticket) as session:
        summary = related.summary(session=session, ticket=ticket, kinds=kinds)
        in_faq = can_become_faq(ticket) and faq.entry_of(session=session, ticket=ticket) is not None
    return {
        "related": summary,
        "faq_button": for_agents and can_become_faq(ticket),
        "in_faq": in_faq,
    }


def send_card(runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None) -> None:
    """Update the card, or post it when it was never posted. Raises what Slack raised."""
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
    link = permalink(client, posted["channel"], posted["ts"])
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


def publish_card(
    runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None = None
) -> bool:
    """Show the ticket as it is now; False when Slack did not take it (it will, later).

    `extras` are `card_extras` read in the transaction that changed the ticket, if any."""
    try:
        send_card(runtime, client, ticket, extras)
    except SLACK_FAILURES as error:
        reason = failure_reason(error)
        logger.warning("card of #%s not shown yet (%s); retrying later", ticket.number, reason)
        with runtime.database.transaction() as session:
            now = runtime.clock.now()
            card_missed(session=session, ticket_id=ticket.id, reason=reason, now=now)
        return False
    return True


def refresh_card(
    runtime: Runtime, client: WebClient, ticket: Ticket, extras: dict | None = None
) -> None:
    """Re-render the live card in place after a change, so everyone sees the same ticket."""
    if ticket.card_channel_id and ticket.card_ts:
        publish_card(runtime, client, ticket, extras)
