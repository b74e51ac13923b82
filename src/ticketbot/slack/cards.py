"""The live card in Slack: rendering it, posting it once, updating it in place.

Changes never update the card themselves: they mark it in the card outbox
(services/refreshes.py), and the card deliverer (jobs/cards.py) renders it as the ticket is
then. A new ticket's card is posted by the request that raised it (`publish_card`); anything
that fails is left marked, for the deliverer to try again.

A card is posted once: it carries message metadata naming its ticket, its place is recorded
as soon as Slack answers (before anything else is asked of Slack), and whoever is about to
post a card that is not recorded yet looks in the channel first, in case an earlier post went
through without its answer arriving."""

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
from ticketbot.services.refreshes import card_shown, mark_card
from ticketbot.services.tickets import set_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.request import permalink, posted_with_metadata
from ticketbot.store.models import Ticket
from ticketbot.views.card import can_become_faq, moved_card, ticket_card

logger = logging.getLogger("ticketbot.cards")
CARD_EVENT = "ticketbot_card"  # the metadata event type of a card message


def sla_of(runtime: Runtime, ticket: Ticket) -> SlaStatus:
    warn = min(runtime.config.queue(ticket.queue).sla.warn_at, default=0.75)
    return sla_status(ticket, now=runtime.clock.now(), policy=runtime.policy, warn_at=warn)


@contextmanager
def _reading(runtime: Runtime, ticket: Ticket) -> Iterator[Session]:
    """The caller's transaction when it still holds the ticket, else a read-only one (under
    SQLite it neither takes nor waits for the write lock)."""
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
    queue = runtime.config.queue(ticket.queue)
    triage = queue.triage_channel
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
        "private": queue.private and for_agents,
    }


def card_channel(runtime: Runtime, ticket: Ticket) -> str:
    """Where the ticket's card belongs: its queue's triage channel, else the requester."""
    return runtime.config.queue(ticket.queue).triage_channel or ticket.requester_id


def card_metadata(ticket: Ticket) -> dict:
    return {
        "event_type": CARD_EVENT,
        "event_payload": {"workspace_id": ticket.workspace_id, "ticket_id": ticket.id},
    }


def _record(runtime: Runtime, ticket: Ticket, channel: str, ts: str, link: str | None) -> None:
    with runtime.database.transaction() as session:
        # Locked, as every update of a ticket: a change committed meanwhile would otherwise
        # make this one fail on the ticket's version.
        fresh = session.get(Ticket, ticket.id, with_for_update={"of": Ticket})
        if fresh is not None:
            set_card(ticket=fresh, channel_id=channel, ts=ts, permalink=link)
    ticket.card_channel_id, ticket.card_ts, ticket.card_permalink = channel, ts, link


def _same_place(posted_in: str, wanted: str) -> bool:
    # A card posted to a person is in their direct message (D...), however it was addressed.
    return posted_in == wanted or (wanted[:1] in "UW" and posted_in[:1] == "D")


def _leave(runtime: Runtime, client: WebClient, ticket: Ticket) -> None:
    """The old card says where the ticket went and is forgotten; the new one is posted."""
    with speaking(runtime.config.channel_language):
        stub = moved_card(ticket, runtime.config.queue(ticket.queue).name)
    try:
        client.chat_update(channel=ticket.card_channel_id, ts=ticket.card_ts, **stub)
    except SLACK_FAILURES as error:  # gone, or the bot left the channel: nothing to say there
        logger.info("old card of #%s not updated: %s", ticket.number, failure_reason(error))
    with runtime.database.transaction() as session:
        fresh = session.get(Ticket, ticket.id, with_for_update={"of": Ticket})
        if fresh is not None:
            set_card(ticket=fresh, channel_id=None, ts=None, permalink=None)
    ticket.card_channel_id = ticket.card_ts = ticket.card_permalink = None


def send_card(
    runtime: Runtime,
    client: WebClient,
    ticket: Ticket,
    *,
    look_first: bool = True,
    extras: dict | None = None,
) -> None:
    """Update the card, or post it when it was never posted. Raises what Slack raised.

    `look_first`: before posting, look for a card of this ticket posted without being
    recorded (an earlier attempt's answer lost); only the request that raised the ticket,
    the first to try, skips it. `extras`: `card_extras`, when the caller read them already."""
    with speaking(runtime.config.channel_language):  # a card is read by the whole channel
        message = ticket_card(
            ticket,
            sla_of(runtime, ticket),
            email=runtime.mailer is not None,
            **(extras if extras is not None else card_extras(runtime, ticket)),
        )
    channel = card_channel(runtime, ticket)
    if ticket.card_channel_id and ticket.card_ts:
        if _same_place(ticket.card_channel_id, channel):
            client.chat_update(channel=ticket.card_channel_id, ts=ticket.card_ts, **message)
            return
        _leave(runtime, client, ticket)  # moved to another queue: the card follows it
    metadata = card_metadata(ticket)
    posted = None
    if look_first:
        found = posted_with_metadata(client, channel, CARD_EVENT)
        posted = next((m[:2] for m in found if m[2] == metadata["event_payload"]), None)
    if posted is not None:
        logger.info("card of #%s was posted already: recorded, then updated", ticket.number)
        _record(runtime, ticket, *posted, permalink(client, *posted))
        client.chat_update(channel=posted[0], ts=posted[1], **message)
        return
    answer = client.chat_postMessage(channel=channel, metadata=metadata, **message)
    # Where it is, before anything else is asked of Slack: a change made meanwhile finds it.
    _record(runtime, ticket, answer["channel"], answer["ts"], None)
    link = permalink(client, answer["channel"], answer["ts"])
    if link is not None:
        _record(runtime, ticket, answer["channel"], answer["ts"], link)


def publish_card(runtime: Runtime, client: WebClient, ticket: Ticket, claim: str) -> bool:
    """Post a new ticket's card from the request that raised it (`claim`: its hold on the
    ticket's card row). False when Slack did not take it: the deliverer will."""
    try:
        send_card(runtime, client, ticket, look_first=False)
    except SLACK_FAILURES as error:
        reason = failure_reason(error)
        logger.warning("card of #%s not shown yet (%s); retrying later", ticket.number, reason)
        with runtime.database.transaction() as session:
            mark_card(session=session, ticket_id=ticket.id, now=runtime.clock.now(), reason=reason)
        return False
    with runtime.database.transaction() as session:
        card_shown(session=session, ticket_id=ticket.id, claim=claim)
    return True
