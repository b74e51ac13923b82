"""Who may see and change what. Every service that reveals or changes a ticket asks here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, false, or_, true

from ticketbot.store.models import Ticket
from ticketbot.vocabulary import RelatedKind, Visibility


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True)
class Viewer:
    """Who is asking. An agent works the queues in `queues` (None: every queue, as when there
    is only one); an admin works every queue; elsewhere an agent is a requester like anyone."""

    user_id: str
    role: Role = Role.REQUESTER
    queues: frozenset[str] | None = None

    @property
    def is_agent(self) -> bool:
        """Works at least one queue: sees agents' screens (lists, reports, the FAQ's notes)."""
        return self.role in (Role.AGENT, Role.ADMIN)

    def works(self, queue: str | None) -> bool:
        """Works this queue's tickets."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.AGENT and (self.queues is None or queue in self.queues)

    def works_on(self, ticket: Ticket) -> bool:
        return self.works(ticket.queue)

    @property
    def works_everywhere(self) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.AGENT and self.queues is None)


def can_see(viewer: Viewer, ticket: Ticket) -> bool:
    return (
        viewer.works_on(ticket)
        or ticket.visibility is Visibility.PUBLIC
        or ticket.requester_id == viewer.user_id
    )


def can_edit(viewer: Viewer, ticket: Ticket) -> bool:
    """A queue's agents work its tickets; a requester may work only their own."""
    return viewer.works_on(ticket) or ticket.requester_id == viewer.user_id


def worked_by(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL form of `works_on`: the tickets of the queues the viewer works."""
    if viewer.works_everywhere:
        return true()
    if viewer.role is Role.AGENT:
        return Ticket.queue.in_(sorted(viewer.queues or ()))
    return false()


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL form of `can_see`, so lists and searches never load what they cannot show."""
    if viewer.works_everywhere:
        return true()
    return or_(
        worked_by(viewer),
        Ticket.visibility == Visibility.PUBLIC,
        Ticket.requester_id == viewer.user_id,
    )


# Related items: as in the seed CRMs, these sections show only to users with the rights.
REQUESTER_KINDS = frozenset({RelatedKind.DOCUMENT, RelatedKind.EMAIL})


def _agent_for(viewer: Viewer, ticket: Ticket | None) -> bool:
    return viewer.works_on(ticket) if ticket is not None else viewer.is_agent


def related_kinds_for(
    viewer: Viewer, enabled: Iterable[RelatedKind], ticket: Ticket | None = None
) -> tuple[RelatedKind, ...]:
    """The kinds of related items this viewer may see (on `ticket`: as its queue's agent or
    not), among those switched on."""
    agent = _agent_for(viewer, ticket)
    return tuple(k for k in enabled if agent or k in REQUESTER_KINDS)


def can_add_related(viewer: Viewer, ticket: Ticket, kind: RelatedKind) -> bool:
    """The queue's agents add any kind; a requester adds documents to their own tickets."""
    if viewer.works_on(ticket):
        return True
    return kind is RelatedKind.DOCUMENT and ticket.requester_id == viewer.user_id


def can_manage_related(viewer: Viewer, ticket: Ticket | None = None) -> bool:
    """Closing and removing items is the queue's agents' work."""
    return _agent_for(viewer, ticket)
