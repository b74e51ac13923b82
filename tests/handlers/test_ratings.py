"""Satisfaction end to end: closing a ticket asks its requester for a 1-5 rating in a direct
message; only they may rate, a new score replaces the old, the message thanks them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.slack_payloads import plain
from tests.support.steps import (
    AGENT,
    OTHER,
    REQUESTER,
    answer,
    card_action,
    choose,
    create_ticket,
    opened,
    viewer,
)
from ticketbot.ids import ActionId, InputId, rating_action_id, ticket_block_id
from ticketbot.services import tickets
from ticketbot.store.models import Rating, Ticket
from ticketbot.vocabulary import Status

DM = "D" + REQUESTER[1:]


def close(slack, *, user_id: str = AGENT, solution: str = "Replaced the roller") -> None:
    view = opened(
        slack, lambda: card_action(slack, ActionId.STATUS, user_id=user_id, **choose("closed"))
    )
    response = slack.send.view_submission(
        view, {InputId.SOLUTION: {InputId.SOLUTION: plain(solution)}}, user_id=user_id
    )
    assert response.status_code == 200
    slack.settle()


def requests_sent(slack) -> list:
    return [
        c
        for c in slack.fake.calls("chat.postMessage")
        # In the thread of the requester's status message, in their direct message.
        if c.args["channel"] in (REQUESTER, DM) and "how did we do" in c.args["text"]
    ]


def rate(slack, score: int, *, user_id: str = REQUESTER):
    [request] = requests_sent(slack)
    message = slack.fake.message(DM, request.response["ts"])
    response = slack.send.block_actions(
        [{"action_id": rating_action_id(score)}], user_id=user_id, channel_id=DM, message=message
    )
    assert response.status_code == 200
    slack.settle()
    return slack.fake.message(DM, request.response["ts"])


def ratings(slack) -> list[tuple[int, str]]:
    with slack.database.transaction() as session:
        return [(r.score, r.rated_by) for r in session.scalars(select(Rating))]


@pytest.fixture
def closed(slack):
    create_ticket(slack, "Printer jammed")
    close(slack)
    return slack


def test_closing_asks_the_requester_with_five_buttons(closed):
    [request] = requests_sent(closed)
    blocks = request.args["blocks"]
    assert "Your ticket *#1* Printer jammed is closed." in blocks[0]["text"]["text"]
    assert ">Replaced the roller" in blocks[0]["text"]["text"]
    buttons = blocks[-1]
    assert buttons["block_id"] == ticket_block_id(1, "rating")
    assert [b["action_id"] for b in buttons["elements"]] == [f"rate:{n}" for n in range(1, 6)]
    assert buttons["elements"][0]["accessibility_label"] == "1 out of 5, very unhappy"
    assert ratings(closed) == []


def test_the_requester_rates_and_the_message_thanks_them(closed):
    shown = rate(closed, 4)
    assert ratings(closed) == [(4, REQUESTER)]
    assert shown["text"] == "Thank you! You rated this ticket 4 stars out of 5."
    buttons = shown["blocks"][2]["elements"]
    assert [b.get("style") for b in buttons] == [None, None, None, "primary", None]


def test_rating_again_replaces_the_rating(closed):
    rate(closed, 4)
    shown = rate(closed, 1)
    assert ratings(closed) == [(1, REQUESTER)]
    assert shown["text"] == "Thank you! You rated this ticket 1 star out of 5."


def test_only_the_requester_may_rate(closed):
    [request] = requests_sent(closed)
    message = closed.fake.message(DM, request.response["ts"])
    refused = answer(
        closed,
        lambda: closed.send.block_actions(
            [{"action_id": rating_action_id(5)}], user_id=OTHER, channel_id=DM, message=message
        ),
    )
    assert refused["text"] == "Only the person who raised ticket #1 can rate it."
    assert ratings(closed) == []
    assert closed.fake.message(DM, request.response["ts"])["text"] == request.args["text"]


def test_a_reopened_ticket_cannot_be_rated_until_closed_again(closed):
    with closed.database.transaction() as session:
        found = session.scalars(select(Ticket)).one()
        tickets.change_status(
            session=session,
            ticket=found,
            status=Status.OPEN,
            viewer=viewer(AGENT),
            now=closed.clock.now(),
            policy=closed.runtime.policy,
        )
    [request] = requests_sent(closed)
    message = closed.fake.message(DM, request.response["ts"])
    refused = answer(
        closed,
        lambda: closed.send.block_actions(
            [{"action_id": rating_action_id(3)}],
            user_id=REQUESTER,
            channel_id=DM,
            message=message,
        ),
    )
    assert "was reopened" in refused["text"]
    assert ratings(closed) == []


def test_no_question_when_the_requester_closes_their_own_ticket(slack):
    create_ticket(slack, "Never mind")
    close(slack, user_id=REQUESTER, solution="Found it myself")
    with slack.database.transaction() as session:
        assert session.scalars(select(Ticket)).one().status is Status.CLOSED
    assert requests_sent(slack) == []


def test_an_unreachable_requester_does_not_stop_the_close(slack):
    create_ticket(slack, "Printer jammed")
    slack.fake.fail_next("chat.postMessage", status=200, error="cannot_dm_bot")
    close(slack)
    [refused] = [c for c in slack.fake.calls("chat.postMessage") if c.failed]
    assert refused.args["channel"] == DM  # the closing notice, in the requester's conversation
    with slack.database.transaction() as session:
        assert session.scalars(select(Ticket)).one().status is Status.CLOSED
    assert "Replaced the roller" in str(slack.card(1)["blocks"])
