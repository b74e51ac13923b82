"""Simultaneous writers on both databases: unique numbers, every change in the history."""

from __future__ import annotations

import fcntl
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from tests.support.factories import AGENT, AGENT_2, WORKSPACE, make_ticket
from ticketbot.services import links, tickets
from ticketbot.store.db import Database
from ticketbot.store.models import Ticket, TicketChange
from ticketbot.vocabulary import Priority, Status

WRITERS = 8
PER_WRITER = 5


def test_concurrent_creation_never_shares_a_number(database_url, database, clock, policy):
    barrier = threading.Barrier(WRITERS)

    def writer(_):
        # Each thread its own engine too, like separate replicas.
        own = Database(database_url)
        barrier.wait()
        numbers = []
        for _ in range(PER_WRITER):
            with own.transaction() as s:
                numbers.append(make_ticket(s, policy=policy, now=clock.now()).number)
        own.dispose()
        return numbers

    with ThreadPoolExecutor(WRITERS) as pool:
        numbers = [n for batch in pool.map(writer, range(WRITERS)) for n in batch]
    assert sorted(numbers) == list(range(1, WRITERS * PER_WRITER + 1))


def test_two_agents_at_once_both_land_in_order(database, clock, policy):
    with database.transaction() as s:
        ticket_id = make_ticket(s, policy=policy, now=clock.now()).id
    barrier = threading.Barrier(2)

    def act(viewer, change):
        barrier.wait()
        with database.transaction() as s:
            ticket = tickets.get_ticket(
                session=s, workspace_id=WORKSPACE, number=1, viewer=viewer, for_update=True
            )
            change(s, ticket, viewer)

    def to_progress(s, ticket, viewer):
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            viewer=viewer,
            now=clock.now(),
            policy=policy,
        )

    def to_urgent(s, ticket, viewer):
        from ticketbot.services.inputs import TicketEdit

        tickets.edit_ticket(
            session=s,
            ticket=ticket,
            edit=TicketEdit(priority=Priority.URGENT),
            viewer=viewer,
            now=clock.now(),
            policy=policy,
        )

    threads = [
        threading.Thread(target=act, args=(AGENT, to_progress)),
        threading.Thread(target=act, args=(AGENT_2, to_urgent)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        rows = s.scalars(select(TicketChange).order_by(TicketChange.id)).all()
    assert ticket.status is Status.IN_PROGRESS and ticket.priority is Priority.URGENT
    assert ticket.version == 3
    assert sorted(r.ticket_version for r in rows) == [2, 3]
    assert {r.field for r in rows} == {"status", "priority"}


def test_sqlite_writers_of_every_process_queue_on_one_file_lock(tmp_path):
    """Another process (here: another open file) cannot write while a transaction runs,
    including after a nested one ends; readers never take the lock."""
    path = tmp_path / "ticketbot.db"
    database = Database(f"sqlite:///{path}")
    other = os.open(f"{path}.writer", os.O_RDWR | os.O_CREAT)
    try:
        with database.transaction():
            with database.transaction():
                pass
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with database.transaction(read_only=True):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: the writer is done
            fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)
        database.dispose()


def test_a_thread_reply_holds_its_ticket_until_the_comment_is_stored(database, clock, policy):
    """A reply updates the ticket; unlocked, a status change committed by another replica
    meanwhile made that update fail on the ticket's version (seen under load)."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: the reply's transaction already excludes")
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        ticket.card_channel_id, ticket.card_ts = "C0TRIAGE", "1700000000.000100"
        ticket_id = ticket.id
    with database.transaction() as s:
        found = links.ticket_for_thread(
            session=s, channel_id="C0TRIAGE", thread_ts="1700000000.000100"
        )
        assert found is not None and found.id == ticket_id
        with database.engine.connect() as other, pytest.raises(OperationalError):
            other.execute(
                text("SELECT id FROM tickets WHERE id = :id FOR UPDATE NOWAIT"), {"id": ticket_id}
            )
