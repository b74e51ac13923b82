"""Who may see and change what. Every service that reveals or changes a ticket asks here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, or_, true

from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Visibility


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True)
class Viewer:
    user_id: str
    role: Role = Role.REQUESTER

    @property
    def is_agent(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)


SYSTEM = Viewer("USLACKBOT", Role.ADMIN)


def can_see(viewer: Viewer, ticket: Ticket) -> bool:
    return (
        viewer.is_agent
        or ticket.visibility is Visibility.PUBLIC
        or ticket.requester_id == viewer.user_id
    )


def can_edit(viewer: Viewer, ticket: Ticket) -> bool:
    """Agents work every ticket; a requester may work only their own."""
    return viewer.is_agent or ticket.requester_id == viewer.user_id


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL form of `can_see`, so lists and searches never load what they cannot show."""
    if viewer.is_agent:
        return true()
    return or_(Ticket.visibility == Visibility.PUBLIC, Ticket.requester_id == viewer.user_id)
