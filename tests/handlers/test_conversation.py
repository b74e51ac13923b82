"""Both sides of a ticket, end to end: the requester's status message, the agent's replies
reaching them, their answers back on the card, edits and deletions on both sides, internal
notes that stay internal, and retries that relay nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.conversation import (
    DM,
    deleted,
    edited,
    post_count,
    posts,
    reply_to_requester,
    said,
    say,
    status_message,
    written,
)
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import BOT_ID, BOT_USER_ID, plain
from tests.support.steps import (
    AGENT,
    AGENT_2,
    GENERAL,
    OTHER,
    REQUESTER,
    TRIAGE,
    card_action,
    changes,
    command,
    create_ticket,
    opened,
    ticket,
)
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, CallbackId, InputId, ticket_block_id
from ticketbot.store.models import Comment, OutgoingMessage
from ticketbot.vocabulary import Status

MESSAGE_TS = "1699990000.000100"


def _comments(slack) -> list[tuple[str, str, bool]]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(Comment).order_by(Comment.id)).all()
        return [(c.author_id, c.text, c.internal) for c in rows]


def _card_thread(slack, since: int = 0) -> list[dict]:
    card = slack.card(1)
    return posts(slack, TRIAGE, thread_ts=card["ts"], since=since)


def _click(slack, message: dict, action_id: str, *, user_id: str = REQUESTER):
    return slack.send.block_actions(
        [{"action_id": action_id}], user_id=user_id, channel_id=message["channel"],
        message=message,
    )  # fmt: skip


def test_the_requester_follows_their_ticket_on_one_message_in_their_direct_message(slack):
    create_ticket(slack, "VPN drops every hour")
    status = status_message(slack)
    assert status["channel"] == DM
    assert ":ticket: *#1* VPN drops every hour" in said(status)
    assert "Open" in said(status) and "Not assigned yet" in said(status)
    buttons = [e["action_id"] for b in status["blocks"] if b["type"] == "actions"
               for e in b["elements"]]  # fmt: skip
    assert buttons == [ActionId.STATUS_REPLY, ActionId.STATUS_CLOSE, ActionId.STATUS_FOLLOWERS]
    # One message tells them it was raised: no other confirmation, no ephemeral.
    assert [p["ts"] for p in posts(slack, DM)] == [status["ts"]]
    assert slack.fake.calls("chat.postEphemeral") == []

    # Assigning someone else: they hear it with a link to the card; the requester's message
    # shows it, in silence.
    before = post_count(slack)
    card_action(slack, ActionId.ASSIGN, selected_user=AGENT_2)
    slack.settle()
    [notice] = posts(slack, "D" + AGENT_2[1:], since=before)
    assert f"<@{AGENT}>" not in said(notice) and "assigned you *#1*" in said(notice)
    assert any(e.get("url") == ticket(slack).card_permalink
               for b in notice["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert posts(slack, DM, since=before) == []
    assert f"User {AGENT_2}" in said(status_message(slack))


def test_a_reply_to_the_requester_reaches_them_and_their_answer_reaches_the_card(slack):
    create_ticket(slack, "VPN drops every hour")
    card_action(slack, ActionId.ASSIGN, selected_user=AGENT_2, user_id=AGENT)
    status = status_message(slack)
    before = post_count(slack)

    answer = reply_to_requester(slack, "Can you send the VPN log?", waiting=True)
    assert answer.status_code == 200 and answer.text in ("", "null")
    slack.settle()
    [reply] = posts(slack, DM, since=before)
    # In the status message's thread, and shown in the direct message too: Slack notifies.
    assert reply["thread_ts"] == status["ts"] and reply["reply_broadcast"] is True
    assert f"*User {AGENT}*: Can you send the VPN log?" in said(reply)
    assert "Waiting on your reply" in said(reply)
    assert ticket(slack).status is Status.WAITING
    assert _comments(slack) == [(AGENT, "Can you send the VPN log?", False)]
    assert ("reply", None, "Can you send the VPN log?", AGENT) in changes(slack)
    assert ("status", "open", "waiting", AGENT) in changes(slack)
    shown = said(status_message(slack))
    assert "Waiting on reply" in shown and "Can you send the VPN log?" in shown

    # The requester answers in that thread; Slack sends the event twice.
    slack.clock.advance(timedelta(minutes=5))
    before = post_count(slack)
    theirs = written(DM, REQUESTER, "Here it is: *timeout* at 10:02", "1700000300.000100",
                     thread_ts=status["ts"])  # fmt: skip
    say(slack, theirs, event_id="Ev0ANSWER1")
    say(slack, theirs, event_id="Ev0ANSWER1", retry_num=1, retry_reason="http_timeout")
    slack.settle()
    [relayed] = _card_thread(slack, since=before)
    assert f"*User {REQUESTER}*: Here it is: *timeout* at 10:02" in said(relayed)
    assert "original" in said(relayed)  # a link back to their message
    assert _comments(slack)[-1] == (REQUESTER, "Here it is: *timeout* at 10:02", False)
    # Their answer puts the ticket back to work, as the requester, and its clock resumes.
    assert ticket(slack).status is Status.IN_PROGRESS
    assert changes(slack)[-1] == ("status", "waiting", "in_progress", REQUESTER)
    assert ticket(slack).paused_at is None
    # The assignee hears that the requester replied.
    [heard] = posts(slack, "D" + AGENT_2[1:], since=before)
    assert "replied on *#1*" in said(heard) and "Here it is" in said(heard)
    assert posts(slack, DM, since=before) == []  # nothing echoed back to them

    # Their edit follows on the copy; their deletion deletes it and erases the comment.
    slack.send.event(edited(theirs, "Here it is: timeout at 10:02 and 11:02",
                            "1700000310.000100"))  # fmt: skip
    slack.settle()
    copy = slack.fake.message(TRIAGE, relayed["ts"])
    assert "timeout at 10:02 and 11:02" in said(copy)
    assert _comments(slack)[-1][1] == "Here it is: timeout at 10:02 and 11:02"
    slack.send.event(deleted(theirs, "1700000320.000100"))
    slack.settle()
    # Gone from the card's thread, and so is the assignee's notice that quoted it.
    removals = {(c.args["channel"], c.args["ts"]) for c in slack.fake.calls("chat.delete")}
    assert removals == {(TRIAGE, relayed["ts"]), ("D" + AGENT_2[1:], heard["ts"])}
    with pytest.raises(KeyError):
        slack.fake.message(TRIAGE, relayed["ts"])
    assert "timeout" not in str(_comments(slack))
    with slack.database.transaction() as session:  # nor in the copies the bot kept
        kept = session.scalars(select(OutgoingMessage.message)).all()
    assert kept and not any("timeout" in str(message) for message in kept)


def test_an_agents_reply_in_the_card_thread_is_an_internal_note(slack):
    create_ticket(slack, "VPN drops every hour")
    card_ts = slack.card(1)["ts"]
    before = post_count(slack)
    note = written(TRIAGE, AGENT, "Probably the new firewall rule, do not tell them yet",
                   "1700000100.000100", thread_ts=card_ts, channel_type="channel")  # fmt: skip
    slack.send.event(note)
    slack.settle()
    assert _comments(slack) == [(AGENT, note["text"], True)]
    assert posts(slack, DM, since=before) == []
    assert "firewall" not in said(status_message(slack))
    # Its edits stay on the card's side too.
    slack.send.event(edited(note, "Firewall rule 42", "1700000110.000100"))
    slack.settle()
    assert _comments(slack) == [(AGENT, "Firewall rule 42", True)]
    assert posts(slack, DM, since=before) == []
    assert "Firewall" not in said(status_message(slack))
    # The requester's own `/ticket show` and History leave it out; agents see it, marked.
    assert "Firewall" not in said(command(slack, "show 1", user_id=REQUESTER))
    assert ":lock: " in said(command(slack, "show 1", user_id=AGENT))
    for user_id, sees in ((REQUESTER, False), (AGENT, True)):
        history = opened(slack, lambda u=user_id: slack.send.block_actions(
            [{"action_id": ActionId.HISTORY, "block_id": ticket_block_id(1), "value": "1"}],
            user_id=u, channel_id=DM))  # fmt: skip
        assert ("Firewall rule 42" in said(history)) is sees


@pytest.fixture
def relaying(database, fake_slack, clock, config):
    public = TicketbotConfig.model_validate(
        {**config.model_dump(mode="json"), "conversation": {"card_thread_replies": "public"}}
    )
    yield from start_scenario(database, fake_slack, clock, public)


def test_a_team_may_relay_every_card_thread_reply_to_the_requester(relaying):
    slack = relaying
    create_ticket(slack, "VPN drops every hour")
    card_ts, status = slack.card(1)["ts"], status_message(slack)
    before = post_count(slack)
    reply = written(TRIAGE, AGENT, "Restart the client, please", "1700000100.000100",
                    thread_ts=card_ts, channel_type="channel")  # fmt: skip
    slack.send.event(reply)
    slack.send.event(reply)  # another delivery with a new event id: still one comment
    slack.settle()
    assert _comments(slack) == [(AGENT, "Restart the client, please", False)]
    [copy] = posts(slack, DM, thread_ts=status["ts"], since=before)
    assert "Restart the client, please" in said(copy)
    # The bot's own copy comes back as an event: never taken as a reply.
    slack.send.event(written(DM, BOT_USER_ID, copy["text"], copy["ts"], thread_ts=status["ts"],
                             bot_id=BOT_ID))  # fmt: skip
    slack.settle()
    assert len(_comments(slack)) == 1 and _card_thread(slack, since=before) == []


def test_a_ticket_from_a_channel_message_talks_in_that_thread(slack):
    message = {"type": "message", "user": REQUESTER, "text": "Printer on 3rd floor is down",
               "ts": MESSAGE_TS, "team": "T0TEAM001"}  # fmt: skip
    slack.fake.messages[(GENERAL, MESSAGE_TS)] = message
    form = opened(slack, lambda: slack.send.message_action(
        CallbackId.SHORTCUT_CREATE, user_id=REQUESTER, channel_id=GENERAL, message=message))
    slack.send.view_submission(form, {}, user_id=REQUESTER)
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: c.args.get("channel") == GENERAL)
    slack.settle()
    status = status_message(slack)
    assert (status["channel"], status["thread_ts"]) == (GENERAL, MESSAGE_TS)

    before = post_count(slack)
    reply_to_requester(slack, "A technician is on the way")
    slack.settle()
    [reply] = posts(slack, GENERAL, since=before)
    assert reply["thread_ts"] == MESSAGE_TS and "reply_broadcast" not in reply  # the thread
    assert "A technician is on the way" in said(reply)

    # A colleague adds to it in the thread: their words reach the card, in their name.
    before = post_count(slack)
    say(slack, written(GENERAL, OTHER, "Also the one on the 2nd floor",
                             "1700000200.000100", thread_ts=MESSAGE_TS,
                             channel_type="channel"))  # fmt: skip
    slack.settle()
    [relayed] = _card_thread(slack, since=before)
    assert f"*User {OTHER}*: Also the one on the 2nd floor" in said(relayed)
    assert _comments(slack)[-1] == (OTHER, "Also the one on the 2nd floor", False)
    assert ticket(slack).status is Status.OPEN  # a colleague does not answer for the requester


def test_an_internal_ticket_never_talks_in_a_channel(slack):
    message = {"type": "message", "user": REQUESTER, "text": "My payslip is wrong",
               "ts": MESSAGE_TS, "team": "T0TEAM001"}  # fmt: skip
    slack.fake.messages[(GENERAL, MESSAGE_TS)] = message
    form = opened(slack, lambda: slack.send.message_action(
        CallbackId.SHORTCUT_CREATE, user_id=REQUESTER, channel_id=GENERAL, message=message))
    slack.send.view_submission(
        form, {InputId.VISIBILITY: {InputId.VISIBILITY: {"type": "static_select",
               "selected_option": {"value": "internal"}}}}, user_id=REQUESTER)  # fmt: skip
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: c.response["channel"] == DM)
    slack.settle()
    assert status_message(slack)["channel"] == DM
    reply_to_requester(slack, "We are checking your payslip")
    slack.settle()
    assert posts(slack, GENERAL) == []
    in_general = [c.args for c in slack.fake.calls() if c.args.get("channel") == GENERAL]
    assert "payslip" not in str(in_general)


def test_the_requester_closes_and_reopens_from_their_message(slack):
    create_ticket(slack, "VPN drops every hour")
    form = opened(slack, lambda: _click(slack, status_message(slack), ActionId.STATUS_CLOSE))
    assert form["callback_id"] == CallbackId.RESOLVE_MODAL
    slack.send.view_submission(form, {InputId.SOLUTION: {InputId.SOLUTION: plain("")}},
                               user_id=REQUESTER)  # fmt: skip
    slack.settle()
    closed = ticket(slack)
    assert closed.status is Status.CLOSED and closed.solution == "Closed by the requester."
    assert changes(slack)[-1] == ("status", "open", "closed", REQUESTER)
    status = status_message(slack)
    buttons = [e["action_id"] for b in status["blocks"] if b["type"] == "actions"
               for e in b["elements"]]  # fmt: skip
    assert ActionId.STATUS_REOPEN in buttons and ActionId.STATUS_CLOSE not in buttons

    # A reply on the closed ticket is kept, does not reopen it, and offers to.
    before = post_count(slack)
    say(slack, written(DM, REQUESTER, "It is back again", "1700000400.000100",
                             thread_ts=status["ts"]))  # fmt: skip
    slack.settle()
    assert ticket(slack).status is Status.CLOSED
    [offer] = posts(slack, DM, since=before)
    assert "reopen it?" in offer["text"]
    _click(slack, {"channel": DM, **slack.fake.message(DM, offer["ts"])}, ActionId.STATUS_REOPEN)
    slack.settle()
    assert ticket(slack).status is Status.OPEN
    assert changes(slack)[-1] == ("status", "closed", "open", REQUESTER)


def test_bad_replies_are_refused_and_leave_nothing_behind(slack):
    create_ticket(slack, "VPN drops every hour")
    form = opened(slack, lambda: card_action(slack, ActionId.REPLY_TO_REQUESTER))
    refused = slack.send.view_submission(
        form, {InputId.REPLY_TEXT: {InputId.REPLY_TEXT: plain("   ")}}, user_id=AGENT
    )
    assert refused.json() == {"response_action": "errors",
                              "errors": {InputId.REPLY_TEXT: "A reply cannot be empty."}}
    # A requester cannot use the agents' button (a forged click).
    before = post_count(slack)
    card = slack.card(1)
    slack.send.block_actions([{"action_id": ActionId.REPLY_TO_REQUESTER}], user_id=OTHER,
                             channel_id=TRIAGE, message=card)  # fmt: skip
    slack.settle()
    assert _comments(slack) == [] and posts(slack, DM, since=before) == []
