"""Shortcuts, reactions, thread replies and App Home end to end."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from tests.support.slack_payloads import BOT_ID, BOT_USER_ID, external, plain
from tests.support.steps import (
    AGENT,
    AGENT_2,
    GENERAL,
    OTHER,
    REQUESTER,
    TRIAGE,
    block,
    create_ticket,
    opened,
    seed_ticket,
    texts,
    ticket,
    viewer,
)
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.services import tickets
from ticketbot.services.inputs import TicketEdit
from ticketbot.store.models import Comment, ConversationLink, Ticket
from ticketbot.vocabulary import Source, Status

MESSAGE_TS = "1699990000.000100"
PERMALINK = f"https://test.slack.com/archives/{GENERAL}/p1699990000000100"
TEXT = "Laptop will not boot\nIt shows a black screen since <!here> the update"


def _seed_message(slack, text: str = TEXT, *, ts: str = MESSAGE_TS) -> dict:
    message = {"type": "message", "user": REQUESTER, "text": text, "ts": ts, "team": "T0TEAM001"}
    slack.fake.messages[(GENERAL, ts)] = message
    return message


def _thread_replies(slack, channel: str, ts: str, count: int = 1) -> list[dict]:
    calls = slack.fake.wait_for(
        "chat.postMessage",
        count,
        predicate=lambda c: c.args.get("channel") == channel and c.args.get("thread_ts") == ts,
    )
    return [c.args for c in calls]


def _count(slack, model) -> int:
    with slack.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def _submit_create(slack, view: dict, values: dict | None = None, *, user_id=REQUESTER) -> None:
    response = slack.send.view_submission(view, values or {}, user_id=user_id)
    assert response.status_code == 200 and response.text in ("", "null")


def test_create_ticket_shortcut_prefills_and_links_the_message(slack):
    message = _seed_message(slack)
    view = opened(
        slack,
        lambda: slack.send.message_action(
            CallbackId.SHORTCUT_CREATE, user_id=REQUESTER, channel_id=GENERAL, message=message
        ),
    )
    assert view["callback_id"] == CallbackId.CREATE_MODAL
    assert block(view, InputId.TITLE)["element"]["initial_value"] == "Laptop will not boot"
    assert block(view, InputId.DESCRIPTION)["element"]["initial_value"] == TEXT
    assert "The message will be linked to the new ticket." in texts(view["blocks"])

    _submit_create(slack, view)
    # The requester's status message goes in the message's thread, for the channel to see:
    # the ticket and its progress, not the agents' card.
    [reply] = _thread_replies(slack, GENERAL, MESSAGE_TS)
    assert ":ticket: *#1* Laptop will not boot" in texts(reply) and "Open" in texts(reply)
    assert TRIAGE not in str(reply["blocks"])
    raised = ticket(slack)
    assert raised.source is Source.MESSAGE_SHORTCUT
    assert raised.description == TEXT
    assert (raised.origin_channel_id, raised.origin_ts) == (GENERAL, MESSAGE_TS)
    with slack.database.transaction() as session:
        link = session.scalars(select(ConversationLink)).one()
        assert (link.channel_id, link.message_ts, link.permalink) == (
            GENERAL,
            MESSAGE_TS,
            PERMALINK,
        )


def test_link_to_ticket_shortcut_finds_tickets_and_links_the_message(slack):
    seed_ticket(slack, "Printer jammed")
    seed_ticket(slack, "Printer toner low")
    seed_ticket(slack, "VPN down")
    with slack.database.transaction() as session:
        jammed = session.scalars(select(Ticket).where(Ticket.number == 1)).one()
        tickets.change_status(
            session=session,
            ticket=jammed,
            status=Status.CLOSED,
            solution="Roller",
            viewer=viewer(AGENT),
            now=slack.clock.now(),
            policy=slack.runtime.policy,
        )
    message = _seed_message(slack, "The printer on floor 3 again")
    view = opened(
        slack,
        lambda: slack.send.message_action(
            CallbackId.SHORTCUT_LINK, user_id=AGENT, channel_id=GENERAL, message=message
        ),
    )
    assert view["callback_id"] == CallbackId.LINK_MODAL

    def picked(query: str) -> list[tuple[str, str]]:
        response = slack.send.block_suggestion(
            InputId.TICKET_PICKER, InputId.TICKET_PICKER, query, view=view, user_id=AGENT
        )
        return [(o["value"], o["text"]["text"]) for o in response.json()["options"]]

    assert picked("printer") == [("2", "#2 Printer toner low"), ("1", "#1 Printer jammed ✓")]
    assert picked("#3") == [("3", "#3 VPN down")]
    assert picked("3") == [("3", "#3 VPN down")]
    assert [value for value, _ in picked("")] == ["2", "3"]  # open tickets when nothing typed

    response = slack.send.view_submission(
        view,
        {InputId.TICKET_PICKER: {InputId.TICKET_PICKER: external("2", "#2 Printer toner low")}},
        user_id=AGENT,
    )
    assert response.status_code == 200 and response.text in ("", "null")
    [reply] = _thread_replies(slack, GENERAL, MESSAGE_TS)
    assert ":ticket: Linked to ticket *#2*: Printer toner low" in texts(reply)
    with slack.database.transaction() as session:
        link = session.scalars(select(ConversationLink)).one()
    assert link.ticket_id == ticket(slack, 2).id
    assert (link.permalink, link.linked_by) == (PERMALINK, AGENT)


def test_linking_to_a_ticket_that_became_internal_is_refused_privately(slack):
    seed_ticket(slack, "Printer jammed", requester=AGENT_2)
    message = _seed_message(slack)
    view = opened(
        slack,
        lambda: slack.send.message_action(
            CallbackId.SHORTCUT_LINK, user_id=OTHER, channel_id=GENERAL, message=message
        ),
    )
    with slack.database.transaction() as session:  # meanwhile, an agent hides the ticket
        hidden = session.scalars(select(Ticket)).one()
        edit = TicketEdit(visibility="internal")
        tickets.edit_ticket(
            session=session,
            ticket=hidden,
            edit=edit,
            viewer=viewer(AGENT),
            now=slack.clock.now(),
            policy=slack.runtime.policy,
        )
    picked = {InputId.TICKET_PICKER: {InputId.TICKET_PICKER: external("1", "#1 Printer jammed")}}
    response = slack.send.view_submission(view, picked, user_id=OTHER)

    # The link is refused before the form closes: said in the form, and nothing is linked.
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {InputId.TICKET_PICKER: "Ticket #1 was not found."},
    }
    slack.settle()
    assert _count(slack, ConversationLink) == 0
    assert [c for c in slack.fake.calls("chat.postMessage") if c.args["channel"] == OTHER] == []


def test_global_shortcut_opens_the_create_form(slack):
    view = opened(slack, lambda: slack.send.shortcut(CallbackId.SHORTCUT_NEW))
    assert view["callback_id"] == CallbackId.CREATE_MODAL
    assert block(view, InputId.TITLE)["element"].get("initial_value", "") == ""

    _submit_create(slack, view, {InputId.TITLE: {InputId.TITLE: plain("Badge reader broken")}})
    # The requester's status message comes as a direct message: it is the confirmation.
    [dm] = slack.fake.wait_for(
        "chat.postMessage", predicate=lambda c: c.args.get("channel") == REQUESTER
    )
    assert ":ticket: *#1* Badge reader broken" in texts(dm.args)
    assert ticket(slack).source is Source.GLOBAL_SHORTCUT


def _reaction(user: str, *, reaction: str = "ticket") -> dict:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": REQUESTER,
        "item": {"type": "message", "channel": GENERAL, "ts": MESSAGE_TS},
    }


def test_a_ticket_reaction_raises_a_ticket_once(slack):
    _seed_message(slack)
    slack.send.event(_reaction(OTHER, reaction="eyes"))
    slack.settle()
    assert _count(slack, Ticket) == 0

    assert slack.send.event(_reaction(OTHER), event_id="Ev0REACT01").status_code == 200
    [reply] = _thread_replies(slack, GENERAL, MESSAGE_TS)
    assert ":ticket: *#1* Laptop will not boot" in texts(reply)  # the status message
    card = slack.card(1)
    assert card["channel"] == TRIAGE
    assert card["blocks"][0]["text"]["text"] == "#1 Laptop will not boot"
    raised = ticket(slack)
    assert (raised.source, raised.requester_id) == (Source.REACTION, OTHER)
    assert raised.description == TEXT

    posts = len(slack.fake.calls("chat.postMessage"))
    slack.send.event(_reaction(OTHER), event_id="Ev0REACT01", retry_num=1)
    slack.send.event(_reaction(AGENT_2), event_id="Ev0REACT02")
    slack.settle()
    assert _count(slack, Ticket) == 1
    assert len(slack.fake.calls("chat.postMessage")) == posts


def test_people_reacting_at_the_same_moment_raise_one_ticket(slack):
    _seed_message(slack)
    people = [OTHER, AGENT, AGENT_2, REQUESTER]
    with ThreadPoolExecutor(len(people)) as pool:
        sent = list(pool.map(lambda user: slack.send.event(_reaction(user)), people))
    assert [r.status_code for r in sent] == [200] * len(people)
    slack.settle()
    assert _count(slack, Ticket) == 1
    assert len(_thread_replies(slack, GENERAL, MESSAGE_TS)) == 1


def _reply(text: str, ts: str, thread_ts: str, **extra) -> dict:
    return {
        "type": "message",
        "channel": TRIAGE,
        "channel_type": "channel",
        "user": AGENT,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        **extra,
    }


def test_replies_in_the_card_thread_become_comments(slack):
    create_ticket(slack, "Printer jammed")
    card_ts = slack.card(1)["ts"]
    slack.clock.advance(timedelta(minutes=7))
    reply = _reply("Looking into it", "1700000100.000100", card_ts)
    slack.send.event(reply, event_id="Ev0REPLY01")
    slack.send.event(reply, event_id="Ev0REPLY01", retry_num=1, retry_reason="http_timeout")
    slack.settle()
    with slack.database.transaction() as session:
        [comment] = session.scalars(select(Comment)).all()
        assert (comment.author_id, comment.text) == (AGENT, "Looking into it")
        assert comment.created_at == slack.clock.now()
        assert (comment.slack_channel_id, comment.slack_ts) == (TRIAGE, reply["ts"])
    assert ticket(slack).first_response_at == slack.clock.now()

    slack.clock.advance(timedelta(minutes=1))
    edited = {**reply, "text": "Looking into it: the roller is worn", "edited": {"user": AGENT}}
    slack.send.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": TRIAGE,
            "ts": "1700000160.000100",
            "message": edited,
            "previous_message": reply,
        }
    )
    slack.settle()
    with slack.database.transaction() as session:
        comment = session.scalars(select(Comment)).one()
        assert comment.text == "Looking into it: the roller is worn"
        assert comment.edited_at == slack.clock.now()

    slack.send.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": TRIAGE,
            "ts": "1700000170.000100",
            "deleted_ts": reply["ts"],
            "previous_message": edited,
        }
    )
    slack.settle()
    with slack.database.transaction() as session:
        assert session.scalars(select(Comment)).one().deleted_at == slack.clock.now()


def test_a_reply_also_sent_to_the_channel_is_a_comment_too(slack):
    create_ticket(slack, "Printer jammed")
    card_ts = slack.card(1)["ts"]
    broadcast = _reply("Fixed, closing soon", "1700000100.000100", card_ts)
    broadcast.update(subtype="thread_broadcast", root={"ts": card_ts, "bot_id": BOT_ID})
    slack.send.event(broadcast)
    slack.settle()
    with slack.database.transaction() as session:
        comment = session.scalars(select(Comment)).one()
        assert (comment.author_id, comment.text) == (AGENT, "Fixed, closing soon")


def test_bot_messages_and_other_threads_are_not_comments(slack):
    create_ticket(slack, "Printer jammed")
    card_ts = slack.card(1)["ts"]
    for event in (
        _reply("Beep", "1700000100.000100", card_ts, subtype="bot_message", bot_id="B0OTHER01"),
        _reply("Echo", "1700000100.000200", card_ts, user=BOT_USER_ID, bot_id=BOT_ID),
        _reply("Other app", "1700000100.000300", card_ts, bot_id="B0OTHER01"),
        _reply("Elsewhere", "1700000100.000400", "1700000000.999999"),
        {k: v for k, v in _reply("Top level", "1700000100.000500", "").items() if k != "thread_ts"},
    ):
        assert slack.send.event(event).status_code == 200
    slack.settle()
    assert _count(slack, Comment) == 0


def _home_sections(view: dict) -> dict[str, list[int] | str]:
    """{header: ticket numbers listed under it, or the text said when there are none}."""
    sections: dict[str, list[int] | str] = {}
    current = None
    for b in view["blocks"]:
        if b["type"] == "header":
            current = b["text"]["text"]
            sections[current] = []
        elif current and b["type"] == "section" and b.get("accessory"):
            sections[current].append(int(re.search(r"\*#(\d+)\*", b["text"]["text"]).group(1)))
        elif current and b["type"] == "context" and not sections[current]:
            sections[current] = b["elements"][0]["text"]
    return sections


def _open_home(slack, user_id: str) -> dict:
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id[1:],
        "tab": "home",
    }
    return opened(slack, lambda: slack.send.event(event), method="views.publish")


def test_app_home_shows_my_tickets_and_for_agents_what_is_at_risk(slack):
    seed_ticket(slack, "Printer jammed", assignee_id=AGENT, engagement="2h")
    seed_ticket(slack, "Toner low", assignee_id=AGENT_2)
    seed_ticket(slack, "Scanner offline")  # nobody took it yet

    assert _home_sections(_open_home(slack, REQUESTER)) == {"My tickets": [3, 2, 1]}
    agent_home = _open_home(slack, AGENT)
    assert _home_sections(agent_home) == {
        "My tickets": "You have no open tickets.",
        "New in my queues": [3],
        "Assigned to me": [1],
        "At risk of missing the deadline": "No ticket is at risk.",
    }
    assert slack.fake.calls("views.publish")[-1].args["user_id"] == AGENT

    slack.clock.advance(timedelta(minutes=100))  # 20 of the 120 minutes left
    at_risk = _open_home(slack, AGENT)
    assert _home_sections(at_risk)["At risk of missing the deadline"] == [1]
    assert ":large_orange_circle: 20 min left" in texts(at_risk["blocks"])


def test_the_home_new_ticket_button_opens_the_create_form(slack):
    home = _open_home(slack, REQUESTER)
    view = opened(
        slack,
        lambda: slack.send.block_actions(
            [{"action_id": ActionId.NEW_TICKET}], view=home, user_id=REQUESTER
        ),
    )
    assert view["callback_id"] == CallbackId.CREATE_MODAL
    _submit_create(slack, view, {InputId.TITLE: {InputId.TITLE: plain("Monitor flickers")}})
    slack.fake.wait_for("chat.postMessage", predicate=lambda c: c.args.get("channel") == REQUESTER)
    assert ticket(slack).source is Source.APP_HOME
