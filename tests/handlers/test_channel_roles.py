"""Channel roles on invite, as Slack drives them: the bot invited to a channel asks its
inviter, privately there, what the channel is for; the choice is a settings version by them
with its effect at once (a message in a new request channel is a ticket, cards go to a new
triage channel, alerts to the alerts channel); a non-admin is told who can choose; a public
channel is refused as a private queue's triage channel, with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.conversation import said, say, written
from tests.support.slack_payloads import BOT_USER_ID, TEAM_ID
from tests.support.slack_requests import checkboxes, conversations, plain
from tests.support.steps import ADMIN, AGENT, REQUESTER, opened
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId
from ticketbot.runtime import acting_for
from ticketbot.services import settings as stored
from ticketbot.store.models import Ticket
from ticketbot.views.settings import F

IT_HELP, IT_DESK, HR_DESK = "C0ITHELP01", "C0ITDESK01", "C0HRDESK01"
NEW = "C0NEWCHAN1"


@pytest.fixture
def config() -> TicketbotConfig:
    return TicketbotConfig.model_validate({
        "admins": [ADMIN],
        "queues": [
            {"name": "IT", "request_channels": [IT_HELP], "triage_channel": IT_DESK,
             "agents": [AGENT]},
            {"name": "HR", "triage_channel": HR_DESK, "private": True},
        ],
    })  # fmt: skip


def _invited(slack, channel: str = NEW, *, inviter: str = ADMIN, user: str = BOT_USER_ID):
    """The bot (or `user`) joins `channel` on `inviter`'s invitation; what the bot asked."""
    before = len(slack.fake.calls("chat.postEphemeral"))
    event = {"type": "member_joined_channel", "user": user, "channel": channel,
             "channel_type": "C", "team": TEAM_ID, "inviter": inviter}  # fmt: skip
    assert slack.send.event(event).status_code == 200
    slack.settle()
    asked = slack.fake.calls("chat.postEphemeral")[before:]
    return asked[0].args if asked else None


def _options(question: dict) -> dict[str, dict]:
    [choice] = question["blocks"][-1]["elements"]
    assert choice["action_id"] == ActionId.CHANNEL_ROLE
    return {o["value"]: o for group in choice["option_groups"] for o in group["options"]}


def _choose(slack, question: dict, value: str, *, channel: str = NEW, user: str = ADMIN) -> str:
    """Pick `value` in the question (an ephemeral message); what replaced it."""
    before = len(slack.fake.calls("response_url"))
    action = {"type": "static_select", "action_id": ActionId.CHANNEL_ROLE,
              "block_id": "channel_role", "selected_option": _options(question)[value]}
    assert slack.send.block_actions([action], channel_id=channel, user_id=user).status_code == 200
    slack.settle()
    [answer] = slack.fake.calls("response_url")[before:]
    assert answer.args["replace_original"] is True
    return said(answer.args)


def _document(slack) -> dict | None:
    with slack.database.transaction() as session:
        row = stored.latest(session=session, workspace_id=TEAM_ID)
        return (row.version, row.changed_by, row.document) if row else None


def _raise_in(slack, channel: str, text: str, ts: str) -> Ticket:
    event = written(channel, REQUESTER, text, ts, channel_type="channel")
    assert say(slack, event).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        return session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()


def test_the_inviter_is_asked_what_the_channel_is_for(slack):
    question = _invited(slack)
    assert (question["channel"], question["user"]) == (NEW, ADMIN)
    assert f"Thanks for inviting me to <#{NEW}>" in said(question)
    assert {v: o["text"]["text"] for v, o in _options(question).items()} == {
        "request:it": "Request channel of IT", "request:hr": "Request channel of HR",
        "triage:it": "Triage channel of IT", "triage:hr": "Triage channel of HR",
        "alert": "Deadline alerts channel", "none": "Nothing: just a member"}  # fmt: skip
    # Someone else joining, or the bot joining on its own, asks nothing.
    assert _invited(slack, user=AGENT) is None
    assert _invited(slack, inviter="") is None


def test_a_request_channel_chosen_takes_messages_as_tickets_at_once(slack):
    answer = _choose(slack, _invited(slack), "request:it")
    assert f"<#{NEW}> is now a request channel of IT" in answer
    version, who, document = _document(slack)
    assert (version, who) == (1, ADMIN)
    assert document["queues"][0]["request_channels"] == [IT_HELP, NEW]
    raised = _raise_in(slack, NEW, "The VPN drops every hour", "1700000500.000100")
    assert (raised.queue, raised.card_channel_id, raised.title) == (
        "it", IT_DESK, "The VPN drops every hour")

    # Made HR's instead, it feeds HR alone.
    assert "is now a request channel of HR" in _choose(slack, _invited(slack), "request:hr")
    _version, _who, document = _document(slack)
    assert document["queues"][0]["request_channels"] == [IT_HELP]
    assert document["queues"][1]["request_channels"] == [NEW]


def test_a_triage_channel_chosen_gets_the_queues_cards(slack):
    answer = _choose(slack, _invited(slack), "triage:it")
    assert f"<#{NEW}> is now the triage channel of IT" in answer
    _version, _who, document = _document(slack)
    assert document["queues"][0]["triage_channel"] == NEW
    raised = _raise_in(slack, IT_HELP, "Printer on floor 3 is jammed", "1700000600.000100")
    assert (raised.queue, raised.card_channel_id) == ("it", NEW)
    assert "Printer on floor 3" in said(slack.card(raised.number))


def test_the_alerts_channel_chosen_and_nothing_chosen(slack):
    assert f"<#{NEW}> now gets the deadline alerts" in _choose(slack, _invited(slack), "alert")
    with acting_for(TEAM_ID):
        assert slack.runtime.config.sla.alert_channel == NEW
    assert _document(slack)[2]["sla"] == {"alert_channel": NEW}

    answer = _choose(slack, _invited(slack, "C0RANDOM01"), "none", channel="C0RANDOM01")
    assert "<#C0RANDOM01> has no role in ticketbot" in answer
    assert _document(slack)[0] == 1  # nothing stored


def test_a_public_channel_is_refused_as_a_private_queues_triage(slack):
    answer = _choose(slack, _invited(slack), "triage:hr")
    assert "Nothing was changed" in answer and f"<#{NEW}> is a public channel" in answer
    assert "HR is a private queue" in answer
    assert _document(slack) is None
    [asked] = slack.fake.calls("conversations.info")
    assert asked.args["channel"] == NEW

    slack.fake.channels["C0HRPRIV01"] = {"is_private": True}
    answer = _choose(slack, _invited(slack, "C0HRPRIV01"), "triage:hr", channel="C0HRPRIV01")
    assert "<#C0HRPRIV01> is now the triage channel of HR" in answer
    with acting_for(TEAM_ID):
        assert slack.runtime.config.queue("hr").triage_channel == "C0HRPRIV01"


def test_the_queue_form_refuses_a_public_triage_channel_for_a_private_queue_too(slack):
    event = {"type": "app_home_opened", "user": ADMIN, "channel": "D" + ADMIN[1:], "tab": "home"}
    home = opened(slack, lambda: slack.send.event(event), method="views.publish")
    queues = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.SETTINGS_QUEUES}], view=home, user_id=ADMIN))
    form = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.SETTINGS_EDIT_QUEUE, "block_id": "settings_queue:1"}],
        view=queues, user_id=ADMIN), method="views.push")  # fmt: skip
    values = {F.NAME: {F.NAME: plain("HR")},
              F.TRIAGE_CHANNEL: {F.TRIAGE_CHANNEL: conversations(NEW)},
              F.PRIVATE: {F.PRIVATE: checkboxes(["private"])}}
    refused = slack.send.view_submission(form, values, user_id=ADMIN).json()
    assert refused["response_action"] == "errors"
    assert f"<#{NEW}> is a public channel, and HR is a private queue" in (
        refused["errors"][F.TRIAGE_CHANNEL])
    assert _document(slack) is None
    slack.fake.channels[NEW] = {"is_private": True}
    assert slack.send.view_submission(form, values, user_id=ADMIN).status_code == 200
    slack.settle()
    assert _document(slack)[2]["queues"][1]["triage_channel"] == NEW


def test_check_configs_problems_are_said_and_nothing_is_stored(slack):
    answer = _choose(slack, _invited(slack, IT_DESK), "request:it", channel=IT_DESK)
    assert "Nothing was changed" in answer
    assert "IT: C0ITDESK01 cannot be both its request and its triage channel" in answer
    assert _document(slack) is None


def test_a_non_admin_inviter_is_told_who_can_choose(slack):
    told = _invited(slack, inviter=REQUESTER)
    assert told["user"] == REQUESTER
    assert "Only admins choose what a channel is for" in said(told)
    assert f"ask <@{ADMIN}>" in said(told)
    assert all(b["type"] != "actions" for b in told["blocks"])
    # A choice sent by them anyway (an admin's question, forged) changes nothing.
    answer = _choose(slack, _invited(slack), "request:it", user=REQUESTER)
    assert "Only admins choose what a channel is for" in answer
    assert _document(slack) is None
