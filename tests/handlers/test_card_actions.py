"""The live card's controls end to end: Edit, status, assign, Comment, History, Related, and
the "Related to" picker of the forms."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.slack_payloads import external, plain, radio, static, users
from tests.support.steps import (
    AGENT,
    AGENT_2,
    GENERAL,
    OTHER,
    REQUESTER,
    card_action,
    card_updated,
    card_updates,
    changes,
    choose,
    create_ticket,
    opened,
    texts,
    ticket,
    viewer,
)
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.services import comments, links, tickets
from ticketbot.services.parties import find_or_create_party
from ticketbot.store.models import Comment, Party, Ticket
from ticketbot.vocabulary import PartyKind, Priority, Status

FULL = {
    InputId.DESCRIPTION: {InputId.DESCRIPTION: plain("Tray 2 eats paper")},
    InputId.ENGAGEMENT: {InputId.ENGAGEMENT: static("8h")},
    InputId.CATEGORY: {InputId.CATEGORY: static("Hardware")},
    InputId.ASSIGNEE: {InputId.ASSIGNEE: users(AGENT)},
    InputId.PARTY: {InputId.PARTY: external("new:account:ACME", "➕ New account: ACME")},
    InputId.PRODUCT: {InputId.PRODUCT: plain("LaserJet 4000")},
    InputId.VISIBILITY: {InputId.VISIBILITY: radio("internal")},
}


def _with_db(slack, number: int, work) -> None:
    with slack.database.transaction() as session:
        work(session, session.scalars(select(Ticket).where(Ticket.number == number)).one())


_updates = card_updates  # the card's, not the requester's status message's
_wait_for_update = card_updated


def _edit_modal(slack, *, user_id: str = AGENT) -> dict:
    return opened(slack, lambda: card_action(slack, ActionId.EDIT, user_id=user_id))


def test_edit_opens_the_form_with_every_field_and_the_solution(slack):
    create_ticket(slack, "Printer jammed", priority="high", **FULL)
    _with_db(
        slack,
        1,
        lambda session, found: tickets.change_status(
            session=session,
            ticket=found,
            status=Status.CLOSED,
            solution="New roller",
            viewer=viewer(AGENT),
            now=slack.clock.now(),
            policy=slack.runtime.policy,
        ),
    )
    view = _edit_modal(slack)

    assert view["callback_id"] == CallbackId.EDIT_MODAL
    assert view["title"]["text"] == "Edit #1"
    initial = {}
    for b in view["blocks"]:
        element = b["element"]
        for key in ("initial_value", "initial_user"):
            if key in element:
                initial[b["block_id"]] = element[key]
        if "initial_option" in element:
            initial[b["block_id"]] = element["initial_option"]["text"]["text"]
    assert initial == {
        InputId.TITLE: "Printer jammed",
        InputId.DESCRIPTION: "Tray 2 eats paper",
        InputId.PRIORITY: "High",
        InputId.ENGAGEMENT: "8 hours",
        InputId.CATEGORY: "Hardware",
        InputId.ASSIGNEE: AGENT,
        InputId.PARTY: "Account: ACME",
        InputId.PRODUCT: "LaserJet 4000",
        InputId.VISIBILITY: "Internal",
        InputId.SOLUTION: "New roller",
    }


def test_changing_only_the_priority_writes_one_history_line(slack):
    create_ticket(slack, "Printer jammed", **FULL)
    view = _edit_modal(slack)
    before = _updates(slack)
    response = slack.send.view_submission(
        view, {InputId.PRIORITY: {InputId.PRIORITY: static("urgent")}}, user_id=AGENT
    )
    assert response.status_code == 200 and response.text in ("", "null")

    update = _wait_for_update(slack, before)
    assert update["ts"] == slack.card(1)["ts"]
    assert "*Priority*\nUrgent" in texts(update["blocks"][1])
    assert changes(slack) == [("priority", "normal", "urgent", AGENT)]
    saved = ticket(slack)
    assert saved.priority is Priority.URGENT and saved.version == 2
    assert saved.party.name == "ACME" and saved.description == "Tray 2 eats paper"


def test_an_edit_of_a_stale_version_is_refused_with_what_changed(slack):
    create_ticket(slack, "Printer jammed")
    view = _edit_modal(slack)
    before = _updates(slack)
    card_action(slack, ActionId.STATUS, user_id=AGENT_2, **choose("in_progress"))
    _wait_for_update(slack, before)

    refused = slack.send.view_submission(
        view, {InputId.PRIORITY: {InputId.PRIORITY: static("urgent")}}, user_id=AGENT
    )
    assert refused.json() == {
        "response_action": "errors",
        "errors": {
            InputId.TITLE: "Ticket #1 was changed by someone else since you opened it. "
            "Status: Open → In progress. "
            "Close this form and open it again to edit the latest version."
        },
    }
    slack.settle()
    assert changes(slack) == [("status", "open", "in_progress", AGENT_2)]
    assert ticket(slack).priority is Priority.NORMAL
    assert _updates(slack) == before + 1


def test_a_requester_cannot_edit_or_move_someone_elses_ticket(slack):
    create_ticket(slack, "Printer jammed")
    views_before = len(slack.fake.calls("views.open"))
    refusals = []
    for action_id, chosen in ((ActionId.EDIT, {}), (ActionId.STATUS, choose("in_progress"))):
        count = len(slack.fake.calls("response_url"))
        # Acknowledged at once: Slack shows no error of its own over the refusal.
        assert card_action(slack, action_id, user_id=OTHER, **chosen).status_code == 200
        refusals.append(slack.fake.wait_for("response_url", count + 1)[count].args)

    assert [r["text"] for r in refusals] == [
        "Only agents can edit tickets raised by someone else.",
        "Only agents can change tickets raised by someone else.",
    ]
    assert all(r["response_type"] == "ephemeral" for r in refusals)
    assert all(r["replace_original"] is False for r in refusals)
    slack.settle()
    assert len(slack.fake.calls("views.open")) == views_before
    assert changes(slack) == []
    assert ticket(slack).status is Status.OPEN and ticket(slack).version == 1
    # The select the requester moved is put back: the card still says Open.
    controls = slack.card(1)["blocks"][-1]
    assert controls["elements"][0]["initial_option"]["value"] == "open"


def test_assigning_on_the_card_writes_history_and_updates_the_card(slack):
    create_ticket(slack, "Printer jammed")
    before = _updates(slack)
    card_action(slack, ActionId.ASSIGN, selected_user=AGENT_2)

    update = _wait_for_update(slack, before)
    assert f"*Assignee*\n<@{AGENT_2}>" in texts(update["blocks"][1])
    assert slack.card(1)["blocks"][-1]["elements"][1]["initial_user"] == AGENT_2
    assert changes(slack) == [("assignee", None, AGENT_2, AGENT)]


def test_comment_is_stored_and_echoed_in_the_card_thread(slack):
    create_ticket(slack, "Printer jammed")
    view = opened(slack, lambda: card_action(slack, ActionId.COMMENT))
    assert view["callback_id"] == CallbackId.COMMENT_MODAL
    posts = len(slack.fake.calls("chat.postMessage"))
    slack.send.view_submission(
        view,
        {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain("Cable <!here> swapped")}},
        user_id=AGENT,
    )

    echo = slack.fake.wait_for("chat.postMessage", posts + 1)[posts].args
    card = slack.card(1)
    assert (echo["channel"], echo["thread_ts"]) == (card["channel"], card["ts"])
    assert f"<@{AGENT}>: Cable &lt;!here&gt; swapped" in str(echo["blocks"])
    with slack.database.transaction() as session:
        stored = session.scalars(select(Comment)).one()
        assert (stored.author_id, stored.text) == (AGENT, "Cable <!here> swapped")


def test_history_lists_changes_and_comments(slack):
    create_ticket(slack, "Printer jammed")
    before = _updates(slack)
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    _wait_for_update(slack, before)
    slack.clock.advance(timedelta(minutes=5))
    _with_db(
        slack,
        1,
        lambda session, found: comments.add_comment(
            session=session,
            ticket=found,
            viewer=viewer(REQUESTER),
            text="Still jammed",
            now=slack.clock.now(),
        ),
    )
    view = opened(slack, lambda: card_action(slack, ActionId.HISTORY, user_id=REQUESTER))

    assert view["callback_id"] == CallbackId.HISTORY_MODAL
    lines = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"][1:]
    assert len(lines) == 2
    assert lines[0].endswith(f"<@{AGENT}> *Status*: Open → In progress")
    assert lines[1].endswith(f"<@{REQUESTER}> :speech_balloon: Still jammed")
    assert "Page" not in str(view["blocks"])


def test_a_long_history_pages_with_next(slack):
    create_ticket(slack, "Printer jammed")

    def many(session, found):
        for index in range(1, 46):
            comments.add_comment(
                session=session,
                ticket=found,
                viewer=viewer(AGENT),
                text=f"step {index}",
                now=slack.clock.now(),
            )

    _with_db(slack, 1, many)
    view = opened(slack, lambda: card_action(slack, ActionId.HISTORY))
    assert "step 40" in str(view["blocks"]) and "step 41" not in str(view["blocks"])
    assert "Page 1 of 2" in str(view["blocks"])
    pager = view["blocks"][-1]
    assert [e["action_id"] for e in pager["elements"]] == [ActionId.HISTORY_NEXT]

    second = opened(
        slack,
        lambda: slack.send.block_actions(
            [{"action_id": ActionId.HISTORY_NEXT}], view=view, user_id=AGENT
        ),
        method="views.update",
    )
    assert second["id"] == view["id"]
    assert slack.fake.calls("views.update")[0].args["view_id"] == view["id"]
    text = str(second["blocks"])
    assert "Page 2 of 2" in text and "step 41" in text and "step 45" in text
    assert "step 40" not in text
    assert [e["action_id"] for e in second["blocks"][-1]["elements"]] == [ActionId.HISTORY_PREVIOUS]


def test_related_shows_the_party_and_linked_conversations(slack):
    create_ticket(slack, "Printer jammed", **FULL)
    permalink = f"https://test.slack.com/archives/{GENERAL}/p1700000000000900"
    _with_db(
        slack,
        1,
        lambda session, found: links.link_conversation(
            session=session,
            ticket=found,
            viewer=viewer(AGENT_2),
            channel_id=GENERAL,
            message_ts="1700000000.000900",
            permalink=permalink,
            now=slack.clock.now(),
        ),
    )
    view = opened(slack, lambda: card_action(slack, ActionId.RELATED))

    assert view["callback_id"] == CallbackId.RELATED_MODAL
    text = texts(view["blocks"])
    assert "*Related to*\nAccount: ACME" in text
    assert "*Product*\nLaserJet 4000" in text
    assert f"<{permalink}|Message> · linked by <@{AGENT_2}>" in text


def test_the_party_picker_offers_matches_and_new_ones(slack):
    with slack.database.transaction() as session:
        for kind, name in ((PartyKind.ACCOUNT, "Acme Corp"), (PartyKind.SUPPLIER, "Zenith")):
            find_or_create_party(
                session=session,
                workspace_id="T0TEAM001",
                kind=kind,
                name=name,
                now=slack.clock.now(),
            )
    view = opened(slack, lambda: slack.send.command("new"))
    suggested = slack.send.block_suggestion(InputId.PARTY, InputId.PARTY, "acme", view=view)

    options = [(o["text"]["text"], o["value"]) for o in suggested.json()["options"]]
    assert options[0] == ("Account: Acme Corp", "1")
    assert [text for text, _ in options[1:]] == [
        "➕ New account: acme",
        "➕ New contact: acme",
        "➕ New supplier: acme",
        "➕ New asset: acme",
    ]
    assert options[1][1] == "new:account:acme"
    everyone = slack.send.block_suggestion(InputId.PARTY, InputId.PARTY, "", view=view)
    assert [o["text"]["text"] for o in everyone.json()["options"]] == [
        "Account: Acme Corp",
        "Supplier: Zenith",
    ]


def test_a_new_party_chosen_in_the_form_is_created_and_shown(slack):
    create_ticket(slack, "Printer jammed", **{InputId.PARTY: FULL[InputId.PARTY]})

    assert "*Related to*\nAccount: ACME" in texts(slack.card(1)["blocks"][1])
    with slack.database.transaction() as session:
        party = session.scalars(select(Party)).one()
        assert (party.kind, party.name) == (PartyKind.ACCOUNT, "ACME")
    assert ticket(slack).party_id == party.id
    # The same name again reuses the party.
    create_ticket(slack, "Toner low", **{InputId.PARTY: FULL[InputId.PARTY]})
    assert ticket(slack, 2).party_id == party.id
