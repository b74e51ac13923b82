"""Satisfaction ratings: the requester scores a closed ticket from 1 to 5; the latest counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.services.access import Viewer
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.tickets import get_ticket
from ticketbot.store.models import Rating, Ticket
from ticketbot.vocabulary import Status

SCORES = range(1, 6)


def should_ask(ticket: Ticket, closed_by: Viewer) -> bool:
    """Ask the requester, unless they closed the ticket themselves: then nobody served them."""
    return ticket.status is Status.CLOSED and closed_by.user_id != ticket.requester_id


def rate_ticket(
    *,
    session: Session,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    score: int,
    now: datetime,
) -> Ticket:
    if score not in SCORES:
        raise InvalidInput(_("A rating goes from 1 to 5."), field="score")
    ticket = get_ticket(session=session, workspace_id=workspace_id, number=number, viewer=viewer)
    if ticket.requester_id != viewer.user_id:
        raise Forbidden(
            _("Only the person who raised ticket #{number} can rate it.").format(number=number)
        )
    if ticket.status is not Status.CLOSED:
        raise InvalidInput(
            _("Ticket #{number} was reopened: you can rate it once it is closed again.").format(
                number=number
            )
        )
    values = {"score": score, "rated_by": viewer.user_id, "rated_at": now}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # One row per ticket: a second click replaces the first, even when both land at once.
    upsert = insert(Rating).values(ticket_id=ticket.id, **values)
    session.execute(upsert.on_conflict_do_update(index_elements=["ticket_id"], set_=values))
    return ticket


def rating_of(*, session: Session, ticket: Ticket) -> int | None:
    rating = session.get(Rating, ticket.id)
    return rating.score if rating is not None else None
