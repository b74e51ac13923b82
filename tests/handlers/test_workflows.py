"""The "Raise a ticket" Workflow Builder step, run as Slack runs it: a `function_executed`
event, the ticket stored once, the step completed with its number and link through
functions.completeSuccess (with the execution's own token), or failed with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.conversation import DM, posts, said
from tests.support.scenario import start_scenario
from tests.support.steps import ADMIN, AGENT, AGENT_2, REQUESTER
from ticketbot.config import TicketbotConfig
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Priority, Source

IT_DESK, HR_DESK = "C0ITDESK01", "C0HRDESK01"


@pytest.fixture
def desks(database, fake_slack, clock):
    config = TicketbotConfig.model_validate(
        {
            "admins": [ADMIN],
            "queues": [
                {"name": "IT", "triage_channel": IT_DESK, "agents": [AGENT]},
                {"name": "Human resources", "key": "hr", "triage_channel": HR_DESK,
                 "agents": [AGENT_2], "assign": "round_robin"},
            ],
        }
    )  # fmt: skip
    yield from start_scenario(database, fake_slack, clock, config)


def _run_step(slack, inputs: dict, *, execution: str = "Fx0EXEC0001", event_id=None, retry=None):
    event = {
        "type": "function_executed",
        "function": {
            "id": "Fn0RAISE001", "callback_id": "raise_ticket", "title": "Raise a ticket",
            "description": "Raise a ticketbot ticket", "type": "app", "app_id": "A0TICKETBOT",
            "input_parameters": [], "output_parameters": [],
            "date_created": 1700000000, "date_updated": 1700000000, "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": execution,
        "workflow_execution_id": "Wx0WORKFLOW1",
        "event_ts": "1700000100.000100",
        "bot_access_token": "xwfp-1-step-token",
    }  # fmt: skip
    response = slack.send.event(event, event_id=event_id, retry_num=retry)
    assert response.status_code == 200
    slack.settle()


def _tickets(slack) -> list[Ticket]:
    with slack.database.transaction() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def test_the_step_raises_a_ticket_and_hands_back_its_number_and_link(desks):
    slack = desks
    inputs = {"title": "New starter: laptop for Dana", "description": "Starts on Monday",
              "requester": REQUESTER, "queue": "Human Resources", "priority": "High"}
    _run_step(slack, inputs, event_id="Ev0STEP0001")
    _run_step(slack, inputs, event_id="Ev0STEP0001", retry=1)  # Slack sends it again
    [raised] = _tickets(slack)
    assert (raised.title, raised.description, raised.queue) == (
        "New starter: laptop for Dana", "Starts on Monday", "hr")
    assert (raised.priority, raised.source, raised.requester_id) == (
        Priority.HIGH, Source.WORKFLOW, REQUESTER)
    assert raised.assignee_id == AGENT_2  # the queue's assignment applies
    # The card in the queue's triage channel, the status message in the requester's DM.
    assert raised.card_channel_id == HR_DESK and raised.card_permalink
    assert any("laptop for Dana" in said(p) for p in posts(slack, DM))
    assert slack.fake.steps == {"Fx0EXEC0001": ("success", {
        "ticket_number": 1, "ticket_link": raised.card_permalink})}  # fmt: skip
    [completed] = slack.fake.calls("functions.completeSuccess")
    assert completed.args["token_kind"] == "xwfp"  # the execution's token, not the bot's

    # Another run of the workflow is another ticket.
    _run_step(slack, {**inputs, "title": "New starter: badge"}, execution="Fx0EXEC0002")
    assert [t.number for t in _tickets(slack)] == [1, 2]
    assert slack.fake.steps["Fx0EXEC0002"] == ("success", {
        "ticket_number": 2, "ticket_link": _tickets(slack)[1].card_permalink})  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        ({"requester": REQUESTER}, "Title is required."),
        ({"title": "x" * 201, "requester": REQUESTER}, "at most 200 characters"),
        ({"title": "Printer"}, "needs a requester"),
        ({"title": "Printer", "requester": REQUESTER, "queue": "Legal"},
         "There is no queue called Legal. The queues are: IT, Human resources."),
        ({"title": "Printer", "requester": REQUESTER, "priority": "asap"},
         "The priority must be one of: low, normal, high, urgent."),
        ({"title": ["not", "text"], "requester": REQUESTER}, "must be text"),
    ],
)
def test_bad_inputs_fail_the_step_with_the_reason_and_raise_nothing(desks, inputs, reason):
    slack = desks
    _run_step(slack, inputs)
    assert _tickets(slack) == []
    [(kind, message)] = slack.fake.steps.values()
    assert kind == "error" and reason in message
    assert slack.fake.calls("functions.completeSuccess") == []
