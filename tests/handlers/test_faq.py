"""The FAQ end to end: Convert to FAQ on a solved ticket's card, `/ticket faq`, and the
suggestions of the create form, with rights and bad input, through signed requests."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.slack_payloads import plain, radio, static
from tests.support.steps import (
    AGENT,
    OTHER,
    REQUESTER,
    TRIAGE,
    block,
    card_action,
    card_updated,
    card_updates,
    changes,
    choose,
    command,
    create_ticket,
    everything,
    opened,
    raised,
    texts,
)
from ticketbot.ids import ActionId, BlockId, CallbackId, InputId
from ticketbot.store.models import FaqEntry, FaqTerm

INTERNAL = {InputId.VISIBILITY: {InputId.VISIBILITY: radio("internal")}}


def _close(slack, number: int, solution: str = "Open tray 2 and pull the sheet out.") -> dict:
    """Close through the card's status select and its solution form; the card as updated."""
    form = opened(slack, lambda: card_action(slack, ActionId.STATUS, number=number,
                                             **choose("closed")))  # fmt: skip
    updates = card_updates(slack)
    slack.send.view_submission(form, {InputId.SOLUTION: {InputId.SOLUTION: plain(solution)}},
                               user_id=AGENT)  # fmt: skip
    return card_updated(slack, updates)


def _controls(message: dict) -> list[str]:
    return [e["action_id"] for e in message["blocks"][-1]["elements"]]


def _convert(slack, number: int, *, question: str | None = None, answer: str | None = None):
    slack.settle()  # the card shows its closing (and so its Convert button) before the click
    form = opened(slack, lambda: card_action(slack, ActionId.FAQ_CONVERT, number=number))
    values = {}
    if question is not None:
        values[InputId.FAQ_QUESTION] = {InputId.FAQ_QUESTION: plain(question)}
    if answer is not None:
        values[InputId.FAQ_ANSWER] = {InputId.FAQ_ANSWER: plain(answer)}
    return form, slack.send.view_submission(form, values, user_id=AGENT)


def _entries(slack) -> list[tuple[str, str, str]]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(FaqEntry).order_by(FaqEntry.id))
        return [(r.question, r.answer, r.visibility.value) for r in rows]


def test_a_solved_ticket_becomes_a_faq_entry(slack):
    create_ticket(slack, "Printer jammed", **{
        InputId.DESCRIPTION: {InputId.DESCRIPTION: plain("Tray 2 eats paper")}})  # fmt: skip
    assert ActionId.FAQ_CONVERT not in _controls(slack.card(1))  # open: nothing to offer yet
    card = _close(slack, 1)
    assert _controls(card)[-1] == ActionId.FAQ_CONVERT

    form = opened(slack, lambda: card_action(slack, ActionId.FAQ_CONVERT))
    assert form["callback_id"] == CallbackId.FAQ_MODAL
    question = block(form, InputId.FAQ_QUESTION)["element"]["initial_value"]
    assert question == "Printer jammed\n\nTray 2 eats paper"
    assert block(form, InputId.FAQ_ANSWER)["element"]["initial_value"] == (
        "Open tray 2 and pull the sheet out."
    )
    updates = card_updates(slack)
    edited = {InputId.FAQ_QUESTION: {InputId.FAQ_QUESTION: plain("Printer jammed on tray 2")}}
    response = slack.send.view_submission(form, edited, user_id=AGENT)
    assert response.status_code == 200 and response.text in ("", "null")

    card = card_updated(slack, updates)
    assert ":books: In the FAQ" in texts(card["blocks"])
    assert ActionId.FAQ_CONVERT not in _controls(card)
    assert _entries(slack) == [
        ("Printer jammed on tray 2", "Open tray 2 and pull the sheet out.", "public")
    ]
    assert changes(slack)[-1] == ("faq", None, "Printer jammed on tray 2", AGENT)
    with slack.database.transaction() as session:
        assert set(session.scalars(select(FaqTerm.term))) == {
            "printer",
            "jammed",
            "on",
            "tray",
            "2",
        }
    history = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=REQUESTER))
    assert "*FAQ entry*: — → Printer jammed on tray 2" in texts(history["blocks"])


def test_only_agents_convert_and_only_solved_tickets_once(slack):
    create_ticket(slack, "Printer jammed")
    answers = len(slack.fake.calls("response_url"))
    views = len(slack.fake.calls("views.open"))
    # The button shows only once solved; a click from an old message is checked all the same.
    slack.send.block_actions(
        [{"action_id": ActionId.FAQ_CONVERT, "value": "1", "block_id": "ticket:1"}],
        user_id=AGENT, channel_id=TRIAGE,
    )  # fmt: skip
    told = slack.fake.wait_for("response_url", answers + 1)[answers].args
    assert told["text"] == "Only a closed ticket with a solution can go to the FAQ."
    old_card = _close(slack, 1) and slack.card(1)
    card_action(slack, ActionId.FAQ_CONVERT, user_id=REQUESTER)
    told = slack.fake.wait_for("response_url", answers + 2)[answers + 1].args
    assert told["text"] == "Only agents can add tickets to the FAQ."
    slack.settle()
    assert len(slack.fake.calls("views.open")) == views + 1  # the close form only
    _form, response = _convert(slack, 1)
    assert response.text in ("", "null")
    slack.settle()
    # A click on the card as it was before the conversion refreshed it.
    slack.send.block_actions(
        [{"action_id": ActionId.FAQ_CONVERT}], user_id=AGENT, channel_id=old_card["channel"],
        message=old_card,
    )  # fmt: skip
    told = slack.fake.wait_for("response_url", answers + 3)[answers + 2].args
    assert told["text"] == "Ticket #1 is already in the FAQ."
    assert len(_entries(slack)) == 1


def test_an_empty_answer_is_refused_in_the_form(slack):
    create_ticket(slack, "Printer jammed")
    _close(slack, 1)
    _form, response = _convert(slack, 1, answer="  \u200b ")
    assert response.json() == {
        "response_action": "errors",
        "errors": {InputId.FAQ_ANSWER: "Answer is required."},
    }
    _form, response = _convert(slack, 1, question="")
    assert response.json()["errors"] == {InputId.FAQ_QUESTION: "Question is required."}
    slack.settle()
    assert _entries(slack) == [] and changes(slack)[-1][0] == "status"


def test_ticket_faq_finds_entries_and_hides_internal_ones(slack):
    create_ticket(slack, "Écran noir au démarrage")
    create_ticket(slack, "Écran payroll export", **INTERNAL)
    for number in (1, 2):
        _close(slack, number)
        _convert(slack, number)
    slack.settle()

    found = command(slack, "faq ecran", user_id=OTHER)
    assert found["response_type"] == "ephemeral"
    assert found["blocks"][0]["text"]["text"] == "FAQ entries matching “ecran”"
    rows = [b for b in found["blocks"] if b["type"] == "section"]
    assert len(rows) == 1 and rows[0]["text"]["text"].startswith("*Écran noir au démarrage*")
    assert "_from ticket <https://test.slack.com/archives/" in rows[0]["text"]["text"]
    assert (rows[0]["accessory"]["action_id"], rows[0]["accessory"]["value"]) == (
        ActionId.SHOW_TICKET, "1",
    )  # fmt: skip
    mine = command(slack, "faq ÉCR", user_id=REQUESTER)
    assert "Écran payroll export" in everything(mine) and "Écran noir" in everything(mine)
    latest = command(slack, "faq", user_id=AGENT)
    assert latest["blocks"][0]["text"]["text"] == "Latest FAQ entries"
    assert everything(latest).index("payroll") < everything(latest).index("Écran noir")
    nothing = command(slack, "faq <!channel> scanner", user_id=AGENT)
    assert nothing["text"] == (
        "No FAQ entry matches “&lt;!channel&gt; scanner”. Try fewer or shorter words."
    )
    assert "`/ticket faq [words]`" in everything(command(slack, "help"))


def test_ticket_show_offers_convert_to_agents_only(slack):
    create_ticket(slack, "Printer jammed")
    _close(slack, 1)
    shown = command(slack, "show 1", user_id=AGENT)
    controls = next(b for b in shown["blocks"] if b.get("block_id") == "ticket:1")
    assert controls["elements"][-1]["action_id"] == ActionId.FAQ_CONVERT
    mine = command(slack, "show 1", user_id=REQUESTER)
    assert ActionId.FAQ_CONVERT not in str(mine["blocks"])


def test_the_create_form_suggests_entries_for_its_title(slack):
    create_ticket(slack, "Printer jammed in tray 2")
    _close(slack, 1)
    _convert(slack, 1)
    slack.settle()

    view = opened(slack, lambda: slack.send.command("new the printer is jammed again"))
    title = block(view, InputId.TITLE)
    assert title["dispatch_action"] is True
    assert title["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_enter_pressed"]
    }
    suggestions = block(view, BlockId.FAQ_SUGGESTIONS)["text"]["text"]
    assert suggestions.startswith(":bulb: *Maybe answered already*\n• *Printer jammed in tray 2*")
    assert "Open tray 2 and pull the sheet out." in suggestions and "(from ticket <" in suggestions
    plain_open = opened(slack, lambda: slack.send.command("new"))
    assert BlockId.FAQ_SUGGESTIONS not in [b.get("block_id") for b in plain_open["blocks"]]

    # Enter in Title after changing it (and other fields): suggestions follow, input stays.
    values = {
        InputId.TITLE: {InputId.TITLE: plain("VPN keeps dropping")},
        InputId.DESCRIPTION: {InputId.DESCRIPTION: plain("Since Monday")},
        InputId.PRIORITY: {InputId.PRIORITY: static("high")},
    }
    updates = len(slack.fake.calls("views.update"))
    slack.send.block_actions(
        [{"action_id": InputId.TITLE, "value": "VPN keeps dropping"}], view=view, values=values,
    )  # fmt: skip
    call = slack.fake.wait_for("views.update", updates + 1)[updates]
    assert (call.args["view_id"], call.args["hash"]) == (view["id"], view["hash"])
    updated = call.response["view"]
    assert (
        "No FAQ entry matches this title yet."
        in block(updated, BlockId.FAQ_SUGGESTIONS)["text"]["text"]
    )
    assert block(updated, InputId.TITLE)["element"]["initial_value"] == "VPN keeps dropping"
    assert block(updated, InputId.DESCRIPTION)["element"]["initial_value"] == "Since Monday"
    assert block(updated, InputId.PRIORITY)["element"]["initial_option"]["value"] == "high"
    assert updated["private_metadata"] == view["private_metadata"]
    # The form still creates the ticket as typed.
    status = raised(slack, lambda: slack.send.view_submission(updated, {}))
    assert status["text"] == "Ticket #2 VPN keeps dropping: Open"
    with slack.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(FaqEntry)) == 1


def test_a_message_shortcut_suggests_entries_too(slack):
    create_ticket(slack, "VPN drops every evening")
    _close(slack, 1, solution="Renew the certificate.")
    _convert(slack, 1)
    slack.settle()
    message = {"ts": "1700000000.000900", "text": "vpn drops again\nsince this morning",
               "user": OTHER, "type": "message"}  # fmt: skip
    slack.fake.messages[("C0GENERAL1", message["ts"])] = message
    shortcut = CallbackId.SHORTCUT_CREATE
    view = opened(slack, lambda: slack.send.message_action(
        shortcut, channel_id="C0GENERAL1", message=message, user_id=OTHER))  # fmt: skip
    assert "Renew the certificate." in block(view, BlockId.FAQ_SUGGESTIONS)["text"]["text"]
