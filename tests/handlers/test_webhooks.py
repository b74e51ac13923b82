"""Webhooks end to end: changes made in Slack reach the receiver moments later, signed, and a
slow receiver never holds up Slack's answer."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import pytest
import responses
from sqlalchemy import select

from tests.support.slack_payloads import plain, static
from tests.support.steps import AGENT, TRIAGE, card_action, choose, create_ticket, opened
from tests.support.thread_messages import deleted, reply
from tests.support.webhooks import HOOK, SECRET, mocked_http
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, InputId
from ticketbot.store.models import WebhookDelivery


@pytest.fixture
def config() -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {
            "agents": ["U0AGT0001", "U0AGT0002"],
            "triage_channel": "C0SUPPORT1",
            "webhooks": [
                {
                    "url": HOOK,
                    "secret": SECRET,
                    "events": [
                        "ticket.created",
                        "ticket.updated",
                        "ticket.closed",
                        "ticket.commented",
                    ],
                }
            ],
        }
    )


@pytest.fixture
def http():
    with mocked_http() as mock:
        yield mock


def received(http, count: int, timeout: float = 5.0) -> list:
    """The first `count` requests the receiver got, waiting for the background delivery."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c.request for c in http.calls if c.request.url == HOOK]
        if len(found) >= count:
            return found[:count]
        if time.monotonic() >= deadline:
            raise AssertionError(f"the receiver got {len(found)} of {count} deliveries")
        time.sleep(0.01)


def states(slack) -> list[str]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        return [row.state for row in rows]


def test_a_ticket_raised_and_closed_in_slack_reaches_the_receiver_signed(slack, http):
    http.post(HOOK, status=200)
    create_ticket(slack, "Printer jammed")
    [created] = received(http, 1)  # no scheduled pass ran: the nudge after the commit did it

    close = opened(slack, lambda: card_action(slack, ActionId.STATUS, **choose("closed")))
    slack.send.view_submission(
        close, {InputId.SOLUTION: {InputId.SOLUTION: plain("New roller")}}, user_id=AGENT
    )
    closed = received(http, 2)[1]

    for request in (created, closed):
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Ticketbot-Signature"] == f"sha256={expected}"
    assert [r.headers["X-Ticketbot-Event"] for r in (created, closed)] == [
        "ticket.created",
        "ticket.closed",
    ]
    body = json.loads(closed.body)
    assert body["ticket"]["number"] == 1 and body["ticket"]["status"] == "closed"
    assert body["actor_id"] == AGENT and body["workspace_id"] == "T0TEAM001"
    assert [c["field"] for c in body["changes"]] == ["solution", "status"]
    assert body["ticket"]["card_url"]  # the card was posted by then
    slack.settle()
    assert slack.runtime.dispatcher.wait_idle(5)
    assert states(slack) == ["delivered", "delivered"]


def test_a_receiver_that_hangs_never_delays_slacks_answer(slack, http):
    arrived, release = threading.Event(), threading.Event()

    def hang(request):
        arrived.set()
        release.wait(10)
        return (200, {}, "")

    http.add_callback(responses.POST, HOOK, callback=hang)
    create_ticket(slack, "Printer jammed")
    assert arrived.wait(5)  # the creation's delivery is stuck at the receiver...

    # ...while an edit, which commits before it acknowledges, still gets its answer at once.
    edit = opened(slack, lambda: card_action(slack, ActionId.EDIT))
    response = slack.send.view_submission(
        edit, {InputId.PRIORITY: {InputId.PRIORITY: static("urgent")}}, user_id=AGENT
    )
    assert response.status_code == 200 and response.text in ("", "null")
    assert not release.is_set()
    assert states(slack) == ["pending", "pending"]

    release.set()
    slack.settle()
    assert slack.runtime.dispatcher.wait_idle(10)
    assert [r.headers["X-Ticketbot-Event"] for r in received(http, 2)] == [
        "ticket.created",
        "ticket.updated",
    ]
    assert states(slack) == ["delivered", "delivered"]


def test_a_comment_deleted_in_slack_leaves_its_words_in_no_delivery(slack, http):
    http.post(HOOK, status=200)
    create_ticket(slack, "Printer jammed")
    said = reply("My badge code is 4711", "1700000400.000100", slack.card(1)["ts"],
                 user=AGENT, channel=TRIAGE)  # fmt: skip
    assert slack.send.event(said).status_code == 200
    commented = json.loads(received(http, 2)[1].body)
    assert commented["comment"]["text"] == "My badge code is 4711"  # as it was, when it was
    assert slack.send.event(deleted(said, ts="1700000401.000100")).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        payloads = session.scalars(select(WebhookDelivery.payload)).all()
    assert len(payloads) == 2 and not any("4711" in p for p in payloads)
    kept = json.loads(payloads[1])["comment"]
    assert (kept["text"], kept["files"], kept["deleted"]) == ("", [], True)
