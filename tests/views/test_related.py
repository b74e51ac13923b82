"""Views of related items and the FAQ: shapes, Slack's limits, hostile text.

Built in memory (no database) and checked with the rules the fake Slack applies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.blockkit import message_problems, view_problems
from tests.support.samples import (
    CARD_LINK,
    CLOSED,
    HOSTILE,
    MARK,
    NOW,
    ON_TRACK,
    PINGS,
    blocks_by_id,
    hostile_ticket,
    link,
    texts,
    ticket,
)
from ticketbot.ids import ActionId, BlockId, CallbackId, InputId, related_add_action
from ticketbot.services.faq import FaqHit
from ticketbot.services.related import RelatedGroup, RelatedSummary
from ticketbot.services.related_input import PARTS
from ticketbot.store.models import FaqEntry, RelatedItem
from ticketbot.views import card, faq, forms, history, lists, related, related_form
from ticketbot.views.related_text import ICONS, counts_text, item_line, money
from ticketbot.views.text import ELLIPSIS
from ticketbot.vocabulary import RelatedKind, Status, Visibility

TODAY = date(2026, 11, 23)


def item(kind=RelatedKind.ACTIVITY, id=1, **values) -> RelatedItem:
    values.setdefault("title", f"A {kind.value}")
    return RelatedItem(
        id=id, ticket_id=1, kind=kind.value, created_by="U0AGT0001", created_at=NOW, **values
    )


def group(kind, count, done=False, total=None, **values) -> RelatedGroup:
    items = [item(kind, id=i, **values) for i in range(1, count + 1)]
    return RelatedGroup(kind, done, items, total if total is not None else count)


def hit(question="Printer jammed", answer="Open tray 2.", number=7, link=CARD_LINK) -> FaqHit:
    entry = FaqEntry(id=1, workspace_id="T0TEAM001", question=question, answer=answer,
                     visibility=Visibility.PUBLIC, created_by="U0AGT0001", created_at=NOW,
                     updated_at=NOW)  # fmt: skip
    return FaqHit(entry, number, link)


def lines(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


# --- The Related modal -----------------------------------------------------------------------


def test_related_modal_lists_items_by_kind_with_their_controls():
    groups = [
        RelatedGroup(RelatedKind.ACTIVITY, False, [item(id=1, title="Call", due_on=TODAY)], 1),
        RelatedGroup(RelatedKind.ACTIVITY, True,
                     [item(id=2, title="Order", closed_at=NOW)], 1),
        RelatedGroup(RelatedKind.EXPENSE, False, [item(RelatedKind.EXPENSE, id=3, title="Taxi",
                     amount_cents=1250, currency="EUR")], 1),
    ]  # fmt: skip
    summary = RelatedSummary({RelatedKind.ACTIVITY: 2, RelatedKind.EXPENSE: 1}, 1, 0,
                             {"EUR": 1250})  # fmt: skip
    view = related.related_modal(
        ticket(), [link()], groups=groups, summary=summary, manage=True, today=TODAY,
        addable=[RelatedKind.ACTIVITY, RelatedKind.EXPENSE], metadata='{"number":7}',
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["private_metadata"]) == (CallbackId.RELATED_MODAL,
                                                               '{"number":7}')  # fmt: skip
    add = blocks_by_id(view)[BlockId.RELATED_ADD]
    assert [(e["action_id"], e["text"]["text"]) for e in add["elements"]] == [
        (related_add_action("activity"), "+ Activity"),
        (related_add_action("expense"), "+ Expense"),
    ]  # fmt: skip
    text = lines(view)
    assert ":spiral_calendar_pad: *Activity* (1)" in text
    assert ":spiral_calendar_pad: *Activity history* (1)" in text
    assert ":receipt: *Expense* (1) · 12.50 EUR" in text
    menus = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("type")]
    assert [[o["value"] for o in m["options"]] for m in menus] == [
        ["close:1", "remove:1"], ["remove:2"], ["remove:3"],
    ]  # fmt: skip
    assert all(m["action_id"] == ActionId.RELATED_ITEM for m in menus)
    # Linked conversations stay last.
    assert view["blocks"][-1]["elements"][0]["text"].startswith(f"<{CARD_LINK}|Message> · ")


def test_a_requester_gets_no_menus_and_only_the_add_buttons_allowed():
    view = related.related_modal(
        ticket(), [], groups=[group(RelatedKind.DOCUMENT, 2, url="https://x.test/a?b=1&c=2")],
        addable=[RelatedKind.DOCUMENT], manage=False,
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    assert not [b for b in view["blocks"] if "accessory" in b]
    assert "<https://x.test/a?b=1&amp;c=2|A document>" in "\n".join(lines(view))
    nothing = related.related_modal(ticket(), [])
    assert BlockId.RELATED_ADD not in blocks_by_id(nothing)


def test_many_items_of_every_kind_fit_in_100_blocks_with_and_n_more():
    groups = [group(kind, 90, total=500) for kind in RelatedKind]
    groups.insert(1, group(RelatedKind.ACTIVITY, 3, done=True))
    view = related.related_modal(
        ticket(), [link(i) for i in range(60)], groups=groups, manage=True, today=TODAY,
        addable=list(RelatedKind),
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    assert len(view["blocks"]) <= 100
    text = texts(view)
    assert sum("And 500" not in t and t.startswith("And ") for t in text) >= 10
    # The small group shows whole; the others share the rest evenly.
    assert ":spiral_calendar_pad: *Activity history* (3)" in lines(view)
    assert "And 50 more." in text  # sixty links, ten shown
    assert related.share([3, 90, 90], 43) == [3, 20, 20]
    assert related.share([1, 1], 0) == [0, 0]


@pytest.mark.parametrize("kind", list(RelatedKind))
def test_every_kind_renders_its_essentials(kind):
    line = item_line(
        item(kind, title="Thing", reference="REF-1", url="https://x.test/t", details="Notes here",
             amount_cents=123456, currency="USD", due_on=TODAY - timedelta(days=1), minutes=95,
             worked_on=TODAY, worker_id="U0AGT0002"),
        TODAY,
    )  # fmt: skip
    assert line.startswith(f"{ICONS[kind]} <https://x.test/t|Thing>")
    assert "REF-1" in line and "1234.56 USD" in line and "> Notes here" in line
    assert "overdue since 2026-11-22" in line
    assert ("1 h 35 min · <@U0AGT0002> · 2026-11-23" in line) == (kind is RelatedKind.TIMESHEET)
    epoch = int(NOW.timestamp())
    assert line.endswith(
        f"added by <@U0AGT0001> <!date^{epoch}^{{date_short}}|Nov 23, 2026 9:00\u202fAM UTC>"
    )
    assert money(5, None) == "0.05"


def test_hostile_item_text_is_escaped_and_cut():
    hostile = item(RelatedKind.EMAIL, title=HOSTILE, reference=HOSTILE, details=HOSTILE)
    view = related.related_modal(
        hostile_ticket(), [link()], groups=[RelatedGroup(RelatedKind.EMAIL, False,
        [hostile] * 60, 60)], manage=True,
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    for text in texts(view, types=("mrkdwn",)):
        assert not [ping for ping in PINGS if ping in text], text[:120]
    showing = [t for t in texts(view) if MARK in t]
    assert showing and all(ELLIPSIS in t for t in showing)


# --- The add form ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RelatedKind))
def test_the_add_form_fits_the_kind(kind):
    view = related_form.item_form(
        ticket(title=HOSTILE), kind, metadata="{}", today=TODAY, user_id="U0AGT0001"
    )
    assert view_problems(view, "views.push") == []
    assert (view["callback_id"], view["submit"]["text"]) == (CallbackId.RELATED_ITEM_MODAL, "Add")
    ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    expected = {
        RelatedKind.ACTIVITY: ["item_title", "item_due_on", "item_details"],
        RelatedKind.DOCUMENT: ["item_title", "item_file", "item_url"],
        RelatedKind.EXPENSE: ["item_title", "item_amount", "item_currency", "item_reference"],
        RelatedKind.TIMESHEET: ["item_title", "item_minutes", "item_worked_on", "item_worker"],
        RelatedKind.EMAIL: ["item_title", "item_reference", "item_details"],
    }
    if kind in expected:
        assert ids == expected[kind]
    assert set(ids) <= set(related_form.FIELD_BLOCKS.values()) and len(PARTS[kind]) >= 1
    by_id = blocks_by_id(view)
    assert by_id[InputId.ITEM_TITLE]["optional"] is (kind is RelatedKind.DOCUMENT)
    if kind is RelatedKind.TIMESHEET:
        assert by_id[InputId.ITEM_WORKED_ON]["element"]["initial_date"] == "2026-11-23"
        assert by_id[InputId.ITEM_WORKER]["element"]["initial_user"] == "U0AGT0001"
        assert by_id[InputId.ITEM_MINUTES]["element"]["type"] == "number_input"
    if kind is RelatedKind.EXPENSE:
        assert by_id[InputId.ITEM_AMOUNT]["optional"] is False
    assert len(view["title"]["text"]) <= 24


@pytest.mark.parametrize(
    "kind", [RelatedKind.EXPENSE, RelatedKind.QUOTE, RelatedKind.PURCHASE_ORDER]
)
def test_an_amount_starts_in_the_teams_currency(kind):
    view = related_form.item_form(
        ticket(), kind, metadata="{}", today=TODAY, user_id="U0AGT0001", currency="USD"
    )
    assert view_problems(view, "views.push") == []
    block = blocks_by_id(view)[InputId.ITEM_CURRENCY]
    assert block["element"]["initial_value"] == "USD"
    assert block["element"]["placeholder"]["text"] == "USD"
    # Emptied, the currency is the team's (services.related_input), so it is never required.
    assert block["optional"] is True
    unset = related_form.item_form(ticket(), kind, metadata="{}", today=TODAY, user_id="U0AGT0001")
    assert blocks_by_id(unset)[InputId.ITEM_CURRENCY]["element"]["initial_value"] == "EUR"


# --- Card, /ticket show and history ------------------------------------------------------------


def test_the_card_counts_related_items_and_offers_the_faq_when_solved():
    summary = RelatedSummary({RelatedKind.ACTIVITY: 2, RelatedKind.TIMESHEET: 3}, 1, 135)
    solved = ticket(status=Status.CLOSED, solution="New roller.")
    payload = card.ticket_card(solved, CLOSED, related=summary, faq_button=True)
    assert message_problems(payload) == []
    note = payload["blocks"][-2]["elements"][0]["text"]
    assert note == ":paperclip: Related: Activity 2 · Timesheet 3 · Time spent 2 h 15 min"
    controls = payload["blocks"][-1]
    assert controls["elements"][-1]["action_id"] == ActionId.FAQ_CONVERT
    assert controls["elements"][-1]["value"] == "7"
    done = card.ticket_card(solved, CLOSED, faq_button=True, in_faq=True)
    assert done["blocks"][-2]["elements"][0]["text"] == ":books: In the FAQ"
    assert ActionId.FAQ_CONVERT not in str(done["blocks"][-1])
    plain = card.ticket_card(ticket(), ON_TRACK, related=RelatedSummary())
    assert [b["type"] for b in plain["blocks"]][-2:] == ["context", "actions"]
    assert "Related:" not in str(plain)


def test_ticket_detail_escapes_related_counts_and_shows_time_spent():
    payload = card.ticket_detail(
        ticket(), ON_TRACK, comments=[], links=[],
        related_counts={RelatedKind.DOCUMENT: 2, "<!channel> & co": 1, RelatedKind.QUOTE: 0},
        time_spent_minutes=50, faq_button=False,
    )  # fmt: skip
    assert message_problems(payload) == []
    note = next(b for b in payload["blocks"] if ":paperclip:" in str(b))["elements"][0]["text"]
    assert (
        note == ":paperclip: Related: Document 2 · &lt;!channel&gt; &amp; co 1 · Time spent 50 min"
    )
    assert counts_text({}) == ""


def test_history_reads_related_and_faq_lines():
    assert history.field_value("related", "expense:Taxi <!here>") == "Expense: Taxi &lt;!here&gt;"
    assert history.field_value("related", "activity/done:Call") == "Activity (done): Call"
    assert history.field_value("related", "mystery:x") == "mystery:x"
    assert history.field_value("faq", "Printer jammed") == "Printer jammed"
    assert history.field_name("related") == "Related item"
    assert history.field_name("faq") == "FAQ entry"


# --- The FAQ -----------------------------------------------------------------------------------


def test_faq_modal_is_prefilled_from_the_ticket():
    solved = ticket(status=Status.CLOSED, solution="Reseat tray 2.", visibility=Visibility.INTERNAL)
    view = faq.faq_modal(solved, metadata='{"number":7}')
    assert view_problems(view, "views.open") == []
    by_id = blocks_by_id(view)
    question = by_id[InputId.FAQ_QUESTION]["element"]["initial_value"]
    assert question == "Printer on floor 3 is jammed\n\nPaper stuck in tray 2."
    assert by_id[InputId.FAQ_ANSWER]["element"]["initial_value"] == "Reseat tray 2."
    assert "only agents and its requester" in "\n".join(texts(view))


def test_faq_list_shows_question_answer_and_source():
    payload = faq.faq_list("FAQ", [hit(), hit(number=None, link=None)] * 6, empty="none")
    assert message_problems(payload) == []
    rows = [b for b in payload["blocks"] if b["type"] == "section"]
    assert len(rows) == faq.LIST_LIMIT
    assert rows[0]["text"]["text"] == (
        f"*Printer jammed*\nOpen tray 2.\n_from ticket <{CARD_LINK}|#7>_"
    )
    assert (rows[0]["accessory"]["action_id"], rows[0]["accessory"]["value"]) == (
        ActionId.SHOW_TICKET, "7",
    )  # fmt: skip
    assert "accessory" not in rows[1]
    assert faq.faq_list("FAQ", [], empty="Nothing.")["blocks"][0]["text"]["text"] == "Nothing."


def test_create_modal_suggests_faq_entries_under_the_title():
    view = forms.create_modal(
        categories=[], products=[], metadata="{}", title="printer", suggestions=[hit()]
    )
    assert view_problems(view, "views.open") == []
    title, suggestions = view["blocks"][0], view["blocks"][1]
    assert title["dispatch_action"] is True
    assert title["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_enter_pressed"]
    }
    assert suggestions["block_id"] == BlockId.FAQ_SUGGESTIONS
    assert suggestions["text"]["text"] == (
        f":bulb: *Maybe answered already*\n• *Printer jammed*: Open tray 2. "
        f"(from ticket <{CARD_LINK}|#7>)"
    )
    none = forms.create_modal(categories=[], products=[], metadata="{}", suggestions=[])
    assert "No FAQ entry matches" in none["blocks"][1]["text"]["text"]
    hostile = forms.create_modal(categories=[], products=[], metadata="{}",
                                 suggestions=[hit(HOSTILE, HOSTILE)] * 3)  # fmt: skip
    assert view_problems(hostile, "views.open") == []
    assert not [p for p in PINGS if p in hostile["blocks"][1]["text"]["text"]]


def test_with_suggestions_keeps_what_the_user_entered():
    opened = forms.create_modal(categories=["Hardware"], products=[], metadata='{"s":1}',
                                title="printer", suggestions=[hit()])  # fmt: skip
    state = {
        InputId.TITLE: {InputId.TITLE: {"type": "plain_text_input", "value": "vpn drops"}},
        InputId.DESCRIPTION: {InputId.DESCRIPTION: {"type": "plain_text_input", "value": "Hi"}},
        InputId.PRIORITY: {InputId.PRIORITY: {"type": "static_select", "selected_option":
                           opened["blocks"][3]["element"]["options"][2]}},
        InputId.CATEGORY: {InputId.CATEGORY: {"type": "static_select", "selected_option": None}},
    }  # fmt: skip
    updated = faq.with_suggestions(
        {**opened, "id": "V1", "hash": "h", "state": {"values": state}}, [hit("VPN drops")], state
    )
    assert view_problems(updated, "views.update") == []
    assert "id" not in updated and updated["private_metadata"] == '{"s":1}'
    by_id = blocks_by_id(updated)
    assert by_id[InputId.TITLE]["element"]["initial_value"] == "vpn drops"
    assert by_id[InputId.DESCRIPTION]["element"]["initial_value"] == "Hi"
    assert by_id[InputId.PRIORITY]["element"]["initial_option"]["value"] == "high"
    assert [b.get("block_id") for b in updated["blocks"]].count(BlockId.FAQ_SUGGESTIONS) == 1
    assert "*VPN drops*" in by_id[BlockId.FAQ_SUGGESTIONS]["text"]["text"]


def test_help_mentions_the_faq():
    assert "`/ticket faq [words]`" in lists.help_message()["blocks"][0]["text"]["text"]


def test_a_closed_item_says_when_in_the_readers_time_zone():
    when = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    closed = item(closed_at=when)
    expected = (
        f"done <!date^{int(when.timestamp())}^{{date_short}}|Nov 24, 2026 11:30\u202fPM UTC>"
    )
    assert expected in item_line(closed)


@pytest.mark.parametrize(
    "build",
    [
        lambda: faq.faq_list(f"FAQ entries matching “{HOSTILE}”", [hit(HOSTILE, HOSTILE)] * 12,
                             empty="-"),
        lambda: faq.faq_modal(hostile_ticket(), metadata="{}"),
        lambda: card.ticket_card(hostile_ticket(), CLOSED, faq_button=True, in_faq=True,
                                 related=RelatedSummary({RelatedKind.EMAIL: 3}, 0, 10**6)),
        lambda: related_form.item_form(hostile_ticket(), RelatedKind.EMAIL, metadata="{}",
                                       today=TODAY, user_id="U0AGT0001"),
    ],
    ids=["faq_list", "faq_modal", "card", "item_form"],
)  # fmt: skip
def test_hostile_faq_and_card_text_is_cut_escaped_and_accepted(build):
    payload = build()
    problems = (
        view_problems(payload, "views.open") if "type" in payload else message_problems(payload)
    )
    assert problems == []
    assert [t for t in texts(payload) if MARK in t], "the user's text should appear somewhere"
    for text in texts(payload, types=("mrkdwn",)):
        assert not [ping for ping in PINGS if ping in text], text[:120]
