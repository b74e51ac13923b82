"""Counting the SQL statements an interaction costs, and giving a ticket a long history.

Counting is deterministic where timing is not: a count that grows with the history is an
N+1 query, whatever the machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from ticketbot.store.models import Comment, Ticket, TicketChange
from ticketbot.vocabulary import Field

ACTORS = ("U0AGT0001", "U0AGT0002", "U0MGR0001")


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, from any thread."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_history(session: Session, ticket: Ticket, *, changes: int, now: datetime) -> None:
    """`changes` history lines (assignments and priority changes, as agents make them) and one
    comment for every five, spread over the days before `now`."""
    start = now - timedelta(minutes=changes + 1)
    lines = []
    for index in range(changes):
        field = Field.ASSIGNEE if index % 2 else Field.PRIORITY
        old, new = (
            (ACTORS[index % 3], ACTORS[(index + 1) % 3])
            if field is Field.ASSIGNEE
            else ("normal", "high")
        )
        lines.append(
            TicketChange(
                ticket_id=ticket.id,
                field=field.value,
                old_value=old,
                new_value=new,
                actor_id=ACTORS[index % 3],
                at=start + timedelta(minutes=index),
                ticket_version=ticket.version,
            )
        )
    notes = [
        Comment(
            ticket_id=ticket.id,
            author_id=ACTORS[index % 3],
            text=f"Update {index}: still looking into it.",
            created_at=start + timedelta(minutes=index * 5, seconds=30),
        )
        for index in range(changes // 5)
    ]
    session.add_all(lines + notes)
