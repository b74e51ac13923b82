"""Request channels: people post in #it-help and their messages become tickets of its queue,
end to end as Slack sends the events: what must not become a ticket, a second message that
joins the first, edits and deletions of the original, `capture: ask` and `emoji`, files, and
people of another organisation in a channel shared with Slack Connect."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.conversation import posts, said, say, written
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import TEAM_ID
from tests.support.slack_requests import JSON, slack_json
from tests.support.steps import ADMIN, AGENT, OTHER, REQUESTER, changes, ticket
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId
from ticketbot.store.models import Comment, Ticket
from ticketbot.vocabulary import Source, Status

IT_HELP, IT_DESK = "C0ITHELP01", "C0ITDESK01"
FAC_HELP, FAC_DESK = "C0FACHELP1", "C0FACDESK1"
LEGAL_HELP, LEGAL_DESK = "C0LEGHELP1", "C0LEGDESK1"
T0 = 1_700_000_000  # message timestamps count from here, in seconds
EXTERNAL, EXTERNAL_TEAM = "U0EXTERN01", "T0OTHER001"


@pytest.fixture
def desks(database, fake_slack, clock):
    config = TicketbotConfig.model_validate(
        {
            "admins": [ADMIN],
            "queues": [
                {"name": "IT", "request_channels": [IT_HELP], "triage_channel": IT_DESK,
                 "agents": [AGENT, EXTERNAL]},
                {"name": "Facilities", "request_channels": [FAC_HELP],
                 "triage_channel": FAC_DESK, "agents": [AGENT], "capture": "ask"},
                {"name": "Legal", "request_channels": [LEGAL_HELP],
                 "triage_channel": LEGAL_DESK, "agents": [AGENT], "capture": "emoji"},
            ],
        }
    )  # fmt: skip
    yield from start_scenario(database, fake_slack, clock, config)


def _ts(seconds: float) -> str:
    return f"{T0 + seconds:.6f}"


def _post(slack, text: str, at: float, *, user: str = REQUESTER, channel: str = IT_HELP, **extra):
    event = written(channel, user, text, _ts(at), channel_type="channel", **extra)
    response = say(slack, event)
    assert response.status_code == 200
    slack.settle()
    return event


def _tickets(slack) -> list[Ticket]:
    with slack.database.transaction() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def _comments(slack, number: int = 1) -> list[Comment]:
    with slack.database.transaction() as session:
        found = session.scalar(select(Ticket).where(Ticket.number == number))
        query = select(Comment).where(Comment.ticket_id == found.id).order_by(Comment.id)
        return list(session.scalars(query))


def _card(slack, channel: str) -> dict:
    [card] = [m for (c, _ts), m in slack.fake.messages.items()
              if c == channel and (m.get("metadata") or {}).get("event_type") == "ticketbot_card"]
    return card  # fmt: skip


def test_a_message_in_a_request_channel_becomes_a_ticket_of_its_queue(desks):
    slack = desks
    _post(slack, "VPN drops every hour\nSince Monday, on the office wifi only.", 10)

    [raised] = _tickets(slack)
    assert (raised.title, raised.queue, raised.source) == ("VPN drops every hour", "it",
                                                           Source.REQUEST_CHANNEL)  # fmt: skip
    assert raised.description == "VPN drops every hour\nSince Monday, on the office wifi only."
    assert (raised.origin_channel_id, raised.origin_ts) == (IT_HELP, _ts(10))
    assert raised.requester_id == REQUESTER and raised.workspace_id == TEAM_ID
    # The requester's status message, in the thread of their message, for the channel to see.
    [status] = posts(slack, IT_HELP, thread_ts=_ts(10))
    assert "#1" in said(status) and "VPN drops every hour" in said(status)
    # The card, in the queue's triage channel.
    assert "VPN drops every hour" in said(_card(slack, IT_DESK))
    assert [f for f, *_ in changes(slack)].count("link") == 1  # the origin is linked

    # A reply in that thread is the conversation, not another ticket.
    reply = written(IT_HELP, REQUESTER, "It dropped again just now", _ts(400),
                    thread_ts=_ts(10), channel_type="channel")  # fmt: skip
    assert say(slack, reply).status_code == 200
    slack.settle()
    assert len(_tickets(slack)) == 1
    assert [c.text for c in _comments(slack)] == ["It dropped again just now"]


def test_a_message_redelivered_by_slack_raises_one_ticket(desks):
    slack = desks
    event = written(IT_HELP, REQUESTER, "Printer jammed", _ts(5), channel_type="channel")
    assert say(slack, event, event_id="Ev0CAPTURE1").status_code == 200
    assert say(slack, event, event_id="Ev0CAPTURE1", retry_num=1).status_code == 200
    slack.settle()
    assert len(_tickets(slack)) == 1
    assert len(posts(slack, IT_HELP, thread_ts=_ts(5))) == 1


def test_messages_that_are_not_requests_raise_nothing(desks):
    slack = desks
    _post(slack, "thanks!", 1)
    _post(slack, "Merci beaucoup :pray:", 2)
    _post(slack, "+1", 3)
    _post(slack, ":pray: :raised_hands:", 4)
    _post(slack, "ok 👍", 5)
    _post(slack, ":loudspeaker: The VPN is down for maintenance tonight", 6)
    _post(slack, "Looking into the VPN now", 7, user=AGENT)  # the queue's own agent
    _post(slack, "<@U0REQ0001> has joined the channel", 8, subtype="channel_join")
    _post(slack, "Deploy finished", 9, user=None, bot_id="B0OTHERBOT", subtype="bot_message")
    _post(slack, "Posted by another app", 10, bot_id="B0OTHERBOT", app_id="A0OTHERAPP")
    assert _tickets(slack) == []
    assert posts(slack, IT_HELP) == []

    _post(slack, "My laptop will not boot", 11, user=OTHER)
    assert [t.title for t in _tickets(slack)] == ["My laptop will not boot"]


def test_a_second_message_soon_after_joins_the_first_ticket(desks):
    slack = desks
    _post(slack, "Outlook keeps asking for my password", 0)
    _post(slack, "Also on my phone", 120)  # two minutes later: the same request
    [raised] = _tickets(slack)
    [joined] = _comments(slack)
    assert (joined.text, joined.author_id, joined.internal) == ("Also on my phone", REQUESTER,
                                                                False)  # fmt: skip
    # The agents read it in the card's thread; the author is told where it went.
    card = _card(slack, IT_DESK)
    assert any("Also on my phone" in said(p) for p in posts(slack, IT_DESK, thread_ts=card["ts"]))
    [told] = [c for c in slack.fake.calls("chat.postEphemeral") if c.args["user"] == REQUESTER]
    assert "#1" in told.args["text"] and told.args["channel"] == IT_HELP

    _post(slack, "And the calendar too", 120 + 240)  # four minutes after the last one
    assert len(_tickets(slack)) == 1 and len(_comments(slack)) == 2
    _post(slack, "Someone else's problem", 400, user=OTHER)
    _post(slack, "The shared drive is gone", 360 + 301 + 300)  # over five minutes later
    assert [t.title for t in _tickets(slack)] == [
        "Outlook keeps asking for my password", "Someone else's problem",
        "The shared drive is gone",
    ]  # fmt: skip
    assert raised.number == 1


def test_a_message_after_the_ticket_closed_raises_a_new_one(desks):
    slack = desks
    _post(slack, "Badge does not open the door", 0)
    with slack.database.transaction() as session:
        session.scalar(select(Ticket)).status = Status.CLOSED
    _post(slack, "Still not opening", 60)
    assert [t.title for t in _tickets(slack)] == ["Badge does not open the door",
                                                  "Still not opening"]  # fmt: skip


def test_files_shared_with_the_message_are_linked(desks):
    slack = desks
    files = [{"id": "F0SHOT0001", "name": "error.png", "title": "error.png",
              "permalink": "https://acme.slack.com/files/U0REQ0001/F0SHOT0001/error.png"},
             {"id": "F0GONE0001", "mode": "tombstone"}]  # fmt: skip
    _post(slack, "Excel crashes on open", 1, subtype="file_share", files=files)
    [raised] = _tickets(slack)
    assert raised.description == (
        "Excel crashes on open\n\nFiles:\n"
        "- error.png: https://acme.slack.com/files/U0REQ0001/F0SHOT0001/error.png"
    )


def test_an_edit_of_the_original_follows_until_someone_works_the_ticket(desks):
    slack = desks
    original = _post(slack, "Wifi slow", 1)
    edit = {"type": "message", "subtype": "message_changed", "hidden": True,
            "channel": IT_HELP, "channel_type": "channel", "ts": _ts(30),
            "message": {**{k: v for k, v in original.items() if k != "channel"},
                        "text": "Wifi slow on floor 3", "edited": {"user": REQUESTER,
                                                                  "ts": _ts(30)}},
            "previous_message": original}  # fmt: skip
    assert slack.send.event(edit).status_code == 200
    slack.settle()
    assert ticket(slack).description == "Wifi slow on floor 3"
    assert ("description", "Wifi slow", "Wifi slow on floor 3", REQUESTER) in changes(slack)

    # A reply under it changes the message (its reply count), not its text: nothing to write.
    lines = len(changes(slack))
    replied = {**edit, "message": {**edit["message"], "thread_ts": _ts(1), "reply_count": 1}}
    assert slack.send.event(replied).status_code == 200
    slack.settle()
    assert len(changes(slack)) == lines

    card = _card(slack, IT_DESK)
    slack.send.block_actions([{"action_id": ActionId.STATUS, "selected_option": {
        "value": "in_progress"}}], user_id=AGENT, channel_id=IT_DESK, message=card)  # fmt: skip
    slack.settle()
    assert ticket(slack).status is Status.IN_PROGRESS
    later = {**edit, "message": {**edit["message"], "text": "Never mind the floor"}}
    assert slack.send.event(later).status_code == 200
    slack.settle()
    assert ticket(slack).description == "Wifi slow on floor 3"  # worked: the ticket keeps it


def test_a_deleted_original_leaves_the_ticket_and_says_so(desks):
    slack = desks
    original = _post(slack, "Monitor flickers", 1)
    gone = {"type": "message", "subtype": "message_deleted", "hidden": True,
            "channel": IT_HELP, "channel_type": "channel", "ts": _ts(50),
            "deleted_ts": original["ts"], "previous_message": original}  # fmt: skip
    assert slack.send.event(gone).status_code == 200
    slack.settle()
    assert ticket(slack).title == "Monitor flickers"
    assert ("origin", None, "deleted", REQUESTER) in changes(slack)
    history = slack.send.block_actions([{"action_id": ActionId.HISTORY}], user_id=AGENT,
                                       channel_id=IT_DESK, message=_card(slack, IT_DESK))
    assert history.status_code == 200
    slack.settle()
    assert "was deleted in Slack" in said(slack.last_view())


def test_ask_mode_lets_the_author_choose(desks):
    slack = desks
    event = _post(slack, "The meeting room 2B heating is broken", 1, channel=FAC_HELP)
    assert _tickets(slack) == []
    [question] = slack.fake.calls("chat.postEphemeral")
    assert (question.args["channel"], question.args["user"]) == (FAC_HELP, REQUESTER)
    assert "Facilities" in question.args["text"]
    # Slack sending the event again does not ask again.
    say(slack, event, event_id="Ev0ASKED001")
    say(slack, event, event_id="Ev0ASKED001", retry_num=1)
    slack.settle()
    assert len(slack.fake.calls("chat.postEphemeral")) == 2

    raise_it = {"action_id": ActionId.CAPTURE_RAISE, "block_id": "capture", "value": event["ts"]}
    assert slack.send.block_actions([raise_it], channel_id=FAC_HELP).status_code == 200
    slack.settle()
    [raised] = _tickets(slack)
    assert (raised.title, raised.queue, raised.source) == (
        "The meeting room 2B heating is broken", "facilities", Source.REQUEST_CHANNEL)
    assert "heating" in said(_card(slack, FAC_DESK))
    assert len(posts(slack, FAC_HELP, thread_ts=event["ts"])) == 1  # the status message
    [answer] = [c for c in slack.fake.calls("response_url") if c.args.get("replace_original")]
    assert "#1" in answer.args["text"]
    # A second click raises nothing more.
    assert slack.send.block_actions([raise_it], channel_id=FAC_HELP).status_code == 200
    slack.settle()
    assert len(_tickets(slack)) == 1

    other = _post(slack, "Just saying hi to the team", 2, channel=FAC_HELP, user=OTHER)
    dismiss = {"action_id": ActionId.CAPTURE_DISMISS, "block_id": "capture", "value": other["ts"]}
    slack.send.block_actions([dismiss], channel_id=FAC_HELP, user_id=OTHER)
    slack.settle()
    assert len(_tickets(slack)) == 1
    assert any(c.args.get("delete_original") for c in slack.fake.calls("response_url"))


def test_emoji_mode_raises_only_from_the_reaction(desks):
    slack = desks
    message = _post(slack, "Contract review for ACME", 1, channel=LEGAL_HELP)
    assert _tickets(slack) == [] and slack.fake.calls("chat.postEphemeral") == []
    reaction = {"type": "reaction_added", "user": OTHER, "reaction": "ticket",
                "item_user": REQUESTER,
                "item": {"type": "message", "channel": LEGAL_HELP, "ts": message["ts"]}}
    assert slack.send.event(reaction).status_code == 200
    slack.settle()
    [raised] = _tickets(slack)
    assert (raised.queue, raised.source) == ("legal", Source.REACTION)
    assert "Contract review" in said(_card(slack, LEGAL_DESK))


def _shared_channel_event(slack, event: dict) -> None:
    """Delivered as Slack delivers an event of a channel shared with another organisation:
    the envelope's team is the sender's, the installing workspace is in `authorizations`."""
    envelope = slack.send.build.event(event)
    envelope.update(team_id=EXTERNAL_TEAM, is_ext_shared_channel=True)
    assert envelope["authorizations"][0]["team_id"] == TEAM_ID
    assert slack.send.post(slack_json(envelope).encode(), JSON).status_code == 200
    slack.settle()


def _external(text: str, at: float, **extra) -> dict:
    return written(IT_HELP, EXTERNAL, text, _ts(at), channel_type="channel",
                   team=EXTERNAL_TEAM, user_team=EXTERNAL_TEAM, source_team=EXTERNAL_TEAM,
                   user_profile={"real_name": "Erin External", "display_name": "erin",
                                 "team": EXTERNAL_TEAM, "name": "erin"}, **extra)  # fmt: skip


def test_people_of_another_organisation_are_requesters_of_the_installing_workspace(desks):
    slack = desks
    slack.fake.users[EXTERNAL] = None  # users.info cannot see them
    first = _external("Our invoices portal returns 500", 1)
    slack.fake.messages[(IT_HELP, first["ts"])] = {k: v for k, v in first.items()
                                                   if k != "channel"}  # fmt: skip
    _shared_channel_event(slack, first)
    # Listed among IT's agents, but of another organisation: a requester, so captured.
    [raised] = _tickets(slack)
    assert (raised.workspace_id, raised.requester_id) == (TEAM_ID, EXTERNAL)
    _shared_channel_event(slack, _external("Since this morning", 30))
    card = _card(slack, IT_DESK)
    [relayed] = [p for p in posts(slack, IT_DESK, thread_ts=card["ts"])
                 if "Since this morning" in said(p)]  # fmt: skip
    assert "Erin External" in said(relayed)  # named from the event's user_profile

    # Their reaction is about the installing workspace's ticket too.
    note = written(IT_HELP, REQUESTER, "Same for us", _ts(40), channel_type="channel")
    slack.fake.messages[(IT_HELP, note["ts"])] = {k: v for k, v in note.items() if k != "channel"}
    _shared_channel_event(slack, {"type": "reaction_added", "user": EXTERNAL,
                                  "reaction": "ticket", "item_user": REQUESTER,
                                  "user_team": EXTERNAL_TEAM,
                                  "item": {"type": "message", "channel": IT_HELP,
                                           "ts": note["ts"]}})  # fmt: skip
    with slack.database.transaction() as session:
        workspaces = session.execute(select(Ticket.workspace_id, func.count()).group_by(
            Ticket.workspace_id)).all()  # fmt: skip
    assert [tuple(w) for w in workspaces] == [(TEAM_ID, 2)]
