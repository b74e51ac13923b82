"""What the live card shows besides the ticket: related items and whether it is in the FAQ.

The card lives in the triage channel (agents) or, without one, in the requester's direct
messages: there it counts only the kinds a requester may see, and offers no FAQ button."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, object_session

from ticketbot.runtime import Runtime
from ticketbot.services import faq, related
from ticketbot.services.access import Role, Viewer, related_kinds_for
from ticketbot.store.models import Ticket
from ticketbot.views.card import can_become_faq


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
    """Keyword arguments for views.card.ticket_card."""
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
