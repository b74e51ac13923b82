"""Delivering webhook events: the stored body signed, retries with growing delays, a cap,
receivers that fail or vanish, crashed passes, and racing passes posting each event once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
import requests
from slack_sdk import WebClient

from tests.support.webhooks import (
    HOOK,
    OPS,
    OPS_SECRET,
    SECRET,
    Desk,
    hook,
    mocked_http,
    posts,
    signed,
)
from ticketbot.failures import retry_delay
from ticketbot.jobs.scheduler import tick
from ticketbot.jobs.webhooks import BATCH, LEASE, MAX_ATTEMPTS, OUTBOX, deliver_webhooks
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database


@pytest.fixture(autouse=True)
def http():
    with mocked_http() as mock:
        yield mock


@pytest.fixture
def desk(database, clock) -> Desk:
    return Desk(database, clock)


def test_a_delivery_is_the_stored_body_signed_with_the_secret(desk, http):
    http.post(HOOK, status=204)
    desk.ticket(title="Printer jammed")
    [row] = desk.rows()
    report = desk.deliver()
    assert report.delivered == [row.delivery_id]

    [request] = posts(http)
    assert request.body == row.payload.encode("utf-8")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Ticketbot-Event"] == "ticket.created"
    assert request.headers["X-Ticketbot-Delivery"] == row.delivery_id
    assert request.headers["X-Ticketbot-Signature"] == signed(SECRET, request.body)
    body = json.loads(request.body)
    assert set(body) == {
        "delivery_id", "event", "occurred_at", "workspace_id", "actor_id", "ticket", "changes",
    }  # fmt: skip
    assert body["delivery_id"] == row.delivery_id and body["ticket"]["title"] == "Printer jammed"
    [done] = desk.rows()
    assert (done.state, done.attempts, done.claim_token) == ("delivered", 1, None)
    assert done.delivered_at == desk.clock.now()
    desk.clock.advance(timedelta(hours=2))
    assert desk.deliver().delivered == [] and len(posts(http)) == 1


def test_the_signature_covers_non_ascii_bytes_exactly(desk, http):
    http.post(HOOK, status=200)
    desk.ticket(title="Imprimante bloquée ✓ 日本")
    desk.deliver()
    [request] = posts(http)
    assert "Imprimante bloquée ✓ 日本".encode() in request.body
    assert request.headers["X-Ticketbot-Signature"] == signed(SECRET, request.body)
    assert request.headers["X-Ticketbot-Signature"] != signed("another secret!!", request.body)


def test_failures_are_retried_with_growing_delays_until_one_lands(desk, http):
    http.post(HOOK, status=500)
    http.post(HOOK, body=requests.ConnectionError("connection refused"))
    http.post(HOOK, body=requests.Timeout("read timed out"))
    http.post(HOOK, status=200)
    desk.ticket()

    expected = [("HTTP 500", 1), ("ConnectionError: connection refused", 2), ("timeout", 4)]
    for attempt, (error, minutes) in enumerate(expected, start=1):
        report = desk.deliver()
        assert len(report.retrying) == 1 and len(posts(http)) == attempt
        [row] = desk.rows()
        assert (row.state, row.attempts, row.last_error) == ("pending", attempt, error)
        assert row.available_at == desk.clock.now() + timedelta(minutes=minutes)
        desk.clock.advance(timedelta(minutes=minutes) - timedelta(seconds=1))
        assert desk.deliver().retrying == [] and len(posts(http)) == attempt  # not yet
        desk.clock.advance(timedelta(seconds=1))
    assert len(desk.deliver().delivered) == 1
    [row] = desk.rows()
    assert (row.state, row.attempts, row.delivered_at) == ("delivered", 4, desk.clock.now())
    assert len(posts(http)) == 4


def test_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 6, 7, 8, 20)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60, 60)
    ]


def test_a_receiver_that_keeps_failing_is_given_up_on_with_its_last_error(desk, http):
    http.post(HOOK, status=503)
    desk.ticket()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        desk.deliver()
        desk.clock.advance(retry_delay(attempt))
    [row] = desk.rows()
    assert (row.state, row.attempts, row.last_error) == ("failed", MAX_ATTEMPTS, "HTTP 503")
    desk.clock.advance(timedelta(days=1))
    assert desk.deliver().failed == []
    assert len(posts(http)) == MAX_ATTEMPTS


def test_redirects_are_failures_not_followed(desk, http):
    http.post(HOOK, status=301, headers={"Location": "https://elsewhere.example.com/"})
    desk.ticket()
    desk.deliver()
    [row] = desk.rows()
    assert (row.state, row.last_error) == ("pending", "HTTP 301")
    assert [c.request.url for c in http.calls] == [HOOK]


def test_a_failing_receiver_waits_without_holding_back_the_others(database, clock, http):
    desk = Desk(database, clock, hook(), hook(OPS, OPS_SECRET))
    http.post(HOOK, status=500)
    http.post(OPS, status=200)
    for _ in range(3):
        desk.ticket()
    report = desk.deliver()
    # One failure at HOOK; its two other events wait for the same retry instead of each
    # costing a request (or a timeout) now.
    assert len(posts(http, HOOK)) == 1 and len(report.deferred) == 2
    assert len(posts(http, OPS)) == 3 and len(report.delivered) == 3
    waiting = [r for r in desk.rows() if r.url == HOOK]
    assert {r.available_at for r in waiting} == {clock.now() + timedelta(minutes=1)}
    assert sorted(r.attempts for r in waiting) == [0, 0, 1]
    assert all(r.claim_token is None for r in desk.rows())


def test_events_for_a_webhook_no_longer_configured_are_failed(database, clock, http):
    old = Desk(database, clock, hook(OPS, OPS_SECRET))
    old.ticket()
    new = Desk(database, clock, hook())
    assert new.deliver().failed != []
    [row] = new.rows()
    assert (row.state, row.last_error) == ("failed", "no webhook has this URL now")
    assert len(http.calls) == 0


def test_a_pass_that_died_holding_a_claim_is_picked_up_after_the_lease(desk, http):
    http.post(HOOK, status=200)
    desk.ticket()
    claimed = OUTBOX.claim(  # then nothing: a crash
        desk.database, now=desk.clock.now(), token="crashed-pass", limit=BATCH
    )
    assert len(claimed) == 1
    assert desk.deliver().delivered == [] and len(http.calls) == 0
    desk.clock.advance(LEASE)
    assert len(desk.deliver().delivered) == 1
    [row] = desk.rows()
    assert row.state == "delivered" and len(posts(http)) == 1


def test_racing_passes_post_each_delivery_exactly_once(desk, database_url, http, monkeypatch):
    monkeypatch.setattr("ticketbot.jobs.webhooks.BATCH", 4)  # small claims, so passes interleave
    http.post(HOOK, status=200)
    for _ in range(30):
        desk.ticket()
    barrier = threading.Barrier(3)
    delivered: list[list[str]] = []

    def replica():
        own = Database(database_url)  # as another replica would
        runtime = Runtime(
            settings=desk.runtime.settings,
            config=desk.runtime.config,
            database=own,
            clock=desk.clock,
        )
        mine: list[str] = []
        barrier.wait()
        while report := deliver_webhooks(runtime).delivered:
            mine += report
        delivered.append(mine)
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = Counter(request.headers["X-Ticketbot-Delivery"] for request in posts(http))
    rows = desk.rows()
    assert set(sent) == {row.delivery_id for row in rows} and set(sent.values()) == {1}
    assert sorted(d for mine in delivered for d in mine) == sorted(r.delivery_id for r in rows)
    assert {row.state for row in rows} == {"delivered"}


def test_the_scheduled_tick_delivers_too(desk, http, fake_slack):
    http.post(HOOK, status=200)
    desk.ticket()
    tick(desk.runtime, WebClient(token="xoxb-test", base_url=fake_slack.api_url))
    assert [r.state for r in desk.rows()] == ["delivered"] and len(posts(http)) == 1
