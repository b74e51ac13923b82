"""Tickets with their history and comments, streamed for `ticketbot export`.

Values are the stored, language-neutral ones (enum values, user ids, ISO 8601 UTC times) so
an export reads the same whatever language the bot speaks. Tickets are read in batches
(`yield_per`) and each batch's history and comments with one query each, so memory follows
the batch size, not the size of the base."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketbot.store.models import Comment, Party, Rating, Ticket, TicketChange

BATCH = 500
TICKET_FIELDS = (
    "workspace_id", "number", "title", "description", "solution", "status", "priority",
    "engagement", "category", "product", "visibility", "source", "requester_id",
    "assignee_id", "party_kind", "party_name", "rating", "created_at", "updated_at",
    "first_response_at", "due_at", "closed_at", "origin_channel_id", "origin_ts",
    "card_permalink",
)  # fmt: skip
HISTORY_FIELDS = ("at", "actor_id", "field", "old_value", "new_value")
COMMENT_FIELDS = ("at", "author_id", "text", "files", "edited_at", "deleted_at")


def neutral(value: object) -> object:
    """A value as exported: enums by value, times as ISO 8601 UTC ("2026-11-23T09:00:00Z")."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value


def _ticket_query(since: datetime | None):
    columns = [
        getattr(Ticket, name)
        for name in TICKET_FIELDS
        if name not in ("party_kind", "party_name", "rating")
    ]
    query = (
        select(
            Ticket.id,
            *columns,
            Party.kind.label("party_kind"),
            Party.name.label("party_name"),
            Rating.score.label("rating"),
        )
        .outerjoin(Party, Party.id == Ticket.party_id)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .order_by(Ticket.id)
    )
    return query if since is None else query.where(Ticket.created_at >= since)


def _history(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    rows = session.execute(
        select(TicketChange)
        .where(TicketChange.ticket_id.in_(ids))
        .order_by(TicketChange.ticket_id, TicketChange.id)
    ).scalars()
    for change in rows:
        found[change.ticket_id].append(
            {
                "at": neutral(change.at),
                "actor_id": change.actor_id,
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
            }
        )
    return found


def _comments(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    rows = session.execute(
        select(Comment).where(Comment.ticket_id.in_(ids)).order_by(Comment.ticket_id, Comment.id)
    ).scalars()
    for comment in rows:
        found[comment.ticket_id].append(
            {
                "at": neutral(comment.created_at),
                "author_id": comment.author_id,
                # A message deleted in Slack does not come back through an export.
                "text": None if comment.deleted_at else comment.text,
                "files": None if comment.deleted_at else comment.files or [],
                "internal": comment.internal,  # an agents' note, never shown to the requester
                "edited_at": neutral(comment.edited_at),
                "deleted_at": neutral(comment.deleted_at),
            }
        )
    return found


def export_tickets(
    *, session: Session, since: datetime | None = None, batch: int = BATCH
) -> Iterator[dict]:
    """Each ticket as a dict of TICKET_FIELDS plus `history` and `comments`, oldest first."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # Every batch reads the same snapshot: a ticket and its history always agree.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    result = session.execute(_ticket_query(since).execution_options(yield_per=batch))
    for rows in result.partitions():
        ids = [row.id for row in rows]
        history, comments = _history(session, ids), _comments(session, ids)
        for row in rows:
            ticket = {name: neutral(getattr(row, name)) for name in TICKET_FIELDS}
            ticket["history"] = history.get(row.id, [])
            ticket["comments"] = comments.get(row.id, [])
            yield ticket
