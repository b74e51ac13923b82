"""The append-only history of a ticket, line by line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    ColumnElement,
    func,
    insert,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from ticketbot.store.models import Comment, Party, Ticket, TicketChange
from ticketbot.vocabulary import Field

_INSERT_LINE = insert(TicketChange.__table__)


def stored_value(value: object) -> str | None:
    """History keeps language-neutral values: enum values, user ids, 'kind:name' for parties."""
    if value is None or value == "":
        return None
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Party):
        return f"{value.kind.value}:{value.name}"
    return str(value)


def record_change(
    *,
    session: Session,
    ticket: Ticket,
    field: Field,
    old: object,
    new: object,
    actor: str,
    now: datetime,
) -> TicketChange | None:
    """Write one history line, or nothing when the value did not really change."""
    old_value, new_value = stored_value(old), stored_value(new)
    if old_value == new_value:
        return None
    line = {
        "ticket_id": ticket.id,
        "field": field.value,
        "old_value": old_value,
        "new_value": new_value,
        "actor_id": actor,
        "at": now,
        "ticket_version": ticket.version,
    }
    # Written at once, by a plain INSERT on the session's connection: lines are only ever
    # inserted and nothing reads one back by its id, while the ORM's unit of work (an INSERT
    # ... RETURNING, and its bookkeeping at the flush) cost more than the INSERT itself.
    session.connection().execute(_INSERT_LINE, line)
    return TicketChange(**line)  # what was written, for the caller's webhook content


def changes_page(
    *, session: Session, ticket: Ticket, offset: int = 0, limit: int = 50
) -> tuple[list[TicketChange], int]:
    """One page of the history, oldest first, with the total count for paging."""
    total = session.scalar(
        select(func.count()).select_from(TicketChange).where(TicketChange.ticket_id == ticket.id)
    )
    rows = session.scalars(
        select(TicketChange)
        .where(TicketChange.ticket_id == ticket.id)
        .order_by(TicketChange.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total or 0)


@dataclass(frozen=True)
class ChangeLine:
    """A history line detached from the session, to travel in errors and across threads."""

    field: str
    old_value: str | None
    new_value: str | None
    actor_id: str
    at: datetime


# Lines that record work around a ticket without changing its fields or its version.
UNVERSIONED = (Field.RELATED.value, Field.FAQ.value, Field.COMMENT.value)


def changes_since(*, session: Session, ticket: Ticket, version: int) -> list[ChangeLine]:
    rows = session.scalars(
        select(TicketChange)
        .where(
            TicketChange.ticket_id == ticket.id,
            TicketChange.ticket_version > version,
            TicketChange.field.not_in(UNVERSIONED),
        )
        .order_by(TicketChange.id)
    )
    return [ChangeLine(r.field, r.old_value, r.new_value, r.actor_id, r.at) for r in rows]


@dataclass(frozen=True)
class TimelineEntry:
    """A history line or a comment, in the order they happened."""

    kind: str  # "change" or "comment"
    at: datetime
    actor_id: str
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    text: str | None = None
    files: list[dict] | None = None
    internal: bool = False  # a comment that is an internal note


def timeline_page(
    *,
    session: Session,
    ticket: Ticket,
    offset: int = 0,
    limit: int = 40,
    hide: ColumnElement[bool] | None = None,
    notes: bool = False,
) -> tuple[list[TimelineEntry], int]:
    """Changes and comments merged by time: two queries, whatever the history's length.

    `hide` leaves out change lines the viewer may not read (related items of some kinds);
    internal notes are in only with `notes` (for agents)."""
    changes = select(
        literal("change").label("kind"),
        TicketChange.id.label("id"),
        TicketChange.at.label("at"),
        TicketChange.actor_id.label("actor_id"),
        TicketChange.field.label("field"),
        TicketChange.old_value.label("old_value"),
        TicketChange.new_value.label("new_value"),
        null().label("text"),
        type_coerce(null(), JSON).label("files"),
        literal(False).label("internal"),
    ).where(TicketChange.ticket_id == ticket.id)
    if hide is not None:
        changes = changes.where(~hide)
    comments = select(
        literal("comment"),
        Comment.id,
        Comment.created_at,
        Comment.author_id,
        null(),
        null(),
        null(),
        Comment.text,
        Comment.files,
        Comment.internal,
    ).where(Comment.ticket_id == ticket.id, Comment.deleted_at.is_(None))
    if not notes:
        comments = comments.where(Comment.internal.is_(False))
    merged = union_all(changes, comments).subquery()
    total = session.scalar(select(func.count()).select_from(merged)) or 0
    rows = session.execute(
        select(merged).order_by(merged.c.at, merged.c.kind, merged.c.id).offset(offset).limit(limit)
    ).all()
    at_type = TicketChange.__table__.c.at.type
    entries = [
        TimelineEntry(
            kind=row.kind,
            # A union loses the column type, so timestamps come back as the driver gives them.
            at=at_type.process_result_value(row.at, None) if row.at.tzinfo is None else row.at,
            actor_id=row.actor_id,
            field=row.field,
            old_value=row.old_value,
            new_value=row.new_value,
            text=row.text,
            files=row.files,
            internal=bool(row.internal),
        )
        for row in rows
    ]
    return entries, int(total)
