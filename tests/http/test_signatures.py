"""Only Slack gets in: requests must carry a valid, fresh signature of their exact bytes."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.support.scenario import SIGNING_SECRET
from tests.support.slack_requests import FORM, SlackSender, sign
from tests.support.steps import GENERAL, OTHER, seed_ticket
from ticketbot.store.models import Ticket

MESSAGE_TS = "1699990000.000100"


def _sender(slack, *, secret: str = SIGNING_SECRET, age: float = 0.0) -> SlackSender:
    return SlackSender(
        slack.url, secret, timestamp=lambda: time.time() - age, response_url=slack.fake.response_url
    )


def _tickets(slack) -> int:
    with slack.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def _raise_by_reaction(sender: SlackSender):
    return sender.event(
        {
            "type": "reaction_added",
            "user": OTHER,
            "reaction": "ticket",
            "item": {"type": "message", "channel": GENERAL, "ts": MESSAGE_TS},
        }
    )


REQUESTS = {
    "slash command": lambda sender: sender.command("new Printer jammed"),
    "show command": lambda sender: sender.command("show 1"),
    "reaction": _raise_by_reaction,
}


@pytest.fixture
def workspace(slack):
    """A ticket to show and a message to react to, so a request that got in would show."""
    seed_ticket(slack, "Printer jammed")
    slack.fake.messages[(GENERAL, MESSAGE_TS)] = {
        "type": "message",
        "user": OTHER,
        "text": "Laptop will not boot",
        "ts": MESSAGE_TS,
    }
    slack.settle()
    return len(slack.fake.calls())


@pytest.mark.parametrize("kind", REQUESTS)
def test_a_bad_signature_gets_401_and_nothing_happens(slack, workspace, kind):
    response = REQUESTS[kind](_sender(slack, secret="not-the-signing-secret"))
    assert response.status_code == 401
    slack.settle()
    assert len(slack.fake.calls()) == workspace
    assert _tickets(slack) == 1


@pytest.mark.parametrize("kind", REQUESTS)
def test_a_signed_request_older_than_five_minutes_gets_401(slack, workspace, kind):
    response = REQUESTS[kind](_sender(slack, age=5 * 60 + 30))
    assert response.status_code == 401
    slack.settle()
    assert len(slack.fake.calls()) == workspace
    assert _tickets(slack) == 1


def test_a_signed_request_four_minutes_old_is_served(slack, workspace):
    """The same request within the five minutes gets in: it is the age that is refused."""
    assert _raise_by_reaction(_sender(slack, age=4 * 60)).status_code == 200
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: c.args.get("thread_ts"))
    assert _tickets(slack) == 2


def test_a_body_changed_after_signing_gets_401(slack, workspace):
    fields = {
        "team_id": "T0TEAM001",
        "channel_id": GENERAL,
        "user_id": OTHER,
        "command": "/ticket",
        "text": "show 1",
        "response_url": slack.fake.response_url("signed", channel=GENERAL),
        "trigger_id": "1.2.3",
    }
    body = urlencode(fields).encode()
    stamp = str(int(time.time()))
    signature = sign(SIGNING_SECRET, stamp, body)
    tampered = body.replace(b"show+1", b"show+2")
    assert slack.send.post(tampered, FORM, timestamp=stamp, signature=signature).status_code == 401
    # The untouched bytes with the same signature are served.
    assert slack.send.post(body, FORM, timestamp=stamp, signature=signature).status_code == 200
    [shown] = slack.fake.wait_for("response_url")
    assert shown.args["blocks"][0]["text"]["text"] == "#1 Printer jammed"


def test_url_verification_answers_the_challenge_when_signed(slack):
    answered = slack.send.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert answered.status_code == 200
    assert answered.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    forged = _sender(slack, secret="not-the-signing-secret").url_verification("abc")
    assert forged.status_code == 401
    assert "abc" not in forged.text
