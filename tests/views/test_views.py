"""Every view builder: its shape, Slack's limits, and hostile user text.

Views are pure, so tickets are built in memory (no database) and the output is checked with
the rules the fake Slack applies to what the bot sends (tests.support.blockkit).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.blockkit import message_problems, view_problems
from tests.support.samples import (
    AGENT,
    CARD_LINK,
    CLOSED,
    HOSTILE,
    MARK,
    NOW,
    ON_TRACK,
    PINGS,
    REQUESTER,
    TITLE,
    blocks_by_id,
    comment,
    entries,
    hostile_ticket,
    link,
    party,
    texts,
    ticket,
)
from ticketbot.ids import (
    ActionId,
    CallbackId,
    InputId,
    ticket_block_id,
    ticket_number_from_block,
)
from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.services.history import TimelineEntry
from ticketbot.views import card, forms, history, home, lists, notices, options, related
from ticketbot.views.text import ELLIPSIS, safe
from ticketbot.vocabulary import Engagement, Priority, Status, Visibility


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def problems(kind: str, payload: dict) -> list:
    """What Slack would object to in a message, a modal, App Home or select options."""
    if kind == "options":  # external-select options follow a static select's option rules
        select = {"type": "static_select", "action_id": "probe", "options": payload["options"]}
        payload = {"text": "probe", "blocks": [section("probe", accessory=select)]}
    if kind in ("message", "options"):
        return message_problems(payload)
    return view_problems(payload, "views.publish" if kind == "home" else "views.open")


# --- The card and /ticket show -------------------------------------------------------------


def test_ticket_card_shows_every_field_and_the_controls():
    payload = card.ticket_card(ticket(), ON_TRACK)
    assert problems("message", payload) == []
    assert payload["text"] == f"#7 {TITLE}"
    assert [b["type"] for b in payload["blocks"]] == [
        "header", "section", "section", "context", "actions"
    ]  # fmt: skip
    assert payload["blocks"][0]["text"]["text"] == f"#7 {TITLE}"
    labels = [f["text"].split("\n")[0] for f in payload["blocks"][1]["fields"]]
    assert labels == [
        "*Status*", "*Priority*", "*Engagement*", "*Deadline*", "*Category*",
        "*Assignee*", "*Requester*", "*Related to*", "*Product*",
    ]  # fmt: skip
    values = [f["text"].split("\n", 1)[1] for f in payload["blocks"][1]["fields"]]
    assert values[0] == ":large_blue_circle: Open"
    assert values[5:8] == [f"<@{AGENT}>", f"<@{REQUESTER}>", "Account: Acme"]
    controls = payload["blocks"][-1]
    assert controls["block_id"] == ticket_block_id(7)
    assert [e["action_id"] for e in controls["elements"]] == [
        ActionId.STATUS, ActionId.ASSIGN, ActionId.EDIT,
        ActionId.COMMENT, ActionId.HISTORY, ActionId.RELATED,
        ActionId.REPLY_TO_REQUESTER, ActionId.FOLLOW,
    ]  # fmt: skip
    assert controls["elements"][0]["initial_option"]["value"] == Status.OPEN
    assert controls["elements"][1]["initial_user"] == AGENT
    assert {e.get("value") for e in controls["elements"][2:]} == {"7"}


@pytest.mark.parametrize(
    ("state", "remaining", "words"),
    [
        (SlaState.ON_TRACK, timedelta(hours=3), ":large_green_circle: On track, 3 h left"),
        (SlaState.AT_RISK, timedelta(minutes=45), ":large_orange_circle: At risk, 45 min left"),
        (SlaState.BREACHED, -timedelta(minutes=80), ":red_circle: Breached, overdue by 1 h 20 min"),
        (SlaState.PAUSED, timedelta(days=1, hours=2), ":double_vertical_bar: Paused, 1 d 2 h left"),
    ],
)  # fmt: skip
def test_card_deadline_says_where_the_ticket_stands(state, remaining, words):
    sla = SlaStatus(state, NOW + timedelta(hours=4), remaining)
    payload = card.ticket_card(ticket(), sla)
    deadline = payload["blocks"][1]["fields"][3]["text"]
    assert deadline.startswith(f"*Deadline*\n{words}\n<!date^{int(sla.due_at.timestamp())}^")
    assert problems("message", payload) == []


def test_closed_card_shows_the_solution_and_no_deadline():
    payload = card.ticket_card(ticket(status=Status.CLOSED, solution="New roller."), CLOSED)
    assert payload["blocks"][1]["fields"][3]["text"] == "*Deadline*\n—"
    assert "*Solution*\nNew roller." in [b.get("text", {}).get("text") for b in payload["blocks"]]
    internal = card.ticket_card(ticket(visibility=Visibility.INTERNAL, party=None), ON_TRACK)
    assert internal["blocks"][1]["fields"][7]["text"] == "*Related to*\n—"
    assert internal["blocks"][3]["elements"][0]["text"].startswith(":lock: Internal")


def test_ticket_detail_with_long_comments_and_links_fits_one_message():
    long_comments = [comment(f"Step {i}: " + "checked the tray. " * 200) for i in range(5)]
    links = [link(i, CARD_LINK if i % 2 else None) for i in range(10)]
    payload = card.ticket_detail(
        ticket(), ON_TRACK, comments=long_comments, links=links, card_link=CARD_LINK
    )
    assert problems("message", payload) == []
    assert len(payload["blocks"]) < 50
    assert payload["text"] == f"#7 {TITLE}"
    notes = [b["elements"][1]["text"] for b in payload["blocks"][4:] if b["type"] == "context"]
    assert len(notes) == 5 and all(n.endswith(ELLIPSIS) and len(n) <= 1000 for n in notes)
    linked = next(b for b in payload["blocks"] if "Linked conversations" in str(b))
    assert linked["text"]["text"].count("\n•") == 10
    share = payload["blocks"][-1]
    assert share["block_id"] == ticket_block_id(7, "share")
    assert [e["action_id"] for e in share["elements"]] == [ActionId.SHARE, ActionId.OPEN_LINK]
    assert share["elements"][1]["url"] == CARD_LINK
    shared = card.ticket_detail(ticket(), ON_TRACK, comments=[], links=[], shared=True)
    assert [b["type"] for b in shared["blocks"]] == ["header", "section", "section", "context"]
    crowded = card.ticket_detail(ticket(), ON_TRACK, comments=[comment()] * 80, links=[])
    assert len(crowded["blocks"]) == 50 and problems("message", crowded) == []


# --- Modals --------------------------------------------------------------------------------

FORM_BLOCKS = [
    InputId.TITLE, InputId.DESCRIPTION, InputId.PRIORITY, InputId.ENGAGEMENT, InputId.CATEGORY,
    InputId.ASSIGNEE, InputId.PARTY, InputId.PRODUCT, InputId.VISIBILITY,
]  # fmt: skip


def test_create_modal_asks_for_every_field():
    view = forms.create_modal(
        categories=["Hardware", "Network"], products=[], metadata='{"c":"C1"}',
        title=TITLE, note="The message will be linked to the new ticket.",
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["title"]["text"]) == (CallbackId.CREATE_MODAL, "New ticket")
    assert (view["submit"]["text"], view["private_metadata"]) == ("Create", '{"c":"C1"}')
    assert view["blocks"][0]["type"] == "context"
    assert [b["block_id"] for b in view["blocks"][1:]] == FORM_BLOCKS
    by_id = blocks_by_id(view)
    assert all(by_id[b]["element"]["action_id"] == InputId(b.value) for b in FORM_BLOCKS)
    assert by_id[InputId.TITLE]["element"]["initial_value"] == TITLE
    assert by_id[InputId.CATEGORY]["element"]["type"] == "static_select"
    assert by_id[InputId.PRODUCT]["element"]["type"] == "plain_text_input"
    assert by_id[InputId.PRIORITY]["element"]["initial_option"]["value"] == Priority.NORMAL
    assert by_id[InputId.VISIBILITY]["element"]["initial_option"]["value"] == Visibility.PUBLIC


def test_edit_modal_starts_from_the_ticket():
    view = forms.edit_modal(
        ticket(category="Old category", solution="Reboot."),
        categories=["Hardware"], products=["Printers"], metadata="{}",
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["title"]["text"]) == (CallbackId.EDIT_MODAL, "Edit #7")
    by_id = blocks_by_id(view)
    assert list(by_id) == [*FORM_BLOCKS, InputId.SOLUTION]
    assert by_id[InputId.PRIORITY]["element"]["initial_option"]["value"] == Priority.HIGH
    assert by_id[InputId.ENGAGEMENT]["element"]["initial_option"]["value"] == Engagement.H4
    assert by_id[InputId.CATEGORY]["element"]["initial_option"]["value"] == "Old category"
    assert by_id[InputId.PARTY]["element"]["initial_option"]["text"]["text"] == "Account: Acme"
    assert by_id[InputId.ASSIGNEE]["element"]["initial_user"] == AGENT
    assert by_id[InputId.SOLUTION]["element"]["initial_value"] == "Reboot."


@pytest.mark.parametrize(
    ("build", "callback_id", "title", "block_id"),
    [
        (forms.close_modal, CallbackId.CLOSE_MODAL, "Close #7", InputId.SOLUTION),
        (forms.comment_modal, CallbackId.COMMENT_MODAL, "Comment on #7", InputId.COMMENT_TEXT),
    ],
)
def test_close_and_comment_modals_require_their_text(build, callback_id, title, block_id):
    view = build(ticket(), metadata="{}")
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["title"]["text"]) == (callback_id, title)
    assert view["blocks"][0]["text"]["text"] == f"*#7 {TITLE}*"
    assert view["blocks"][1]["block_id"] == block_id and view["blocks"][1]["optional"] is False
    assert view["blocks"][1]["element"]["action_id"] == InputId(block_id.value)


def test_link_modal_quotes_the_message_and_offers_a_ticket_picker():
    view = forms.link_modal(metadata="{}", excerpt="Printer is down again")
    assert view_problems(view, "views.open") == []
    assert view["callback_id"] == CallbackId.LINK_MODAL
    assert view["blocks"][0]["elements"][0]["text"] == "Message: Printer is down again"
    picker = view["blocks"][1]
    assert picker["block_id"] == InputId.TICKET_PICKER
    assert picker["element"]["action_id"] == InputId.TICKET_PICKER


def test_history_modal_pages_through_a_long_history():
    view = history.history_modal(ticket(), entries(history.PAGE_SIZE), page=3, total=1000)
    assert view_problems(view, "views.open") == []
    assert len(view["blocks"]) <= 100
    assert (view["callback_id"], view["title"]["text"]) == (
        CallbackId.HISTORY_MODAL,
        "Ticket history",
    )
    assert view["blocks"][0]["text"]["text"] == f"*#7 {TITLE}*"
    assert view["blocks"][-2]["elements"][0]["text"] == "Page 4 of 25"
    pager = view["blocks"][-1]
    assert ticket_number_from_block(pager["block_id"]) == 7
    assert [(e["action_id"], e["value"]) for e in pager["elements"]] == [
        (ActionId.HISTORY_PREVIOUS, "2"), (ActionId.HISTORY_NEXT, "4"),
    ]  # fmt: skip
    first = history.history_modal(ticket(), entries(40), page=0, total=1000)["blocks"][-1]
    last = history.history_modal(ticket(), entries(40), page=24, total=1000)["blocks"][-1]
    assert [e["action_id"] for e in first["elements"]] == [ActionId.HISTORY_NEXT]
    assert [e["action_id"] for e in last["elements"]] == [ActionId.HISTORY_PREVIOUS]


def test_history_lines_speak_in_labels_and_mentions():
    changes = [
        TimelineEntry("change", NOW, AGENT, "status", "open", "closed"),
        TimelineEntry("change", NOW, AGENT, "assignee", None, AGENT),
        TimelineEntry("change", NOW, AGENT, "party", None, "account:Acme"),
        TimelineEntry("change", NOW, AGENT, "link", None, CARD_LINK),
    ]
    view = history.history_modal(ticket(), changes, page=0, total=4)
    assert view_problems(view, "views.open") == []
    lines = [b["elements"][0]["text"].split(">", 1)[1] for b in view["blocks"][2:]]
    assert lines == [
        f" <@{AGENT}> *Status*: Open → Closed",
        f" <@{AGENT}> *Assignee*: — → <@{AGENT}>",
        f" <@{AGENT}> *Related to*: — → Account: Acme",
        f" <@{AGENT}> *Linked conversation*: — → <{CARD_LINK}|message>",
    ]
    empty = history.history_modal(ticket(), [], page=0, total=0)
    assert empty["blocks"][-1]["text"]["text"] == "No changes or comments yet."


def test_related_modal_lists_party_product_and_links():
    view = related.related_modal(ticket(), [link(1), link(2, None)])
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["title"]["text"]) == (CallbackId.RELATED_MODAL, "Related #7")
    texts = [b.get("text", {}).get("text") for b in view["blocks"]]
    assert texts[:3] == [f"*#7 {TITLE}*", "*Related to*\nAccount: Acme", "*Product*\nPrinters"]
    assert view["blocks"][-2]["elements"][0]["text"].startswith(f"<{CARD_LINK}|Message> · ")
    assert view["blocks"][-1]["elements"][0]["text"].startswith("C0GENERAL1 · linked by")
    crowded = related.related_modal(ticket(), [link(i) for i in range(500)])
    assert view_problems(crowded, "views.open") == [] and len(crowded["blocks"]) <= 100


# --- Messages, App Home and options ----------------------------------------------------------


def test_ticket_list_shows_twenty_rows_with_a_show_button():
    items = [(ticket(number=n), ON_TRACK) for n in range(1, 26)]
    payload = lists.ticket_list("Open tickets", items, empty="No open tickets.")
    assert problems("message", payload) == []
    assert payload["text"] == "Open tickets: 25"
    assert payload["blocks"][0]["text"]["text"] == "Open tickets"
    rows = payload["blocks"][1:-1]
    assert len(rows) == lists.LIST_LIMIT
    assert rows[0]["text"]["text"] == (
        f":large_blue_circle: *#1* {TITLE} · Open · High · <@{AGENT}> · "
        ":large_green_circle: 3 h left"
    )
    show = rows[0]["accessory"]
    assert (show["action_id"], show["value"]) == (ActionId.SHOW_TICKET, "1")
    assert "Showing the first 20" in payload["blocks"][-1]["elements"][0]["text"]
    empty = lists.ticket_list("Open tickets", [], empty="No open tickets.")
    assert empty == {"text": "No open tickets.", "blocks": [section("No open tickets.")]}


def test_help_confirmation_pointer_and_echo_messages():
    button = {"type": "button", "text": {"type": "plain_text", "text": "Open card", "emoji": True}}
    created = lists.created_confirmation(ticket(), CARD_LINK)
    open_card = {**button, "action_id": ActionId.OPEN_LINK, "url": CARD_LINK}
    text = f":white_check_mark: Ticket *#7* created: {TITLE}"
    assert created == {"text": "Ticket #7 created", "blocks": [section(text, accessory=open_card)]}
    assert "accessory" not in lists.created_confirmation(ticket(), None)["blocks"][0]
    pointer = lists.pointer_reply(ticket(), CARD_LINK, verb="Linked to")
    text = f":ticket: Linked to <{CARD_LINK}|#7>: {TITLE}"
    assert pointer == {"text": "Linked to #7", "blocks": [section(text)]}
    echo = lists.comment_echo(AGENT, "Roller replaced.")
    text = f":speech_balloon: <@{AGENT}>: Roller replaced."
    assert echo == {"text": f"Comment from <@{AGENT}>", "blocks": [section(text)]}
    helps = lists.help_message()
    assert helps["text"] == "How to use /ticket"
    assert "`/ticket show N`, `/ticket N`, `#N`" in helps["blocks"][0]["text"]["text"]
    raised = lists.pointer_reply(ticket(), None, verb="Raised")
    for payload in (created, pointer, echo, helps, raised):
        assert problems("message", payload) == []


def test_notice_is_one_section():
    text = "Ticket *#7* not found."
    assert notices.notice(text) == {"text": text, "blocks": [section(text)]}
    assert problems("message", notices.notice("x" * 10_000)) == []


def test_home_view_with_many_tickets_stays_under_100_blocks():
    many = [(ticket(number=n), ON_TRACK) for n in range(1, 201)]
    view = home.home_view(mine=many, assigned=many, at_risk=many)
    assert view_problems(view, "views.publish") == []
    assert len(view["blocks"]) < 100
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["My tickets", "Assigned to me", "At risk of missing the deadline"]
    assert view["blocks"][1]["elements"][0]["action_id"] == ActionId.NEW_TICKET
    mores = [b for b in view["blocks"] if "And more: use /ticket list." in str(b)]
    assert len(mores) == 3
    requester = home.home_view(mine=[], assigned=None, at_risk=None)
    assert view_problems(requester, "views.publish") == []
    assert requester["blocks"][-1]["elements"][0]["text"] == "You have no open tickets."


def test_options_offer_parties_new_names_and_tickets():
    found = options.party_options([party("Acme")], "  acme ")
    assert problems("options", found) == []
    assert [(o["text"]["text"], o["value"]) for o in found["options"]] == [
        ("Account: Acme", "3"), ("➕ New contact: acme", "new:contact:acme"),
        ("➕ New supplier: acme", "new:supplier:acme"), ("➕ New asset: acme", "new:asset:acme"),
    ]  # fmt: skip
    assert options.party_options([], "   ") == {"options": []}
    found = options.ticket_options([ticket(), ticket(number=8, status=Status.CLOSED)])
    assert problems("options", found) == []
    pairs = [(o["text"]["text"], o["value"]) for o in found["options"]]
    assert pairs == [(f"#7 {TITLE}", "7"), (f"#8 {TITLE} ✓", "8")]


# --- Hostile user text -----------------------------------------------------------------------

HOSTILE_CASES = {
    "ticket_card": ("message", lambda: card.ticket_card(hostile_ticket(), CLOSED)),
    "ticket_detail": ("message", lambda: card.ticket_detail(
        hostile_ticket(), CLOSED, comments=[comment(HOSTILE)] * 5, links=[link()])),
    "create_modal": ("modal", lambda: forms.create_modal(
        categories=[], products=[], metadata="{}", title=HOSTILE, description=HOSTILE)),
    "edit_modal": ("modal", lambda: forms.edit_modal(
        hostile_ticket(), categories=["Hardware"], products=[], metadata="{}")),
    "close_modal": ("modal", lambda: forms.close_modal(hostile_ticket(), metadata="{}")),
    "comment_modal": ("modal", lambda: forms.comment_modal(hostile_ticket(), metadata="{}")),
    "link_modal": ("modal", lambda: forms.link_modal(metadata="{}", excerpt=HOSTILE)),
    "history_modal": ("modal", lambda: history.history_modal(hostile_ticket(), [
        *entries(38, HOSTILE),
        TimelineEntry("change", NOW, AGENT, "title", HOSTILE, HOSTILE),
        TimelineEntry("change", NOW, AGENT, "party", None, f"account:{HOSTILE}"),
    ], page=1, total=1000)),
    "related_modal": ("modal", lambda: related.related_modal(hostile_ticket(), [link()])),
    "ticket_list": ("message", lambda: lists.ticket_list(
        "Open tickets", [(hostile_ticket(), CLOSED)] * 30, empty="-")),
    # /ticket search puts the words typed into the list title.
    "ticket_list_title": ("message", lambda: lists.ticket_list(
        f"Tickets matching “{HOSTILE}”", [(ticket(), ON_TRACK)], empty="-")),
    "created_confirmation": ("message", lambda: lists.created_confirmation(hostile_ticket(), None)),
    "pointer_reply": ("message", lambda: lists.pointer_reply(hostile_ticket(), None, verb="To")),
    "comment_echo": ("message", lambda: lists.comment_echo(AGENT, HOSTILE)),
    "notice": ("message", lambda: notices.notice(f"I did not understand “{safe(HOSTILE, 200)}”.")),
    "home_view": ("home", lambda: home.home_view(
        mine=[(hostile_ticket(), CLOSED)] * 20, assigned=[(hostile_ticket(), ON_TRACK)] * 20,
        at_risk=[])),
    "party_options": ("options", lambda: options.party_options([party(HOSTILE)], HOSTILE)),
    "ticket_options": ("options", lambda: options.ticket_options([hostile_ticket()] * 3)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_text_is_cut_escaped_and_accepted(name):
    kind, build = HOSTILE_CASES[name]
    payload = build()
    assert problems(kind, payload) == []
    showing = [t for t in texts(payload) if MARK in t]
    assert showing, "the user's text should appear somewhere"
    for text in showing:
        assert ELLIPSIS in text and len(text) < len(HOSTILE)
    for text in texts(payload, types=("mrkdwn",)):
        leaked = [ping for ping in PINGS if ping in text]
        assert not leaked, f"{leaked} unescaped in {text[:120]!r}"


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=400), description=st.text(max_size=4000))
def test_any_title_and_description_make_a_valid_card(title, description):
    payload = card.ticket_card(ticket(title=title, description=description), ON_TRACK)
    assert message_problems(payload) == []
