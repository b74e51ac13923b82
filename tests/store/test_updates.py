"""write_changes: a ticket's changed columns in one UPDATE, as the ORM's flush would send it."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm.exc import StaleDataError

from tests.support.factories import make_ticket
from tests.support.sql_counter import statements
from ticketbot.store.models import Party, Ticket
from ticketbot.store.updates import write_changes
from ticketbot.vocabulary import PartyKind, Priority, Status


def _ticket(database, policy, clock) -> int:
    with database.transaction() as session:
        return make_ticket(session, policy=policy, now=clock.now()).id


def _stored(database, ticket_id: int) -> tuple:
    with database.transaction(read_only=True) as session:
        return session.execute(
            text("SELECT status, priority, version FROM tickets WHERE id = :id"), {"id": ticket_id}
        ).one()


def test_the_changed_columns_are_written_in_one_update_and_the_ticket_is_clean(
    database, policy, clock
):
    ticket_id = _ticket(database, policy, clock)
    with database.transaction() as session, statements(database.engine) as sent:
        ticket = session.get(Ticket, ticket_id)
        ticket.status = Status.IN_PROGRESS
        ticket.priority = Priority.URGENT
        ticket.version += 1
        write_changes(session, ticket)
        assert not session.dirty  # nothing left for the flush
        updates = [s for s in sent if s.lstrip().upper().startswith("UPDATE")]
        assert len(updates) == 1
        assert "version" in updates[0].split("WHERE")[1]  # checked against the loaded one
        session.flush()
        assert [s for s in sent if s.lstrip().upper().startswith("UPDATE")] == updates
    assert _stored(database, ticket_id) == ("in_progress", "urgent", 2)


def test_a_ticket_changed_by_another_transaction_meanwhile_is_refused_and_nothing_written(
    database, policy, clock
):
    ticket_id = _ticket(database, policy, clock)
    with pytest.raises(StaleDataError), database.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        # another writer's change, seen by this transaction's connection (SQLite has one writer)
        session.connection().execute(
            text("UPDATE tickets SET version = version + 1 WHERE id = :id"), {"id": ticket_id}
        )
        ticket.status = Status.CLOSED
        ticket.version += 1
        write_changes(session, ticket)
    assert _stored(database, ticket_id) == ("open", "normal", 1)  # rolled back, all of it


def test_what_one_update_cannot_write_is_left_to_the_orms_flush(database, policy, clock):
    """A relationship changed: the ORM inserts the party first, then sets party_id."""
    ticket_id = _ticket(database, policy, clock)
    with database.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        party = Party(
            workspace_id=ticket.workspace_id,
            kind=PartyKind.ACCOUNT,
            name="Acme",
            name_key="acme",
            created_at=clock.now(),
        )
        ticket.party = party
        ticket.version += 1
        write_changes(session, ticket)
        assert not session.dirty and party.id is not None
    with database.transaction(read_only=True) as session:
        stored = session.get(Ticket, ticket_id)
        assert stored.party is not None and stored.party.name == "Acme" and stored.version == 2


def test_an_unchanged_ticket_sends_nothing(database, policy, clock):
    ticket_id = _ticket(database, policy, clock)
    with database.transaction() as session, statements(database.engine) as sent:
        ticket = session.get(Ticket, ticket_id)
        read = list(sent)  # BEGIN (on SQLite) and the SELECT of session.get
        write_changes(session, ticket)
        assert sent == read


def test_the_update_is_compiled_once_and_cached(database, policy, clock):
    """SQLAlchemy caches its compiled form: the second change reuses the first's, rather than
    compiling a statement on every click."""
    ticket_id = _ticket(database, policy, clock)
    cached = []

    def seen(_connection, _cursor, statement, _parameters, context, _executemany) -> None:
        if "UPDATE tickets" in statement:
            cached.append(context.cache_hit)

    event.listen(database.engine, "after_cursor_execute", seen)
    try:
        for status in (Status.IN_PROGRESS, Status.OPEN):
            with database.transaction() as session:
                ticket = session.get(Ticket, ticket_id)
                ticket.version += 1
                ticket.status = status
                write_changes(session, ticket)
    finally:
        event.remove(database.engine, "after_cursor_execute", seen)
    assert len(cached) == 2 and cached[1] is CacheStats.CACHE_HIT
    assert _stored(database, ticket_id) == ("open", "normal", 3)
