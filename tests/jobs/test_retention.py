"""The retention pass: batches of a bounded size, each its own transaction, a time budget per
pass after which the next pass goes on, `retention_days` from the configuration, and rows
another transaction holds skipped rather than waited for."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from tests.support.factories import make_ticket
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.jobs.retention import purge_old_rows
from ticketbot.runtime import Runtime
from ticketbot.store.models import CardRefresh, ProcessedEvent, WebhookDelivery

DAY = timedelta(days=1)


def runtime(database, clock, **config) -> Runtime:
    return Runtime(
        settings=Settings(),
        config=TicketbotConfig.model_validate(config),
        database=database,
        clock=clock,
    )


def deliveries(database, count: int, *, delivered, label: str = "old") -> None:
    with database.transaction() as session:
        session.add_all(
            WebhookDelivery(
                delivery_id=f"{label}-{n}",
                url="https://hooks.example.com/ticketbot",
                event="ticket.created",
                payload="{}",
                state="delivered",
                attempts=1,
                available_at=delivered,
                created_at=delivered,
                delivered_at=delivered,
            )
            for n in range(count)
        )


def events(database, count: int, *, received) -> None:
    with database.transaction() as session:
        session.add_all(
            ProcessedEvent(event_id=f"Ev{n:04d}", received_at=received) for n in range(count)
        )


def counts(database) -> tuple[int, int]:
    with database.transaction(read_only=True) as session:
        return (
            session.scalar(select(func.count()).select_from(WebhookDelivery)),
            session.scalar(select(func.count()).select_from(ProcessedEvent)),
        )


class Journal:
    """What reached the database, in order: each DELETE with its table and the rows it
    removed, and each COMMIT."""

    def __init__(self, engine) -> None:
        self.entries: list[tuple] = []
        self.engine = engine

    def __enter__(self) -> Journal:
        event.listen(self.engine, "after_cursor_execute", self._executed)
        event.listen(self.engine, "commit", self._committed)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "after_cursor_execute", self._executed)
        event.remove(self.engine, "commit", self._committed)

    def _executed(self, _conn, cursor, statement, _params, _context, _many) -> None:
        words = statement.split()
        if "DELETE" in words:  # PostgreSQL's start WITH batch AS (...)
            table = words[words.index("DELETE") + 2]
            self.entries.append(("delete", table, cursor.rowcount))

    def _committed(self, _conn) -> None:
        self.entries.append(("commit",))


def test_each_batch_is_its_own_transaction_of_at_most_the_batch_size(database, clock):
    deliveries(database, 25, delivered=clock.now() - 31 * DAY)
    with Journal(database.engine) as journal:
        report = purge_old_rows(runtime(database, clock), batch=10)
    assert report.purged["webhook_deliveries"] == 25 and report.outbox == 25 and report.finished
    deletes = [e for e in journal.entries if e[0] == "delete"]
    assert [rows for _, table, rows in deletes if table == "webhook_deliveries"] == [10, 10, 5]
    assert all(rows <= 10 for *_, rows in deletes)
    # Every DELETE is committed before the next one starts: no lock outlives its batch.
    assert journal.entries == [e for d in deletes for e in (d, ("commit",))]
    assert counts(database) == (0, 0)


def test_a_large_backlog_is_worked_off_over_passes_within_their_budget(database, clock):
    deliveries(database, 50, delivered=clock.now() - 40 * DAY)
    deliveries(database, 3, delivered=clock.now() - 20 * DAY, label="young")
    events(database, 30, received=clock.now() - 3 * DAY)
    bot = runtime(database, clock)
    # A clock read once a round of batches, a second later each time: a budget of three
    # seconds is three rounds, one batch of each kind with rows left.
    seconds = itertools.count()
    passes = []
    for _ in range(5):
        report = purge_old_rows(bot, batch=5, budget=3, monotonic=lambda: next(seconds))
        passes.append((report.outbox, report.events, report.finished, counts(database)))
    assert passes == [
        (15, 15, False, (38, 15)),
        (15, 15, False, (23, 0)),
        (15, 0, False, (8, 0)),
        (5, 0, True, (3, 0)),  # the young three stay
        (0, 0, True, (3, 0)),
    ]


def test_the_retention_is_the_configured_number_of_days(database, clock):
    deliveries(database, 2, delivered=clock.now() - 8 * DAY)
    deliveries(database, 1, delivered=clock.now() - 6 * DAY, label="young")
    assert purge_old_rows(runtime(database, clock)).outbox == 0  # 30 days by default
    assert purge_old_rows(runtime(database, clock, retention_days=7)).outbox == 2
    with database.transaction(read_only=True) as session:
        assert session.scalars(select(WebhookDelivery.delivery_id)).all() == ["young-0"]


def test_rows_another_transaction_holds_are_skipped_not_waited_for(database, clock, policy):
    if database.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: no other transaction holds rows")
    old = clock.now() - 31 * DAY
    with database.transaction() as session:
        tickets = [make_ticket(session, policy=policy, now=old) for _ in range(2)]
        session.add_all(
            CardRefresh(ticket_id=t.id, state="failed", available_at=old, attempts=9)
            for t in tickets
        )
    held = tickets[0]
    with database.engine.connect() as other:
        # Another replica marks the first card again: the row is locked until it commits.
        other.execute(
            text("UPDATE card_refreshes SET state = 'pending' WHERE ticket_id = :id"),
            {"id": held.id},
        )
        report = purge_old_rows(runtime(database, clock))
        assert report.purged["card_refreshes"] == 1
        other.commit()
    with database.transaction(read_only=True) as session:
        rows = session.execute(select(CardRefresh.ticket_id, CardRefresh.state)).all()
        assert [tuple(row) for row in rows] == [(held.id, "pending")]  # marked again: it stays
