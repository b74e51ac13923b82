"""The conversation with the requester: whose words answer a ticket."""

from __future__ import annotations

from datetime import datetime

from ticketbot.services.access import Viewer
from ticketbot.store.models import Ticket


def answers(viewer: Viewer, ticket: Ticket) -> bool:
    """An agent speaking on someone else's ticket answers it; the requester's own words and a
    colleague's "me too" on a public ticket do not."""
    return viewer.is_agent and viewer.user_id != ticket.requester_id


def note_response(ticket: Ticket, viewer: Viewer, now: datetime) -> None:
    """The first answer starts the ticket's first-response time, the figure reports give."""
    if ticket.first_response_at is None and answers(viewer, ticket):
        ticket.first_response_at = now
