"""The first run, as a workspace meets ticketbot with no ticketbot.yml: an admin's App Home
is a short setup (the first queue, its triage channel, agents and request channel), everyone
else is told who can set it up, and `/ticket` says the same instead of failing, until the
setup is saved; then tickets flow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.conversation import said, say, written
from tests.support.slack_payloads import BOT_USER_ID, TEAM_ID
from tests.support.slack_requests import conversations, multi_conversations, multi_users, plain
from tests.support.steps import AGENT, REQUESTER, opened
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, CallbackId
from ticketbot.runtime import acting_for
from ticketbot.services import settings as stored
from ticketbot.store.models import Ticket
from ticketbot.views.settings import F

OWNER = "U0OWNER001"  # the workspace's owner: an admin by Slack, not by any file
DESK, HELP = "C0ITDESK01", "C0ITHELP01"
SETUP = {
    F.NAME: {F.NAME: plain("IT")},
    F.TRIAGE_CHANNEL: {F.TRIAGE_CHANNEL: conversations(DESK)},
    F.AGENTS: {F.AGENTS: multi_users([AGENT])},
    F.REQUEST_CHANNELS: {F.REQUEST_CHANNELS: multi_conversations([HELP])},
}


@pytest.fixture
def config() -> TicketbotConfig:
    return TicketbotConfig()  # no ticketbot.yml: everything is set up from Slack


@pytest.fixture(autouse=True)
def _owner(fake_slack):
    fake_slack.users[OWNER] = {"is_owner": True}


def _home(slack, user_id: str) -> dict:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:],
             "tab": "home"}  # fmt: skip
    return opened(slack, lambda: slack.send.event(event), method="views.publish")


def _setup_form(slack) -> dict:
    home = _home(slack, OWNER)
    return opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.SETTINGS_SETUP}], view=home, user_id=OWNER))  # fmt: skip


def test_before_setup_ticket_says_who_can_set_it_up(slack):
    for text in ("", "new Printer jammed", "list", "show 1", "search printer", "report"):
        answer = slack.send.command(text, user_id=REQUESTER)
        assert answer.status_code == 200
        body = answer.json()
        assert body["response_type"] == "ephemeral"
        assert "ticketbot is not set up yet" in said(body), text
        assert "App Home by a workspace admin." in said(body)
    slack.settle()
    assert slack.fake.calls("views.open") == []  # no create form opened on nothing
    # Help still helps.
    assert slack.send.command("help", user_id=REQUESTER).status_code == 200
    slack.settle()
    [helped] = slack.fake.calls("response_url")
    assert "/ticket" in said(helped.args) and "not set up" not in said(helped.args)


def test_the_admins_named_in_the_settings_are_who_can(slack):
    with slack.database.transaction() as session:
        stored.save(session=session, workspace_id=TEAM_ID, document={"admins": ["U0MGR0001",
                    "S0HELPADM1"]}, file_config=slack.runtime.file_config, actor=OWNER,
                    now=slack.clock.now())  # fmt: skip
    body = slack.send.command("list", user_id=REQUESTER).json()
    assert "App Home by <@U0MGR0001>, <!subteam^S0HELPADM1>." in said(body)


def test_before_setup_the_shortcuts_open_no_form_and_say_who_can(slack):
    assert slack.send.shortcut(CallbackId.SHORTCUT_NEW, user_id=REQUESTER).status_code == 200
    slack.settle()
    assert slack.fake.calls("views.open") == []
    [told] = slack.fake.calls("chat.postMessage")
    assert told.args["channel"] == REQUESTER
    assert "ticketbot is not set up yet" in said(told.args)


def test_before_setup_a_ticket_reaction_raises_nothing_and_says_who_can(slack):
    slack.fake.messages[(HELP, "1700000000.000100")] = {
        "type": "message", "user": REQUESTER, "text": "Printer jammed", "ts": "1700000000.000100"}
    reaction = {"type": "reaction_added", "user": REQUESTER, "reaction": "ticket",
                "item_user": REQUESTER, "item": {"type": "message", "channel": HELP,
                                                 "ts": "1700000000.000100"}}  # fmt: skip
    assert slack.send.event(reaction, event_id="Ev0REACT001").status_code == 200
    slack.settle()
    [told] = slack.fake.calls("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"]) == (HELP, REQUESTER)
    assert "ticketbot is not set up yet" in said(told.args)
    with slack.database.transaction() as session:
        assert session.scalars(select(Ticket)).all() == []
    assert slack.fake.calls("chat.postMessage") == []  # no card, no status message
    assert slack.fake.calls("conversations.history") == []  # the message was not even read


def test_before_setup_the_workflow_step_fails_and_says_why(slack):
    event = {"type": "function_executed", "function_execution_id": "Fx0EXEC0001",
             "function": {"id": "Fn0RAISE001", "callback_id": "raise_ticket",
                          "title": "Raise a ticket", "type": "app", "app_id": "A0TICKETBOT"},
             "inputs": {"title": "Laptop for Dana", "requester": REQUESTER},
             "workflow_execution_id": "Wx0WORKFLOW1", "event_ts": "1700000100.000100",
             "bot_access_token": "xwfp-1-step-token"}  # fmt: skip
    assert slack.send.event(event, event_id="Ev0STEP0001").status_code == 200
    slack.settle()
    [failed] = slack.fake.calls("functions.completeError")
    assert failed.args["function_execution_id"] == "Fx0EXEC0001"
    assert "ticketbot is not set up yet" in failed.args["error"]
    assert slack.fake.calls("functions.completeSuccess") == []
    with slack.database.transaction() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_a_non_admin_is_told_it_is_not_set_up(slack):
    home = _home(slack, REQUESTER)
    assert "ticketbot is not set up yet" in said(home)
    assert "New ticket" not in said(home) and "Set up" not in said(home)


def test_an_admin_sets_it_up_from_app_home_and_tickets_flow(slack):
    home = _home(slack, OWNER)
    assert "Set up ticketbot" in said(home) and "Settings history" in said(home)
    assert "My tickets" not in said(home)  # the setup instead of the dashboard's top
    form = _setup_form(slack)
    assert [b.get("block_id") for b in form["blocks"] if b["type"] == "input"] == [
        F.NAME, F.TRIAGE_CHANNEL, F.AGENTS, F.REQUEST_CHANNELS]

    # The triage channel cannot be the request channel: check-config's words, nothing saved.
    same = {**SETUP, F.REQUEST_CHANNELS: {F.REQUEST_CHANNELS: multi_conversations([DESK])}}
    refused = slack.send.view_submission(form, same, user_id=OWNER).json()
    assert refused == {"response_action": "errors", "errors": {F.TRIAGE_CHANNEL:
        "queues: IT: C0ITDESK01 cannot be both its request and its triage channel"}}  # fmt: skip

    assert slack.send.view_submission(form, SETUP, user_id=OWNER).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        row = stored.latest(session=session, workspace_id=TEAM_ID)
        assert (row.version, row.changed_by) == (1, OWNER)
        assert row.document == {"queues": [{"key": "default", "name": "IT", "triage_channel":
                                DESK, "agents": [AGENT], "request_channels": [HELP]}]}  # fmt: skip
    republished = slack.last_view("views.publish")
    assert "My tickets" in said(republished) and "Set up ticketbot" not in said(republished)

    # Set up: a message in the request channel is a ticket whose card goes to triage...
    event = written(HELP, REQUESTER, "My laptop will not boot", "1700000500.000100",
                    channel_type="channel")  # fmt: skip
    assert say(slack, event).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        raised = session.scalar(select(Ticket))
    assert (raised.queue, raised.card_channel_id) == ("default", DESK)
    # ... /ticket works, and App Home is the dashboard, an agent's for the agent picked.
    assert slack.send.command("list", user_id=REQUESTER).text == ""  # answered after the ack
    slack.settle()
    assert "#1" in said(slack.fake.calls("response_url")[-1].args)
    assert "My tickets" in said(_home(slack, REQUESTER))
    assert "Assigned to me" in said(_home(slack, AGENT))
    with acting_for(TEAM_ID):
        assert slack.runtime.config.queue("default").name == "IT"


def test_settings_saved_without_a_triage_channel_leave_it_to_set_up(slack):
    general = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.SETTINGS_GENERAL}], view=_home(slack, OWNER), user_id=OWNER))
    assert slack.send.view_submission(general, {}, user_id=OWNER).status_code == 200
    slack.settle()
    assert "Set up ticketbot" in said(_home(slack, OWNER))
    assert "not set up yet" in said(slack.send.command("list", user_id=REQUESTER).json())


def test_only_an_admin_can_save_the_setup(slack):
    form = _setup_form(slack)
    refused = slack.send.view_submission(form, SETUP, user_id=REQUESTER).json()
    assert refused["response_action"] == "errors"
    assert "Only admins change the settings." in str(refused["errors"])
    with slack.database.transaction() as session:
        assert stored.latest(session=session, workspace_id=TEAM_ID) is None


def test_a_ticketbot_yml_without_a_triage_channel_is_set_up_already(slack):
    slack.runtime.file_config = TicketbotConfig.model_validate({"agents": [AGENT]})
    assert slack.send.command("list", user_id=REQUESTER).text == ""  # answered after the ack
    slack.settle()
    assert "not set up" not in said(slack.fake.calls("response_url")[-1].args)


def test_inviting_the_bot_to_a_channel_made_triage_sets_it_up(slack):
    event = {"type": "member_joined_channel", "user": BOT_USER_ID, "channel": DESK,
             "channel_type": "C", "team": TEAM_ID, "inviter": OWNER}  # fmt: skip
    assert slack.send.event(event).status_code == 200
    slack.settle()
    [asked] = slack.fake.calls("chat.postEphemeral")
    assert "ticketbot is not set up yet: make a channel the triage channel first" in said(
        asked.args)
    [choice] = asked.args["blocks"][-1]["elements"]
    triage = next(o for g in choice["option_groups"] for o in g["options"]
                  if o["value"] == "triage:default")  # fmt: skip
    assert triage["text"]["text"] == "Triage channel of Help desk"
    action = {"type": "static_select", "action_id": ActionId.CHANNEL_ROLE,
              "block_id": "channel_role", "selected_option": triage}  # fmt: skip
    assert slack.send.block_actions([action], channel_id=DESK, user_id=OWNER).status_code == 200
    slack.settle()
    assert f"<#{DESK}> is now the triage channel of Help desk" in said(
        slack.fake.calls("response_url")[-1].args)
    assert "Set up ticketbot" not in said(_home(slack, OWNER))
    assert slack.send.command("list", user_id=REQUESTER).text == ""  # set up: answered later
