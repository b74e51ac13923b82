"""Related items end to end: the card's Related modal, its Add forms, Close and Remove, the
history, `/ticket show`, rights and bad input, through signed requests into the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.support.scenario import start_scenario
from tests.support.slack_payloads import datepicker, number, plain, radio, users
from tests.support.steps import (
    AGENT,
    OTHER,
    REQUESTER,
    card_action,
    card_updated,
    card_updates,
    changes,
    command,
    create_ticket,
    everything,
    opened,
    texts,
    ticket,
)
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId, BlockId, CallbackId, InputId, related_add_action
from ticketbot.store.models import RelatedItem
from ticketbot.views.related_form import item_form
from ticketbot.vocabulary import RelatedKind

FILE = {
    "id": "F0FILE0001",
    "name": "jam.jpg",
    "title": "Photo of the jam",
    "mimetype": "image/jpeg",
    "permalink": "https://test.slack.com/files/U0REQ0001/F0FILE0001/jam.jpg",
}


def _related(slack, user_id: str = AGENT) -> dict:
    return opened(slack, lambda: card_action(slack, ActionId.RELATED, user_id=user_id))


def _add_form(slack, view: dict, kind: str, user_id: str = AGENT) -> dict:
    click = [{"action_id": related_add_action(kind)}]
    return opened(
        slack,
        lambda: slack.send.block_actions(click, view=view, user_id=user_id),
        method="views.push",
    )


def _count(slack, method: str) -> int:
    return len(slack.fake.calls(method))


def _submit(slack, form: dict, values: dict, user_id: str = AGENT) -> tuple[dict, dict]:
    """Submit an add form that should succeed: (the Related modal redrawn, the card update)."""
    updates, cards = _count(slack, "views.update"), card_updates(slack)
    response = slack.send.view_submission(form, values, user_id=user_id)
    assert response.status_code == 200 and response.text in ("", "null"), response.text
    redrawn = slack.fake.wait_for("views.update", updates + 1)[updates]
    card = card_updated(slack, cards)
    return redrawn.args | {"response": redrawn.response["view"]}, card


def _refused(slack, form: dict, values: dict, user_id: str = AGENT) -> dict:
    response = slack.send.view_submission(form, values, user_id=user_id)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    return answer["errors"]


def _items(slack) -> list[tuple[str, str]]:
    with slack.database.transaction() as session:
        rows = session.scalars(select(RelatedItem).order_by(RelatedItem.id))
        return [(r.kind, r.title) for r in rows]


def _item_block(view: dict, title: str) -> dict:
    return next(b for b in view["blocks"] if b.get("accessory") and title in b["text"]["text"])


def test_an_agent_adds_an_expense_and_the_modal_and_card_follow(slack):
    create_ticket(slack, "Printer jammed")
    view = _related(slack)
    assert view["callback_id"] == CallbackId.RELATED_MODAL
    buttons = [e["text"]["text"] for e in view["blocks"][3]["elements"]]
    assert buttons == [f"+ {k}" for k in ("Activity", "Document", "Service", "Expense",
                       "Purchase order", "Quote", "Email", "Project", "Timesheet",
                       "Service contract")]  # fmt: skip
    form = _add_form(slack, view, "expense")
    assert form["callback_id"] == CallbackId.RELATED_ITEM_MODAL
    assert form["title"]["text"] == "Add expense"

    values = {
        InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Taxi to the client")},
        InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("23,40")},
        InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain("eur")},
    }
    redrawn, card = _submit(slack, form, values)
    assert redrawn["view_id"] == view["id"]
    assert ":receipt: *Expense* (1) · 23.40 EUR" in texts(redrawn["view"]["blocks"])
    assert "*Taxi to the client* · 23.40 EUR" in texts(redrawn["view"]["blocks"])
    assert ":paperclip: Related: Expense 1" in texts(card["blocks"])
    assert _items(slack) == [("expense", "Taxi to the client")]
    assert changes(slack) == [("related", None, "expense:Taxi to the client", AGENT)]

    history = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=AGENT))
    assert "*Related item*: — → Expense: Taxi to the client" in texts(history["blocks"])


@pytest.mark.parametrize(
    ("kind", "values", "block", "message"),
    [
        ("expense", {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Taxi")},
                     InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("twelve")},
                     InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain("EUR")}},
         InputId.ITEM_AMOUNT, "Amount must be a number, like 12.50."),
        ("timesheet", {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Fix")},
                       InputId.ITEM_MINUTES: {InputId.ITEM_MINUTES: number(-30)}},
         InputId.ITEM_MINUTES, "Minutes must be a whole number from 1 to 1440."),
        ("activity", {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("  ")}},
         InputId.ITEM_TITLE, "Title is required."),
        ("project", {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Rollout")},
                     InputId.ITEM_URL: {InputId.ITEM_URL: plain("javascript:alert(1)")}},
         InputId.ITEM_URL, "Give a web address starting with https://."),
        ("document", {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Manual")}},
         InputId.ITEM_URL, "Attach a file or give a link."),
    ],
    ids=["amount not a number", "negative minutes", "no title", "bad url", "no file or link"],
)  # fmt: skip
def test_bad_input_is_refused_on_its_block_and_nothing_is_written(
    slack, kind, values, block, message
):
    create_ticket(slack, "Printer jammed")
    form = _add_form(slack, _related(slack), kind)
    updates = _count(slack, "views.update")
    assert _refused(slack, form, values) == {block: message}
    slack.settle()
    assert _items(slack) == [] and changes(slack) == []
    assert _count(slack, "views.update") == updates


def test_activities_close_into_the_history_and_items_are_removed(slack):
    create_ticket(slack, "Printer jammed")
    view = _related(slack)
    due = {InputId.ITEM_DUE_ON: {InputId.ITEM_DUE_ON: datepicker("2026-11-20")}}
    title = {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Call the supplier")}}
    redrawn, _card = _submit(slack, _add_form(slack, view, "activity"), title | due)
    shown = redrawn["response"]
    assert (
        ":warning: overdue since 2026-11-20"
        in _item_block(shown, "Call the supplier")["text"]["text"]
    )
    menu = _item_block(shown, "Call the supplier")
    assert [o["text"]["text"] for o in menu["accessory"]["options"]] == ["Close", "Remove"]

    updates = _count(slack, "views.update")
    slack.send.block_actions(
        [{"action_id": ActionId.RELATED_ITEM, "block_id": menu["block_id"],
          "selected_option": menu["accessory"]["options"][0]}],
        view=shown, user_id=AGENT,
    )  # fmt: skip
    closed = slack.fake.wait_for("views.update", updates + 1)[updates]
    assert closed.args["view_id"] == view["id"]
    after = closed.response["view"]
    assert ":spiral_calendar_pad: *Activity history* (1)" in texts(after["blocks"])
    done = _item_block(after, "Call the supplier")
    assert [o["text"]["text"] for o in done["accessory"]["options"]] == ["Remove"]

    slack.send.block_actions(
        [{"action_id": ActionId.RELATED_ITEM, "block_id": done["block_id"],
          "selected_option": done["accessory"]["options"][0]}],
        view=after, user_id=AGENT,
    )  # fmt: skip
    removed = slack.fake.wait_for("views.update", updates + 2)[updates + 1]
    assert "Call the supplier" not in texts(removed.response["view"]["blocks"])
    slack.settle()
    assert _items(slack) == []
    assert changes(slack) == [
        ("related", None, "activity:Call the supplier", AGENT),
        ("related", "activity:Call the supplier", "activity/done:Call the supplier", AGENT),
        ("related", "activity/done:Call the supplier", None, AGENT),
    ]
    history = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=AGENT))
    assert (
        "*Related item*: Activity: Call the supplier → Activity (done): Call the supplier"
        in texts(history["blocks"])
    )


def test_a_timesheet_counts_in_ticket_show(slack):
    create_ticket(slack, "Printer jammed")
    values = {
        InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Replaced the roller")},
        InputId.ITEM_MINUTES: {InputId.ITEM_MINUTES: number(90)},
        InputId.ITEM_WORKED_ON: {InputId.ITEM_WORKED_ON: datepicker("2026-11-23")},
        InputId.ITEM_WORKER: {InputId.ITEM_WORKER: users("U0AGT0002")},
    }
    redrawn, _card = _submit(slack, _add_form(slack, _related(slack), "timesheet"), values)
    assert ":stopwatch: *Timesheet* (1) · 1 h 30 min spent" in texts(redrawn["view"]["blocks"])
    shown = command(slack, "show 1", user_id=AGENT)
    assert ":paperclip: Related: Timesheet 1 · Time spent 1 h 30 min" in everything(shown)
    mine = command(slack, "show 1", user_id=REQUESTER)
    assert "Timesheet" not in everything(mine) and "Time spent" not in everything(mine)
    with slack.database.transaction() as session:
        row = session.scalars(select(RelatedItem)).one()
        assert (row.minutes, row.worker_id, str(row.worked_on)) == (90, "U0AGT0002", "2026-11-23")


def test_a_requester_adds_a_file_to_their_ticket_and_sees_only_documents_and_emails(slack):
    create_ticket(slack, "Printer jammed")
    # An agent's expense is on the ticket already.
    _submit(
        slack,
        _add_form(slack, _related(slack), "expense"),
        {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Toner")},
         InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("40")},
         InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain("EUR")}},
    )  # fmt: skip
    view = _related(slack, user_id=REQUESTER)
    add = next(b for b in view["blocks"] if b.get("block_id") == BlockId.RELATED_ADD)
    assert [e["text"]["text"] for e in add["elements"]] == ["+ Document"]
    assert "Toner" not in texts(view["blocks"])
    form = _add_form(slack, view, "document", user_id=REQUESTER)
    file = {InputId.ITEM_FILE: {InputId.ITEM_FILE: {"type": "file_input", "files": [FILE]}}}
    redrawn, _card = _submit(slack, form, file, user_id=REQUESTER)
    shown = texts(redrawn["view"]["blocks"])
    assert f"<{FILE['permalink']}|Photo of the jam>" in shown and "Toner" not in shown
    assert not [b for b in redrawn["view"]["blocks"] if "accessory" in b]  # no Close/Remove
    with slack.database.transaction() as session:
        document = session.scalars(select(RelatedItem).where(RelatedItem.kind == "document")).one()
        assert (document.slack_file_id, document.created_by) == ("F0FILE0001", REQUESTER)
    history = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=REQUESTER))
    assert "Toner" not in texts(history["blocks"])
    assert "Document: Photo of the jam" in texts(history["blocks"])


def test_forged_requests_from_requesters_change_nothing(slack):
    create_ticket(slack, "Printer jammed")
    _submit(
        slack,
        _add_form(slack, _related(slack), "document"),
        {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Manual")},
         InputId.ITEM_URL: {InputId.ITEM_URL: plain("https://docs.example.com/m")}},
    )  # fmt: skip
    agents_view = slack.fake.calls("views.update")[-1].response["view"]
    before = (_items(slack), changes(slack))

    # An expense form the requester was never shown, submitted anyway.
    forged = item_form(
        ticket(slack), RelatedKind.EXPENSE, today=date(2026, 11, 23), user_id=REQUESTER,
        metadata='{"number": 1, "kind": "expense"}',
    )  # fmt: skip
    values = {
        InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Bonus")},
        InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("999")},
        InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain("EUR")},
    }
    assert _refused(slack, forged, values, user_id=REQUESTER) == {
        InputId.ITEM_TITLE: "Only agents can add expense items."
    }
    # Another requester adding a document to a ticket they did not raise.
    other_form = _add_form(slack, _related(slack, user_id=REQUESTER), "document", REQUESTER)
    assert _refused(
        slack,
        other_form,
        {InputId.ITEM_URL: {InputId.ITEM_URL: plain("https://x.test/p")},
         InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("P")}},
        user_id=OTHER,
    ) == {InputId.ITEM_TITLE: "You can add documents only to tickets you raised."}  # fmt: skip
    # The requester removing the document through the agent's menu.
    menu = _item_block(agents_view, "Manual")
    messages = _count(slack, "chat.postMessage")
    slack.send.block_actions(
        [{"action_id": ActionId.RELATED_ITEM, "block_id": menu["block_id"],
          "selected_option": {"value": menu["accessory"]["options"][-1]["value"]}}],
        view=agents_view, user_id=REQUESTER,
    )  # fmt: skip
    told = slack.fake.wait_for("chat.postMessage", messages + 1)[messages].args
    assert told["channel"] == REQUESTER
    assert told["text"] == "Only agents can close or remove related items."
    slack.settle()
    assert (_items(slack), changes(slack)) == before


def test_another_requester_cannot_open_related_on_an_internal_ticket(slack):
    internal = {InputId.VISIBILITY: {InputId.VISIBILITY: radio("internal")}}
    create_ticket(slack, "Payroll", **internal)
    views = _count(slack, "views.open")
    responses = _count(slack, "response_url")
    card_action(slack, ActionId.RELATED, user_id=OTHER)
    told = slack.fake.wait_for("response_url", responses + 1)[responses].args
    assert told["text"] == "Ticket #1 was not found."
    slack.settle()
    assert _count(slack, "views.open") == views


@pytest.fixture
def no_expenses(database, fake_slack, clock, config) -> Iterator:
    limited = TicketbotConfig.model_validate(
        config.model_dump() | {"modules": {"expense": False, "quote": False}}
    )
    yield from start_scenario(database, fake_slack, clock, limited)


def test_switched_off_kinds_are_neither_offered_nor_shown(no_expenses):
    slack = no_expenses
    create_ticket(slack, "Printer jammed")
    with slack.database.transaction() as session:
        session.add(
            RelatedItem(ticket_id=ticket(slack).id, kind="expense", title="Old taxi",
                        amount_cents=100, currency="EUR", created_by=AGENT,
                        created_at=slack.clock.now())
        )  # fmt: skip
    view = _related(slack)
    add = next(b for b in view["blocks"] if b.get("block_id") == BlockId.RELATED_ADD)
    labels = [e["text"]["text"] for e in add["elements"]]
    assert "+ Expense" not in labels and "+ Quote" not in labels and "+ Activity" in labels
    assert "Old taxi" not in texts(view["blocks"])
    assert "Expense" not in everything(command(slack, "show 1", user_id=AGENT))
    with slack.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RelatedItem)) == 1


def test_hostile_text_in_items_stays_text(slack):
    create_ticket(slack, "Printer jammed")
    hostile = "<!channel> *pwn* <@U0AGT0002> & co"
    redrawn, card = _submit(
        slack,
        _add_form(slack, _related(slack), "email"),
        {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain(hostile)},
         InputId.ITEM_REFERENCE: {InputId.ITEM_REFERENCE: plain(hostile)},
         InputId.ITEM_DETAILS: {InputId.ITEM_DETAILS: plain(hostile * 50)}},
    )  # fmt: skip
    shown = texts(redrawn["view"]["blocks"])
    assert "&lt;!channel&gt; *pwn* &lt;@U0AGT0002&gt; &amp; co" in shown
    assert "<!channel>" not in shown and "<@U0AGT0002>" not in shown
    assert "<!channel>" not in str(card["blocks"])


def test_an_item_added_after_the_related_modal_was_closed_still_lands(slack):
    create_ticket(slack, "Printer jammed")
    form = _add_form(slack, _related(slack), "activity")
    # The Related modal under the form is gone (closed on another device, say).
    orphan = form | {"private_metadata": '{"number": 1, "kind": "activity", '
                                          '"parent_view_id": "V99999999"}'}  # fmt: skip
    cards = card_updates(slack)
    posts = _count(slack, "chat.postMessage")
    values = {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Call back")}}
    assert slack.send.view_submission(orphan, values, user_id=AGENT).text in ("", "null")
    card_updated(slack, cards)
    slack.settle()
    assert _items(slack) == [("activity", "Call back")]
    failed = [c for c in slack.fake.calls("views.update") if c.failed]
    assert [c.error for c in failed] == ["not_found"]
    assert not slack.fake.calls("chat.postMessage")[posts:]  # no error message to anyone


@pytest.fixture
def in_dollars(database, fake_slack, clock, config) -> Iterator:
    dollars = TicketbotConfig.model_validate(config.model_dump() | {"currency": "usd"})
    yield from start_scenario(database, fake_slack, clock, dollars)


def test_an_expense_added_without_typing_a_currency_is_in_the_teams_currency(in_dollars):
    slack = in_dollars
    create_ticket(slack, "Printer jammed")
    form = _add_form(slack, _related(slack), "expense")
    currency = next(b for b in form["blocks"] if b.get("block_id") == InputId.ITEM_CURRENCY)
    assert currency["element"]["initial_value"] == "USD"

    # The currency left as the form offered it: Slack reports the initial value.
    taxi = {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Taxi")},
            InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("23,40")}}  # fmt: skip
    redrawn, _card = _submit(slack, form, taxi)
    assert "*Taxi* · 23.40 USD" in texts(redrawn["view"]["blocks"])
    # Emptied before Add: still the team's currency.
    toner = {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Toner")},
             InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("40")},
             InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain(None)}}  # fmt: skip
    redrawn, _card = _submit(slack, _add_form(slack, redrawn["response"], "expense"), toner)
    # Typed: what was typed wins.
    hotel = {InputId.ITEM_TITLE: {InputId.ITEM_TITLE: plain("Hotel")},
             InputId.ITEM_AMOUNT: {InputId.ITEM_AMOUNT: plain("90")},
             InputId.ITEM_CURRENCY: {InputId.ITEM_CURRENCY: plain("gbp")}}  # fmt: skip
    redrawn, _card = _submit(slack, _add_form(slack, redrawn["response"], "expense"), hotel)
    assert ":receipt: *Expense* (3) · 90.00 GBP, 63.40 USD" in texts(redrawn["view"]["blocks"])
    with slack.database.transaction() as session:
        rows = session.scalars(select(RelatedItem).order_by(RelatedItem.id))
        assert [(r.title, r.amount_cents, r.currency) for r in rows] == [
            ("Taxi", 2340, "USD"), ("Toner", 4000, "USD"), ("Hotel", 9000, "GBP")
        ]  # fmt: skip
