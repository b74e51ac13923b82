"""The one outbox mechanism, on a real outbox table of both databases: a claim leases due rows
to one pass, an outcome is written only under the claim, a dead pass's rows come back after
the lease, failures back off by one rule, and a row is given up on once its attempts are
spent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ticketbot.failures import retry_delay
from ticketbot.jobs.outbox import FAILED, PENDING, Outbox, new_token
from ticketbot.store.db import Database
from ticketbot.store.models import WebhookDelivery

LEASE = timedelta(minutes=5)
BOX = Outbox(WebhookDelivery, lease=LEASE, max_attempts=3)


@pytest.fixture
def rows(database, clock):
    def make(count: int, **values) -> list[int]:
        with database.transaction() as session:
            defaults = {"state": PENDING, "attempts": 0, "available_at": clock.now()}
            made = [
                WebhookDelivery(
                    delivery_id=f"d-{n}-{clock.now().timestamp()}",
                    url="https://hooks.example.org/x",
                    event="ticket.created",
                    payload="{}",
                    created_at=clock.now(),
                    **(defaults | values),
                )
                for n in range(count)
            ]
            session.add_all(made)
            session.flush()
            return [row.id for row in made]

    return make


def stored(database) -> dict[int, WebhookDelivery]:
    with database.transaction(read_only=True) as session:
        return {row.id: row for row in session.scalars(select(WebhookDelivery))}


def test_a_claim_leases_the_due_rows_in_order_to_one_pass(database, clock, rows):
    early = rows(2)
    clock.advance(timedelta(seconds=1))
    later = rows(1, available_at=clock.now() + timedelta(minutes=1))  # not due yet
    claimed = BOX.claim(database, now=clock.now(), token="pass-1", limit=10)
    assert [r.id for r in claimed] == early
    held = stored(database)
    assert {held[i].claim_token for i in early} == {"pass-1"}
    assert {held[i].available_at for i in early} == {clock.now() + LEASE}
    assert held[later[0]].claim_token is None
    assert BOX.claim(database, now=clock.now(), token="pass-2", limit=10) == []  # leased


def test_a_claim_takes_at_most_its_limit(database, clock, rows):
    ids = rows(5)
    assert [r.id for r in BOX.claim(database, now=clock.now(), token="a", limit=2)] == ids[:2]
    assert [r.id for r in BOX.claim(database, now=clock.now(), token="b", limit=9)] == ids[2:]


def test_prepare_settles_rows_in_the_claiming_transaction(database, clock, rows):
    keep, drop = rows(2)

    def prepare(session, claimed):
        for row in claimed:
            if row.id == drop:
                row.state = "cancelled"
        return [row for row in claimed if row.id == keep]

    claimed = BOX.claim(database, now=clock.now(), token="t", limit=10, prepare=prepare)
    assert [r.id for r in claimed] == [keep]
    held = stored(database)
    assert (held[drop].state, held[drop].claim_token) == ("cancelled", None)
    assert held[keep].claim_token == "t"


def test_an_outcome_is_written_only_by_the_pass_holding_the_claim(database, clock, rows):
    [row_id] = rows(1)
    BOX.claim(database, now=clock.now(), token="late", limit=1)
    clock.advance(LEASE)  # the first pass is presumed dead: its lease ends
    [again] = BOX.claim(database, now=clock.now(), token="second", limit=1)
    assert again.id == row_id
    followed = []
    assert BOX.record(database, [row_id], "late", state="delivered") == []
    assert BOX.record(
        database, [row_id], "second", then=lambda s, held: followed.append(held), state="delivered"
    ) == [row_id]
    assert followed == [[row_id]]
    row = stored(database)[row_id]
    assert (row.state, row.claim_token) == ("delivered", None)


def test_a_dead_pass_rows_come_back_after_the_lease_not_before(database, clock, rows):
    [row_id] = rows(1)
    BOX.claim(database, now=clock.now(), token="crashed", limit=1)  # then nothing: a crash
    clock.advance(LEASE - timedelta(seconds=1))
    assert BOX.claim(database, now=clock.now(), token="next", limit=1) == []
    clock.advance(timedelta(seconds=1))
    assert [r.id for r in BOX.claim(database, now=clock.now(), token="next", limit=1)] == [row_id]


def test_failures_back_off_by_one_rule_then_are_given_up_on_once(database, clock, rows):
    [row_id] = rows(1)
    for attempt in (1, 2):
        [row] = BOX.claim(database, now=clock.now(), token=f"t{attempt}", limit=1)
        assert BOX.retry(database, row, f"t{attempt}", now=clock.now(), error="HTTP 503") is False
        held = stored(database)[row_id]
        assert (held.state, held.attempts, held.last_error) == (PENDING, attempt, "HTTP 503")
        assert held.available_at == clock.now() + retry_delay(attempt)
        assert BOX.claim(database, now=clock.now(), token="early", limit=1) == []  # backing off
        clock.advance(retry_delay(attempt))
    [row] = BOX.claim(database, now=clock.now(), token="t3", limit=1)
    assert BOX.retry(database, row, "t3", now=clock.now(), error="HTTP 500") is True
    held = stored(database)[row_id]
    assert (held.state, held.attempts, held.last_error) == (FAILED, 3, "HTTP 500")
    clock.advance(timedelta(days=2))
    assert BOX.claim(database, now=clock.now(), token="never", limit=1) == []


def test_the_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 4, 6, 7, 30)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 32, 60, 60)
    ]


def test_without_a_limit_on_attempts_a_row_is_retried_forever(database, clock, rows):
    forever = Outbox(WebhookDelivery, lease=LEASE)
    [row_id] = rows(1)
    for attempt in range(1, 12):
        [row] = forever.claim(database, now=clock.now(), token=new_token(), limit=1)
        assert forever.retry(database, row, row.claim_token, now=clock.now(), error="x") is False
        clock.advance(retry_delay(attempt))
    assert stored(database)[row_id].state == PENDING


def test_clear_deletes_only_what_the_pass_still_holds(database, clock, rows):
    done, marked_again = rows(2)
    BOX.claim(database, now=clock.now(), token="t", limit=2)
    with database.transaction() as session:  # a new change drops the claim on one of them
        session.get(WebhookDelivery, marked_again).claim_token = None
    assert BOX.clear(database, [done, marked_again], "t") == 1
    assert list(stored(database)) == [marked_again]


def test_racing_passes_never_claim_the_same_row(database, database_url, clock, rows):
    ids = rows(40)
    barrier = threading.Barrier(3)
    claimed: list[list[int]] = []

    def replica() -> None:
        own = Database(database_url)  # as another replica would
        mine: list[int] = []
        barrier.wait()
        token = new_token()
        while batch := BOX.claim(own, now=clock.now(), token=token, limit=3):
            mine += [r.id for r in batch]
        claimed.append(mine)
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = sorted(i for mine in claimed for i in mine)
    assert every == ids  # each row once, none lost


def test_a_claim_over_a_backlog_leases_exactly_its_limit(database, clock, rows):
    """PostgreSQL may run an IN (subquery) again per row, each run finding the next rows."""
    rows(25)
    claimed = BOX.claim(database, now=clock.now(), token="a", limit=10)
    assert len(claimed) == 10
    held = [r for r in stored(database).values() if r.claim_token == "a"]
    assert len(held) == 10
