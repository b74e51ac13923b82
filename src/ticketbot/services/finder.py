"""Lists and searches, filtered in SQL by what the viewer may see."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ticketbot.services.access import Viewer, visible_to, worked_by
from ticketbot.services.search_terms import normalise, starts_with, terms
from ticketbot.store.models import SearchTerm, Ticket
from ticketbot.vocabulary import Status


class Scope(StrEnum):
    OPEN = "open"
    MINE = "mine"
    ASSIGNED = "assigned"
    WAITING = "waiting"
    CLOSED = "closed"
    ALL = "all"


_NUMBER = re.compile(r"^#?(\d{1,9})$")
MAX_QUERY_WORDS = 8


def _visible(workspace_id: str, viewer: Viewer) -> Select[tuple[Ticket]]:
    return select(Ticket).where(Ticket.workspace_id == workspace_id, visible_to(viewer))


def list_tickets(
    *,
    session: Session,
    workspace_id: str,
    viewer: Viewer,
    scope: Scope = Scope.OPEN,
    limit: int = 20,
    offset: int = 0,
    open_only: bool = False,
) -> list[Ticket]:
    query = _visible(workspace_id, viewer)
    if open_only:
        query = query.where(Ticket.status != Status.CLOSED)
    if scope is Scope.OPEN:
        query = query.where(Ticket.status != Status.CLOSED)
    elif scope is Scope.MINE:
        query = query.where(Ticket.requester_id == viewer.user_id)
    elif scope is Scope.ASSIGNED:
        query = query.where(Ticket.assignee_id == viewer.user_id, Ticket.status != Status.CLOSED)
    elif scope is Scope.WAITING:
        query = query.where(Ticket.status == Status.WAITING)
    elif scope is Scope.CLOSED:
        query = query.where(Ticket.status == Status.CLOSED)
    order = (Ticket.updated_at.desc(), Ticket.number.desc())
    if scope in (Scope.OPEN, Scope.ASSIGNED, Scope.WAITING):
        order = (Ticket.due_at.asc(), Ticket.number.asc())
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset)).unique())


def _open_in_queues(workspace_id: str, viewer: Viewer) -> tuple:
    """Open tickets of the workspace, in the queues the viewer works."""
    return (Ticket.workspace_id == workspace_id, worked_by(viewer), Ticket.status != Status.CLOSED)


def unassigned(
    *, session: Session, workspace_id: str, viewer: Viewer, limit: int = 50
) -> list[Ticket]:
    """New work: open tickets of the viewer's queues nobody took yet, oldest first."""
    return list(
        session.scalars(
            select(Ticket)
            .where(*_open_in_queues(workspace_id, viewer), Ticket.assignee_id.is_(None))
            .order_by(Ticket.created_at, Ticket.number)
            .limit(limit)
        ).unique()
    )


def search_tickets(
    *, session: Session, workspace_id: str, viewer: Viewer, query: str, limit: int = 20
) -> list[Ticket]:
    """By number (`42`, `#42`) or by title words, each word matching as a prefix; open first."""
    text = query.strip()
    match = _NUMBER.match(text)
    statement = _visible(workspace_id, viewer)
    if match:
        statement = statement.where(Ticket.number == int(match.group(1)))
    else:
        words = sorted(terms(normalise(text)))[:MAX_QUERY_WORDS]
        if not words:
            return []
        for word in words:
            statement = statement.where(
                select(SearchTerm.ticket_id)
                .where(
                    SearchTerm.workspace_id == workspace_id,
                    SearchTerm.ticket_id == Ticket.id,
                    starts_with(SearchTerm.term, word),
                )
                .exists()
            )
    open_first = case((Ticket.status == Status.CLOSED, 1), else_=0)
    statement = statement.order_by(open_first, Ticket.updated_at.desc()).limit(limit)
    return list(session.scalars(statement).unique())


def count_by_status(*, session: Session, workspace_id: str, viewer: Viewer) -> dict[Status, int]:
    rows = session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.workspace_id == workspace_id, visible_to(viewer))
        .group_by(Ticket.status)
    ).all()
    return {Status(status): count for status, count in rows}


def ticket_from_message(
    *, session: Session, workspace_id: str, channel_id: str, ts: str, for_update: bool = False
) -> Ticket | None:
    """The ticket raised from this message, if any: a message raises at most one."""
    query = select(Ticket).where(
        Ticket.workspace_id == workspace_id,
        Ticket.origin_channel_id == channel_id,
        Ticket.origin_ts == ts,
    )
    if for_update:
        query = query.with_for_update(of=Ticket)
    return session.scalars(query).first()


def due_soonest(
    *, session: Session, workspace_id: str, viewer: Viewer, limit: int = 50
) -> list[Ticket]:
    """Open, running (not paused) tickets of the queues the viewer works, by deadline: the
    candidates for 'at risk'."""
    return list(
        session.scalars(
            select(Ticket)
            .where(
                *_open_in_queues(workspace_id, viewer),
                Ticket.paused_at.is_(None),
                Ticket.due_at.is_not(None),
            )
            .order_by(Ticket.due_at)
            .limit(limit)
        ).unique()
    )
