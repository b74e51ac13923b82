"""Who may see and change what. Every service that reveals or changes a ticket asks here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, or_, true

from ticketbot.store.models import Ticket
from ticketbot.vocabulary import RelatedKind, Visibility


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


# Related items: as in the seed CRMs, these sections show only to users with the rights.
REQUESTER_KINDS = frozenset({RelatedKind.DOCUMENT, RelatedKind.EMAIL})


def related_kinds_for(viewer: Viewer, enabled: Iterable[RelatedKind]) -> tuple[RelatedKind, ...]:
    """The kinds of related items this viewer may see, among those switched on."""
    return tuple(k for k in enabled if viewer.is_agent or k in REQUESTER_KINDS)


def can_add_related(viewer: Viewer, ticket: Ticket, kind: RelatedKind) -> bool:
    """Agents add any kind; a requester adds documents to their own tickets."""
    if viewer.is_agent:
        return True
    return kind is RelatedKind.DOCUMENT and ticket.requester_id == viewer.user_id


def can_manage_related(viewer: Viewer) -> bool:
    """Closing and removing items is agents' work."""
    return viewer.is_agent
