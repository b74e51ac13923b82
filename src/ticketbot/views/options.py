"""Options for external selects: related parties and the ticket picker."""

from __future__ import annotations

from ticketbot.store.models import Party, Ticket
from ticketbot.views.blocks import option
from ticketbot.views.forms import new_party_option, party_option
from ticketbot.views.limits import OPTION_TEXT
from ticketbot.views.text import truncate
from ticketbot.vocabulary import PartyKind, Status

MAX_EXTERNAL_OPTIONS = 100


def party_options(parties: list[Party], query: str) -> dict:
    """Matching parties, then a way to add the typed name as each kind it does not exist as."""
    options = [party_option(p) for p in parties]
    name = " ".join(query.split())[:100]
    if name:
        existing = {(p.kind, p.name.casefold()) for p in parties}
        options += [
            new_party_option(kind, name)
            for kind in PartyKind
            if (kind, name.casefold()) not in existing
        ]
    return {"options": options[:MAX_EXTERNAL_OPTIONS]}


def ticket_options(tickets: list[Ticket]) -> dict:
    """Open tickets first (the finder orders them), closed ones marked."""
    options = []
    for ticket in tickets:
        mark = " ✓" if ticket.status is Status.CLOSED else ""
        text = truncate(f"#{ticket.number} {ticket.title}", OPTION_TEXT - len(mark)) + mark
        options.append(option(text, str(ticket.number)))
    return {"options": options[:MAX_EXTERNAL_OPTIONS]}
