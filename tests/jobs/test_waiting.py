"""Tickets waiting forever on their requester (`conversation.auto_close_days`): reminded
halfway, closed by the bot at the end with a way to reopen, once across replicas, and not at
all once the requester answers. The clock is moved, never slept."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from tests.support.conversation import (
    DM,
    post_count,
    posts,
    reply_to_requester,
    said,
    say,
    status_message,
    written,
)
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import BOT_USER_ID
from tests.support.steps import REQUESTER, card_action, changes, choose, create_ticket, ticket
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId
from ticketbot.jobs.scheduler import tick
from ticketbot.jobs.waiting import remind_and_close
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database
from ticketbot.vocabulary import Status

DAY = timedelta(days=1)


@pytest.fixture
def config(config) -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {**config.model_dump(mode="json"), "conversation": {"auto_close_days": 4}}
    )


@pytest.fixture
def slack(database, fake_slack, clock, config):
    yield from start_scenario(database, fake_slack, clock, config)


def _client(slack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.fake.api_url)


def _waiting(slack, title: str = "VPN drops every hour") -> int:
    number = create_ticket(slack, title)
    reply_to_requester(slack, "Can you send the VPN log?", number=number, waiting=True)
    slack.settle()
    assert ticket(slack, number).status is Status.WAITING
    return number


def test_a_ticket_waiting_on_its_requester_is_reminded_then_closed(slack):
    _waiting(slack)
    status_ts = status_message(slack)["ts"]
    client = _client(slack)
    slack.clock.advance(DAY)
    before = post_count(slack)
    assert tick(slack.runtime, client).waiting.reminded == []
    assert posts(slack, DM, since=before) == []

    slack.clock.advance(DAY)  # halfway
    report = tick(slack.runtime, client)
    assert report.waiting.reminded == [1]
    assert "waiting on requesters: 1 reminded, 0 closed" in report.lines()
    [reminder] = posts(slack, DM, since=before)
    assert reminder["thread_ts"] == status_ts and reminder["reply_broadcast"] is True
    assert "still waits on your reply" in said(reminder)
    assert tick(slack.runtime, client).waiting.reminded == []  # once
    assert len(posts(slack, DM, since=before)) == 1

    slack.clock.advance(2 * DAY)  # the end
    before = post_count(slack)
    assert tick(slack.runtime, client).waiting.closed == [1]
    closed = ticket(slack)
    assert closed.status is Status.CLOSED
    assert closed.solution == "Closed automatically: no reply from the requester in 4 days."
    assert changes(slack)[-1] == ("status", "waiting", "closed", BOT_USER_ID)
    [notice] = posts(slack, DM, since=before)
    assert "was closed after 4 days without your reply" in said(notice)
    reopen = [e["action_id"] for b in notice["blocks"] if b["type"] == "actions"
              for e in b["elements"]]  # fmt: skip
    assert reopen == [ActionId.STATUS_REOPEN]
    assert "Closed" in said(status_message(slack)) and "Closed" in said(slack.card(1))
    assert tick(slack.runtime, client).waiting.closed == []  # once

    # The Reopen it offers works for the requester.
    message = {"channel": DM, **slack.fake.message(DM, notice["ts"])}
    slack.send.block_actions([{"action_id": ActionId.STATUS_REOPEN}], user_id=REQUESTER,
                             channel_id=DM, message=message)  # fmt: skip
    slack.settle()
    assert ticket(slack).status is Status.OPEN


def test_an_answer_from_the_requester_stops_the_countdown(slack):
    _waiting(slack)
    status_ts = status_message(slack)["ts"]
    slack.clock.advance(3 * DAY)
    say(slack, written(DM, REQUESTER, "Here is the log", "1700000300.000100",
                       thread_ts=status_ts))  # fmt: skip
    slack.settle()
    assert ticket(slack).status is Status.IN_PROGRESS
    assert ticket(slack).waiting_since is None
    slack.clock.advance(5 * DAY)
    report = tick(slack.runtime, _client(slack))
    assert (report.waiting.reminded, report.waiting.closed) == ([], [])
    assert ticket(slack).status is Status.IN_PROGRESS


def test_waiting_again_starts_a_new_countdown(slack):
    _waiting(slack)
    slack.clock.advance(3 * DAY)
    tick(slack.runtime, _client(slack))  # reminded
    reply_to_requester(slack, "Still there?", waiting=False)
    slack.settle()
    # Moving it to In progress and back to Waiting restarts the clock.
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    card_action(slack, ActionId.STATUS, **choose("waiting"))
    slack.settle()
    assert ticket(slack).waiting_since == slack.clock.now()
    slack.clock.advance(3 * DAY)
    report = tick(slack.runtime, _client(slack))
    assert (report.waiting.reminded, report.waiting.closed) == ([1], [])


def test_replicas_remind_and_close_each_ticket_once(slack, database_url):
    for title in ("VPN drops", "Screen flickers", "Printer jammed"):
        _waiting(slack, title)
    runtimes, databases = [], []
    for _ in range(3):
        own = Database(database_url)
        databases.append(own)
        runtimes.append(Runtime(settings=slack.runtime.settings, config=slack.runtime.config,
                                database=own, clock=slack.clock))  # fmt: skip

    def race() -> list:
        barrier, results = threading.Barrier(len(runtimes)), []

        def replica(runtime: Runtime) -> None:
            client = _client(slack)
            barrier.wait()
            results.append(remind_and_close(runtime, client))

        threads = [threading.Thread(target=replica, args=(r,)) for r in runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    before = post_count(slack)
    slack.clock.advance(2 * DAY)
    reports = race()
    assert sorted(n for r in reports for n in r.reminded) == [1, 2, 3]
    slack.clock.advance(2 * DAY)
    reports = race()
    assert sorted(n for r in reports for n in r.closed) == [1, 2, 3]
    slack.runtime.slack_changed()  # this replica's deliverer posts what the others queued
    slack.settle()
    told = [said(p) for p in posts(slack, DM, since=before)]
    assert sum("still waits on your reply" in t for t in told) == 3
    assert sum("without your reply" in t for t in told) == 3
    closings = [c for c in changes(slack) if c == ("status", "waiting", "closed", BOT_USER_ID)]
    assert len(closings) == 3
    for own in databases:
        own.dispose()
