"""The engines' pools as the metrics see them, and how long a request's transaction may wait."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from tests.support.databases import end_connections
from tests.support.metrics import current
from ticketbot.store.db import Database, DatabaseBusy, deadline


def test_connections_in_use_are_counted_while_a_transaction_holds_them(database):
    idle = current("ticketbot_db_connections_in_use")
    with database.transaction() as session:
        session.execute(text("SELECT 1"))
        assert current("ticketbot_db_connections_in_use") == idle + 1
        with database.transaction(read_only=True) as other:
            other.execute(text("SELECT 1"))
            assert current("ticketbot_db_connections_in_use") == idle + 2
    assert current("ticketbot_db_connections_in_use") == idle
    assert database.ping()
    assert current("ticketbot_db_connections_in_use") == idle


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_requests_writes_on_postgresql_wait_no_longer_than_its_deadline(database):
    """lock_timeout bounds each lock acquisition (a row wanted by two requests is two: the
    tuple lock, then the row) and statement_timeout all of a statement's: both are what is
    left of the request's budget, so no request waits past Slack's three seconds."""

    def timeouts(**options) -> tuple[str, str]:
        with database.transaction(**options) as session:
            return (
                session.scalar(text("SHOW lock_timeout")),
                session.scalar(text("SHOW statement_timeout")),
            )

    assert timeouts() == ("2500ms", "0")  # jobs and the command line: no deadline
    with deadline(0.8):
        lock, statement = timeouts()
        assert lock == statement and 1 <= int(lock.removesuffix("ms")) <= 800
        assert timeouts(read_only=True) == ("2500ms", "0")  # plain reads wait for no lock
    assert timeouts() == ("2500ms", "0")  # SET LOCAL: gone with the transaction


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_pooled_connections_the_server_dropped_are_replaced_before_use(database, postgres_schema):
    """A restart ends every connection resting in the pool; the next transactions get new
    ones instead of failing on the old ones (the pool has two idle connections here)."""
    with database.transaction() as first, database.transaction() as second:
        before = {
            first.scalar(text("SELECT pg_backend_pid()")),
            second.scalar(text("SELECT pg_backend_pid()")),
        }
    ended = end_connections(postgres_schema)
    assert ended == 2
    with database.transaction() as session:
        after = session.scalar(text("SELECT pg_backend_pid()"))
    with database.transaction() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) not in before
    assert after not in before


def test_a_request_whose_budget_is_spent_writes_nothing_and_says_busy(database):
    with deadline(0.0), pytest.raises(DatabaseBusy), database.transaction() as session:
        session.execute(text("SELECT 1"))  # pragma: no cover  (never reached)
    with deadline(0.0), database.transaction(read_only=True) as session:
        assert session.scalar(text("SELECT 1")) == 1  # reads still answer


class Holder:
    """A writer of another process (its own Database, its own lock file) in a thread: it
    writes `note` and holds the write lock until `let_go()`."""

    def __init__(self, database: Database, note: str) -> None:
        self.release = threading.Event()
        holding = threading.Event()

        def hold() -> None:
            with database.transaction() as session:
                session.execute(text("INSERT INTO notes VALUES (:note)"), {"note": note})
                holding.set()
                self.release.wait(10)

        self.thread = threading.Thread(target=hold)
        self.thread.start()
        assert holding.wait(10)

    def let_go(self) -> None:
        self.release.set()
        self.thread.join(10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_writer_of_another_process_is_waited_for_until_the_deadline_then_busy(database):
    """Each Database opens its own lock file, as each gunicorn worker does: the second one
    waits for the first's write lock, no longer than its request's deadline, writes nothing
    when it gives up, and takes the lock as soon as it is let go."""
    other = Database(str(database.url))
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE notes (text TEXT)"))
        holder = Holder(other, "first")
        with deadline(0.2), pytest.raises(DatabaseBusy), database.transaction() as session:
            session.execute(text("INSERT INTO notes VALUES ('given up')"))  # pragma: no cover

        written: list[str] = []

        def write_when_free() -> None:
            with deadline(10), database.transaction() as session:
                session.execute(text("INSERT INTO notes VALUES ('second')"))
                written.append("second")

        waiter = threading.Thread(target=write_when_free)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not written  # still waiting for the other's lock
        holder.let_go()
        waiter.join(10)
        assert written == ["second"]
        with database.transaction(read_only=True) as session:
            assert session.scalars(text("SELECT text FROM notes")).all() == ["first", "second"]
    finally:
        holder.release.set()
        other.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_writer_after_one_that_gave_up_holds_the_lock_for_its_whole_transaction(database):
    """A free lock file is taken without the process's lock thread, except while that thread
    still waits on behalf of a writer that gave up: then the lock it takes for nobody must
    not be let go under the next writer's transaction."""
    other = Database(str(database.url))
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE notes (text TEXT)"))
        for _turn in range(5):
            holder = Holder(other, "other")
            with deadline(0.05), pytest.raises(DatabaseBusy), database.transaction() as session:
                session.execute(text("INSERT INTO notes VALUES ('given up')"))  # pragma: no cover
            holder.let_go()  # the lock thread now takes the lock for nobody, and lets it go
            with deadline(10), database.transaction() as session:
                session.execute(text("INSERT INTO notes VALUES ('mine')"))
                # Held all along: the other process cannot write in the middle of it.
                with deadline(0.1), pytest.raises(DatabaseBusy), other.transaction() as o:
                    o.execute(text("INSERT INTO notes VALUES ('inside')"))  # pragma: no cover
        with database.transaction(read_only=True) as session:
            notes = session.scalars(text("SELECT text FROM notes")).all()
        assert notes == ["other", "mine"] * 5
    finally:
        other.dispose()
