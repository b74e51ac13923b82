"""Several teams, each its own queue: the create form's Queue select and its categories, a
private queue's tickets, rights that follow the queue, deadlines by queue, and moving a
ticket from one queue to another, end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.conversation import DM, said, status_message
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import plain, static
from tests.support.steps import (
    ADMIN,
    AGENT,
    AGENT_2,
    REQUESTER,
    block,
    changes,
    command,
    opened,
    ticket,
)
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, CallbackId, InputId, ticket_block_id
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Visibility

IT_DESK, HR_DESK, IT_HELP = "C0ITDESK01", "C0HRDESK01", "C0ITHELP01"


@pytest.fixture
def desks(database, fake_slack, clock):
    config = TicketbotConfig.model_validate(
        {
            "admins": [ADMIN],
            "sla": {"alert_channel": "C0SLAALERT"},
            "queues": [
                {"name": "IT", "request_channels": [IT_HELP], "triage_channel": IT_DESK,
                 "agents": [AGENT], "categories": ["Laptop", "VPN"],
                 "sla": {"standard_hours": {"urgent": 2}, "alert_channel": "C0ITALERT"}},
                {"name": "HR", "triage_channel": HR_DESK, "agents": [AGENT_2],
                 "categories": ["Payroll", "Leave"], "private": True},
            ],
        }
    )  # fmt: skip
    yield from start_scenario(database, fake_slack, clock, config)


def _options(view: dict, block_id: str) -> list[str]:
    return [o["value"] for o in block(view, block_id)["element"]["options"]]


def _raise(slack, title: str, queue: str, *, priority: str = "normal", user_id=REQUESTER):
    form = opened(slack, lambda: slack.send.command(f"new {title}", user_id=user_id))
    values = {InputId.QUEUE: {InputId.QUEUE: static(queue)},
              InputId.PRIORITY: {InputId.PRIORITY: static(priority)}}  # fmt: skip
    if queue == "hr":
        values[InputId.DESCRIPTION] = {InputId.DESCRIPTION: plain("My payslip shows 0 hours")}
    assert slack.send.view_submission(form, values, user_id=user_id).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        return session.scalars(select(Ticket).order_by(Ticket.id.desc())).first().number


def _card_in(slack, channel: str) -> dict:
    [card] = [m for (c, _ts), m in slack.fake.messages.items()
              if c == channel and (m.get("metadata") or {}).get("event_type") == "ticketbot_card"]
    return card  # fmt: skip


def test_the_form_offers_each_queue_and_its_categories(desks):
    slack = desks
    form = opened(slack, lambda: slack.send.command("new Laptop slow", user_id=REQUESTER))
    assert _options(form, InputId.QUEUE) == ["it", "hr"]
    assert _options(form, InputId.CATEGORY) == ["Laptop", "VPN"]
    assert block(form, InputId.QUEUE)["dispatch_action"] is True
    # Choosing HR offers HR's categories, what was typed kept.
    updated = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": InputId.QUEUE, **static("hr")}], user_id=REQUESTER, view=form,
        values={InputId.TITLE: {InputId.TITLE: plain("Payslip wrong")}}), method="views.update")
    assert _options(updated, InputId.CATEGORY) == ["Payroll", "Leave"]
    assert block(updated, InputId.TITLE)["element"]["initial_value"] == "Payslip wrong"


def test_a_private_queues_ticket_is_internal_and_stays_out_of_channels(desks):
    slack = desks
    number = _raise(slack, "Payslip wrong", "hr")
    raised = ticket(slack, number)
    assert (raised.queue, raised.visibility) == ("hr", Visibility.INTERNAL)
    card = _card_in(slack, HR_DESK)
    assert "Payslip wrong" in said(card)
    assert "0 hours" not in said(card) and "/ticket show 1" in said(card)
    assert status_message(slack, number)["channel"] == DM
    assert [c for (c, _ts) in slack.fake.messages if c == IT_DESK] == []
    # The HR agent reads the description where only they see it.
    assert "My payslip shows 0 hours" in said(command(slack, "show 1", user_id=AGENT_2))


def test_rights_follow_the_queue(desks):
    slack = desks
    _raise(slack, "Payslip wrong", "hr")
    _raise(slack, "VPN drops", "it")
    # IT's agent is a requester for HR: HR's internal ticket does not exist for them.
    assert "was not found" in said(command(slack, "show 1", user_id=AGENT))
    assert "#1" not in said(command(slack, "list all", user_id=AGENT))
    assert "#2" in said(command(slack, "list all", user_id=AGENT))
    assert "My payslip" in said(command(slack, "show 1", user_id=ADMIN))  # admins: every queue
    # HR's agent works HR's card; IT's agent clicking it (a forged click) changes nothing.
    card = _card_in(slack, HR_DESK)
    slack.send.block_actions([{"action_id": ActionId.STATUS, **static("in_progress")}],
                             user_id=AGENT, channel_id=HR_DESK, message=card)  # fmt: skip
    slack.settle()
    assert ticket(slack, 1).status.value == "open"
    slack.send.block_actions([{"action_id": ActionId.STATUS, **static("in_progress")}],
                             user_id=AGENT_2, channel_id=HR_DESK, message=card)  # fmt: skip
    slack.settle()
    assert ticket(slack, 1).status.value == "in_progress"


def test_deadlines_and_warnings_follow_the_queue(desks):
    slack = desks
    _raise(slack, "VPN drops", "it", priority="urgent")
    _raise(slack, "Leave balance", "hr", priority="urgent")
    it, hr = ticket(slack, 1), ticket(slack, 2)
    assert it.due_at - it.created_at == timedelta(hours=2)  # IT's own urgent hours
    assert hr.due_at - hr.created_at == timedelta(hours=4)  # the top level's
    from ticketbot.jobs.sla_alerts import route

    assert route(slack.runtime.config, it) == "C0ITALERT"
    assert route(slack.runtime.config, hr) == "C0SLAALERT"


def test_moving_a_ticket_to_another_queue(desks):
    slack = desks
    _raise(slack, "Laptop fan loud", "hr", priority="urgent")  # the wrong queue
    old = _card_in(slack, HR_DESK)
    edit = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.EDIT, "block_id": ticket_block_id(1), "value": "1"}],
        user_id=AGENT_2, channel_id=HR_DESK, message=old))  # fmt: skip
    assert edit["callback_id"] == CallbackId.EDIT_MODAL
    assert _options(edit, InputId.QUEUE) == ["it", "hr"]
    answer = slack.send.view_submission(
        edit, {InputId.QUEUE: {InputId.QUEUE: static("it")}}, user_id=AGENT_2
    )
    assert answer.status_code == 200 and answer.text in ("", "null")
    slack.settle()
    moved = ticket(slack)
    assert moved.queue == "it" and moved.card_channel_id == IT_DESK
    assert moved.due_at - moved.sla_started_at == timedelta(hours=2)  # IT's rules now
    assert ("queue", "hr", "it", AGENT_2) in changes(slack)
    assert "moved to the IT queue" in said(slack.fake.message(HR_DESK, old["ts"]))
    assert "Laptop fan loud" in said(_card_in(slack, IT_DESK))
    # It stays internal (it came from a private queue): IT's agent now works it.
    assert moved.visibility is Visibility.INTERNAL
    assert "Laptop fan loud" in said(command(slack, "show 1", user_id=AGENT))


def test_only_the_queues_agents_move_its_tickets(desks):
    slack = desks
    _raise(slack, "Laptop fan loud", "it")
    old = _card_in(slack, IT_DESK)
    edit = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.EDIT, "block_id": ticket_block_id(1), "value": "1"}],
        user_id=REQUESTER, channel_id=IT_DESK, message=old))  # fmt: skip
    assert InputId.QUEUE not in [b.get("block_id") for b in edit["blocks"]]  # not offered
    payload = slack.send.build.view_submission(edit, {}, user_id=REQUESTER)
    payload["view"]["state"]["values"][InputId.QUEUE] = {
        InputId.QUEUE: {"type": "static_select", "selected_option": {"value": "hr"}}
    }
    refused = slack.send.interaction(payload)
    assert refused.json()["response_action"] == "errors"
    assert ticket(slack).queue == "it"
