"""Who hears what: followers (Follow on the card, the requester's Followers form), how much
each person chose to hear in App Home, and a direct message to the bot outside any ticket."""

from __future__ import annotations

import pytest

from tests.support.conversation import (
    DM,
    post_count,
    posts,
    reply_to_requester,
    said,
    say,
    status_message,
    written,
)
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import multi_users, plain, static
from tests.support.steps import (
    AGENT,
    AGENT_2,
    OTHER,
    REQUESTER,
    TRIAGE,
    answer,
    card_action,
    choose,
    create_ticket,
    opened,
)
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, CallbackId, InputId, ticket_block_id


def _dm(user_id: str) -> str:
    return "D" + user_id[1:]


def _home(slack, user_id: str) -> dict:
    event = {"type": "app_home_opened", "user": user_id, "channel": _dm(user_id), "tab": "home"}
    return opened(slack, lambda: slack.send.event(event), method="views.publish")


def _choose_level(slack, user_id: str, level: str):
    home = _home(slack, user_id)
    return slack.send.block_actions(
        [{"action_id": ActionId.NOTIFY_LEVEL, **static(level)}], user_id=user_id, view=home
    )


def test_followers_hear_what_the_requester_hears(slack):
    create_ticket(slack, "VPN drops every hour")
    told = answer(slack, lambda: card_action(slack, ActionId.FOLLOW, user_id=AGENT_2))
    assert "You follow #1" in said(told)

    before = post_count(slack)
    reply_to_requester(slack, "Can you send the VPN log?")
    slack.settle()
    [heard] = posts(slack, _dm(AGENT_2), since=before)
    assert "*#1* VPN drops every hour" in said(heard) and "Can you send the VPN log?" in said(heard)
    assert posts(slack, _dm(AGENT), since=before) == []  # the one who replied is not told

    # Following again is unfollowing: nothing more.
    card_action(slack, ActionId.FOLLOW, user_id=AGENT_2)
    slack.settle()
    before = post_count(slack)
    reply_to_requester(slack, "Any news?")
    slack.settle()
    assert posts(slack, _dm(AGENT_2), since=before) == []


def test_the_requester_adds_colleagues_who_hear_replies_and_closing(slack):
    create_ticket(slack, "VPN drops every hour")
    status = status_message(slack)
    form = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.STATUS_FOLLOWERS}], user_id=REQUESTER, channel_id=DM,
        message=status))  # fmt: skip
    assert form["callback_id"] == CallbackId.FOLLOWERS_MODAL
    slack.send.view_submission(
        form, {InputId.FOLLOWERS: {InputId.FOLLOWERS: multi_users([OTHER, REQUESTER])}},
        user_id=REQUESTER,
    )  # fmt: skip
    slack.settle()

    before = post_count(slack)
    reply_to_requester(slack, "Restart the client", waiting=True)
    slack.settle()
    [heard] = posts(slack, _dm(OTHER), since=before)
    assert "Restart the client" in said(heard)
    assert len(posts(slack, DM, since=before)) == 1  # the requester is not their own follower

    before = post_count(slack)
    close = opened(slack, lambda: card_action(slack, ActionId.STATUS, **choose("closed")))
    slack.send.view_submission(
        close, {InputId.SOLUTION: {InputId.SOLUTION: plain("New client version")}}, user_id=AGENT
    )
    slack.settle()
    [closing] = posts(slack, _dm(OTHER), since=before)
    assert "Closed" in said(closing)
    [notice] = posts(slack, DM, since=before)
    assert "New client version" in said(notice)  # the solution, with its rating buttons
    assert any(b["type"] == "actions" for b in notice["blocks"])


def test_each_person_chooses_how_much_they_hear(slack):
    create_ticket(slack, "VPN drops every hour")
    home = _home(slack, REQUESTER)
    [choice] = [b for b in home["blocks"] if (b.get("accessory") or {}).get("action_id")
                == ActionId.NOTIFY_LEVEL]  # fmt: skip
    assert choice["accessory"]["initial_option"]["value"] == "replies"  # the default

    # The default: a move to In progress only updates their message, in silence.
    before = post_count(slack)
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    slack.settle()
    assert posts(slack, DM, since=before) == []
    assert "In progress" in said(status_message(slack))

    # Everything: the next change is a new message.
    _choose_level(slack, REQUESTER, "everything")
    slack.settle()
    assert _home(slack, REQUESTER)["blocks"][2]["accessory"]["initial_option"]["value"] == (
        "everything"
    )
    before = post_count(slack)
    card_action(slack, ActionId.STATUS, **choose("open"))
    slack.settle()
    [told] = posts(slack, DM, since=before)
    assert "Open" in said(told)

    # Only what needs me: the closing updates their message, no new message, no rating.
    _choose_level(slack, REQUESTER, "needs_me")
    slack.settle()
    before = post_count(slack)
    close = opened(slack, lambda: card_action(slack, ActionId.STATUS, **choose("closed")))
    slack.send.view_submission(
        close, {InputId.SOLUTION: {InputId.SOLUTION: plain("Fixed")}}, user_id=AGENT
    )
    slack.settle()
    assert posts(slack, DM, since=before) == []
    assert "Closed" in said(status_message(slack))
    # A reply addressed to them always reaches them.
    before = post_count(slack)
    reply_to_requester(slack, "For the record: it was the firewall")
    slack.settle()
    assert len(posts(slack, DM, since=before)) == 1


def test_a_forged_level_is_refused_and_nothing_changes(slack):
    home = _home(slack, REQUESTER)
    payload = slack.send.build.block_actions(
        [{"action_id": ActionId.NOTIFY_LEVEL, **static("everything")}], user_id=REQUESTER,
        view=home,
    )  # fmt: skip
    payload["actions"][0]["selected_option"]["value"] = "all_the_things"
    before = post_count(slack)
    assert slack.send.interaction(payload).status_code == 200
    slack.settle()
    [told] = posts(slack, DM, since=before)  # App Home has no response_url: a direct message
    assert "Choose how much you hear from the list." in said(told)
    assert _home(slack, REQUESTER)["blocks"][2]["accessory"]["initial_option"]["value"] == (
        "replies"
    )


def test_a_direct_message_outside_any_ticket_gets_the_open_tickets_once(slack):
    create_ticket(slack, "VPN drops every hour")
    create_ticket(slack, "Screen flickers")
    before = post_count(slack)
    hello = written(DM, REQUESTER, "hello? any news on my VPN?", "1700000500.000100")
    say(slack, hello, event_id="Ev0HELLO001")
    say(slack, hello, event_id="Ev0HELLO001", retry_num=1, retry_reason="http_timeout")
    slack.settle()
    [answer] = posts(slack, DM, since=before)
    assert "thread_ts" not in answer or answer["thread_ts"] is None
    shown = said(answer)
    assert "*#1* VPN drops every hour" in shown and "*#2* Screen flickers" in shown
    buttons = [e["action_id"] for b in answer["blocks"] for e in
               ([b["accessory"]] if "accessory" in b else b.get("elements", []))]  # fmt: skip
    assert buttons == [ActionId.STATUS_REPLY, ActionId.STATUS_REPLY, ActionId.NEW_TICKET]
    # Reply on one: the requester's answer form, whose text lands on that ticket's card.
    message = {"channel": DM, **slack.fake.message(DM, answer["ts"])}
    form = opened(slack, lambda: slack.send.block_actions(
        [{"action_id": ActionId.STATUS_REPLY, "block_id": ticket_block_id(2, "dm")}],
        user_id=REQUESTER, channel_id=DM, message=message))  # fmt: skip
    assert form["callback_id"] == CallbackId.ANSWER_MODAL and "#2" in form["title"]["text"]


@pytest.fixture
def bilingual(database, fake_slack, clock, config):
    auto = TicketbotConfig.model_validate(
        {**config.model_dump(mode="json"), "language": "auto", "workspace_language": "en"}
    )
    fake_slack.users[REQUESTER] = {"locale": "fr-FR"}
    yield from start_scenario(database, fake_slack, clock, auto)


def test_the_requester_reads_their_side_in_their_language(bilingual):
    slack = bilingual
    create_ticket(slack, "Le VPN coupe")
    status = status_message(slack)
    assert "Ouvert" in said(status) and "Pas encore attribué" in said(status)
    assert [e["text"]["text"] for b in status["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == ["Répondre", "Fermer", "Abonnés"]  # fmt: skip
    assert "Open" in said(slack.card(1))  # the triage channel reads the workspace's language
    before = post_count(slack)
    reply_to_requester(slack, "Pouvez-vous envoyer le journal ?", waiting=True)
    slack.settle()
    [reply] = posts(slack, DM, since=before)
    assert "En attente de votre réponse" in said(reply)
    # Their answer, with a file, reaches the card in the channel's language, the file a link.
    log = {"id": "F0LOG00001", "name": "vpn.log", "title": "vpn.log", "mode": "hosted",
           "permalink": "https://test.slack.com/files/U0REQ0001/F0LOG00001/vpn.log"}  # fmt: skip
    before = post_count(slack)
    say(slack, written(DM, REQUESTER, "Voici", "1700000300.000100", subtype="file_share",
                       files=[log], thread_ts=status["ts"]))  # fmt: skip
    slack.settle()
    [relayed] = posts(slack, TRIAGE, thread_ts=slack.card(1)["ts"], since=before)
    assert f"<{log['permalink']}|vpn.log>" in said(relayed) and "original" in said(relayed)
