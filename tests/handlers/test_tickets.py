"""End to end through HTTP: /ticket, the create modal, the live card and its controls."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.support.slack_payloads import plain, radio, static, users
from tests.support.steps import card_updated, raised, status_posts, texts
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.store.models import Ticket, TicketChange
from ticketbot.vocabulary import Status

AGENT = "U0AGT0001"
REQUESTER = "U0REQ0001"


def responses(slack, count=1):
    return [c.args for c in slack.fake.wait_for("response_url", count)]


def create_ticket(slack, title="Printer jammed", *, user_id=REQUESTER, **values):
    before = len(slack.fake.calls("views.open"))
    assert slack.send.command(f"new {title}", user_id=user_id).status_code == 200
    # Counted before the command: the modal opens after the ack, maybe after this line.
    view = slack.fake.wait_for("views.open", before + 1)[before].args["view"]
    fields = {InputId.PRIORITY: {InputId.PRIORITY: static(values.pop("priority", "normal"))}}
    for block, value in values.items():
        fields[block] = value
    # The requester's status message goes last, once the card is posted and remembered.
    raised(slack, lambda: _submitted(slack.send.view_submission(view, fields, user_id=user_id)))
    return view


def _submitted(response):
    assert response.status_code == 200 and response.text in ("", "null")
    return response


def test_help_lists_the_subcommands(slack):
    assert slack.send.command("help").status_code == 200
    [answer] = responses(slack)
    assert answer["response_type"] == "ephemeral"
    for usage in (
        "new [title]",
        "show N",
        "list [open|mine|assigned|waiting|closed|all]",
        "search words",
    ):
        assert usage in answer["blocks"][0]["text"]["text"]


def test_unknown_words_get_the_help(slack):
    slack.send.command("frobnicate <!channel>")
    [answer] = responses(slack)
    assert "did not understand" in answer["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt;" in answer["blocks"][0]["text"]["text"]
    assert "<!channel>" not in str(answer)


def test_new_opens_the_create_modal_with_the_exact_labels(slack):
    slack.send.command("new Printer jammed on floor 3")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == CallbackId.CREATE_MODAL
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Title",
        "Description",
        "Priority",
        "Engagement",
        "Category",
        "Assign to",
        "Related to",
        "Product",
        "Visibility",
    ]
    title = next(b for b in view["blocks"] if b.get("block_id") == InputId.TITLE)
    assert title["element"]["initial_value"] == "Printer jammed on floor 3"
    priority = next(b for b in view["blocks"] if b.get("block_id") == InputId.PRIORITY)
    assert [o["text"]["text"] for o in priority["element"]["options"]] == [
        "Low",
        "Normal",
        "High",
        "Urgent",
    ]
    assert priority["element"]["initial_option"]["value"] == "normal"
    engagement = next(b for b in view["blocks"] if b.get("block_id") == InputId.ENGAGEMENT)
    assert [o["text"]["text"] for o in engagement["element"]["options"]] == [
        "Standard",
        "2 hours",
        "4 hours",
        "6 hours",
        "8 hours",
        "24 hours",
        "48 hours",
        "72 hours",
    ]
    category = next(b for b in view["blocks"] if b.get("block_id") == InputId.CATEGORY)
    assert [o["value"] for o in category["element"]["options"]] == [
        "Hardware",
        "Software",
        "Network",
        "Access",
        "Billing",
    ]
    party = next(b for b in view["blocks"] if b.get("block_id") == InputId.PARTY)
    assert party["element"]["type"] == "external_select"


def test_blank_or_long_title_is_refused_in_the_form(slack, database):
    slack.send.command("new")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    for title, message in [
        ("   ", "Title is required."),
        ("x" * 201, "Title must be at most 200 characters."),
    ]:
        response = slack.send.view_submission(view, {InputId.TITLE: {InputId.TITLE: plain(title)}})
        assert response.status_code == 200
        assert response.json() == {"response_action": "errors", "errors": {InputId.TITLE: message}}
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert slack.fake.calls("chat.postMessage") == []


def test_submit_posts_the_card_and_confirms_to_the_requester(slack, database):
    create_ticket(
        slack,
        "Printer jammed",
        **{
            InputId.DESCRIPTION: {InputId.DESCRIPTION: plain("Tray 2 <!here>")},
            InputId.CATEGORY: {InputId.CATEGORY: static("Hardware")},
            InputId.ASSIGNEE: {InputId.ASSIGNEE: users(AGENT)},
            InputId.VISIBILITY: {InputId.VISIBILITY: radio("public")},
            "priority": "urgent",
        },
    )
    card_post = slack.fake.calls("chat.postMessage")[0].args
    assert card_post["channel"] == "C0SUPPORT1"
    assert "#1" in card_post["text"] and "Printer jammed" in card_post["text"]
    blocks = card_post["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "#1 Printer jammed", "emoji": True},
    }
    fields = " ".join(f["text"] for f in blocks[1]["fields"])
    for expected in (
        "Open",
        "Urgent",
        "Standard",
        "<!date^",
        "Hardware",
        f"<@{AGENT}>",
        f"<@{REQUESTER}>",
    ):
        assert expected in fields
    assert "Tray 2 &lt;!here&gt;" in str(blocks)
    controls = blocks[-1]
    assert [e["action_id"] for e in controls["elements"]] == [
        ActionId.STATUS,
        ActionId.ASSIGN,
        ActionId.EDIT,
        ActionId.COMMENT,
        ActionId.HISTORY,
        ActionId.RELATED,
        ActionId.REPLY_TO_REQUESTER,
        ActionId.FOLLOW,
    ]
    # The requester hears it once: their status message, in a direct message from the bot
    # (no separate confirmation), naming the assignee without pinging them.
    assert slack.fake.calls("response_url") == []
    [status] = [c.args for c in status_posts(slack)]
    assert status["channel"] == REQUESTER and "#1" in status["text"]
    shown = texts(status["blocks"])
    assert "Printer jammed" in shown and "Open" in shown and f"User {AGENT}" in shown
    assert "<@" not in str(status["blocks"]) and "Urgent" not in shown  # no deadline machinery
    buttons = [e["action_id"] for e in status["blocks"][-1]["elements"]]
    assert buttons == [ActionId.STATUS_REPLY, ActionId.STATUS_CLOSE, ActionId.STATUS_FOLLOWERS]
    with database.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.card_channel_id == "C0SUPPORT1"
        assert ticket.priority == "urgent" and ticket.assignee_id == AGENT
        assert ticket.due_at == ticket.created_at + timedelta(hours=4)


def _card_action(slack, action_id, *, user_id=AGENT, **selected):
    card = slack.card(1)
    block = next(b for b in card["blocks"] if b.get("type") == "actions")
    action = {"action_id": action_id, "block_id": block["block_id"], **selected}
    return slack.send.block_actions(
        [action], user_id=user_id, channel_id=card["channel"], message=card
    )


def test_status_select_updates_the_card_in_place_and_writes_history(slack, database):
    create_ticket(slack)
    _card_action(slack, ActionId.STATUS, selected_option=static("in_progress")["selected_option"])
    update = card_updated(slack, 0)
    card = slack.card(1)
    assert update["ts"] == card["ts"]
    assert ":hammer_and_wrench: In progress" in str(update["blocks"][1])
    with database.transaction() as session:
        rows = session.scalars(select(TicketChange)).all()
        assert [(r.field, r.old_value, r.new_value, r.actor_id) for r in rows] == [
            ("status", "open", "in_progress", AGENT)
        ]


def test_choosing_closed_asks_for_the_solution_first(slack, database):
    create_ticket(slack)
    _card_action(slack, ActionId.STATUS, selected_option=static("closed")["selected_option"])
    view = slack.fake.wait_for("views.open", 2)[-1].args["view"]
    assert view["callback_id"] == CallbackId.CLOSE_MODAL
    with database.transaction() as session:
        assert session.scalars(select(Ticket)).one().status is Status.OPEN
    refused = slack.send.view_submission(
        view, {InputId.SOLUTION: {InputId.SOLUTION: plain(" ")}}, user_id=AGENT
    )
    assert refused.json()["errors"] == {
        InputId.SOLUTION: "A solution is required to close a ticket."
    }
    slack.send.view_submission(
        view, {InputId.SOLUTION: {InputId.SOLUTION: plain("New roller")}}, user_id=AGENT
    )
    card_updated(slack, 0)
    with database.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.status is Status.CLOSED and ticket.solution == "New roller"
    assert "New roller" in str(slack.card(1)["blocks"])
