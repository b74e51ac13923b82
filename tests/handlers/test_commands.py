"""`/ticket show`, `list` and `search` end to end, and what each viewer is allowed to see."""

from __future__ import annotations

import pytest

from tests.support.slack_payloads import external, plain, radio, static, users
from tests.support.steps import (
    AGENT,
    GENERAL,
    OTHER,
    REQUESTER,
    TRIAGE,
    answer,
    command,
    create_ticket,
    everything,
    listed_numbers,
    seed_ticket,
    viewer,
)
from ticketbot.ids import ActionId, InputId
from ticketbot.services import comments, links, tickets
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Status


def _comment(slack, number: int, text: str, *, author: str) -> None:
    with slack.database.transaction() as session:
        found = session.query(Ticket).filter_by(number=number).one()
        comments.add_comment(
            session=session, ticket=found, viewer=viewer(author), text=text, now=slack.clock.now()
        )


def _link(slack, number: int, ts: str, *, by: str = AGENT) -> str:
    link = f"https://test.slack.com/archives/{GENERAL}/p{ts.replace('.', '')}"
    with slack.database.transaction() as session:
        found = session.query(Ticket).filter_by(number=number).one()
        links.link_conversation(
            session=session,
            ticket=found,
            viewer=viewer(by),
            channel_id=GENERAL,
            message_ts=ts,
            permalink=link,
            now=slack.clock.now(),
        )
    return link


def _set_status(slack, number: int, status: Status, **extra) -> None:
    with slack.database.transaction() as session:
        found = session.query(Ticket).filter_by(number=number).one()
        tickets.change_status(
            session=session,
            ticket=found,
            status=status,
            viewer=viewer(AGENT),
            now=slack.clock.now(),
            policy=slack.runtime.policy,
            **extra,
        )


@pytest.fixture
def detailed(slack):
    """Ticket #1 with every field filled, six comments and a linked conversation."""
    create_ticket(
        slack,
        "Printer jammed",
        priority="high",
        **{
            InputId.DESCRIPTION: {InputId.DESCRIPTION: plain("Tray 2 eats paper")},
            InputId.ENGAGEMENT: {InputId.ENGAGEMENT: static("8h")},
            InputId.CATEGORY: {InputId.CATEGORY: static("Hardware")},
            InputId.ASSIGNEE: {InputId.ASSIGNEE: users(AGENT)},
            InputId.PARTY: {InputId.PARTY: external("new:account:ACME", "New account: ACME")},
            InputId.PRODUCT: {InputId.PRODUCT: plain("LaserJet 4000")},
        },
    )
    for index in range(1, 7):
        _comment(slack, 1, f"note {index}", author=AGENT if index % 2 else REQUESTER)
    return _link(slack, 1, "1700000000.000900")


@pytest.mark.parametrize("text", ["show 1", "1", "#1", "SHOW #1"])
def test_show_answers_privately_with_every_field(slack, detailed, text):
    shown = command(slack, text)

    assert shown["response_type"] == "ephemeral"
    assert shown["blocks"][0]["text"]["text"] == "#1 Printer jammed"
    fields = " ".join(f["text"] for f in shown["blocks"][1]["fields"])
    for expected in (
        "*Status*\n:large_blue_circle: Open",
        "*Priority*\nHigh",
        "*Engagement*\n8 hours",
        "*Deadline*\n:large_green_circle: On track, 8 h left",
        "*Category*\nHardware",
        f"*Assignee*\n<@{AGENT}>",
        f"*Requester*\n<@{REQUESTER}>",
        "*Related to*\nAccount: ACME",
        "*Product*\nLaserJet 4000",
    ):
        assert expected in fields
    text_of_all = everything(shown)
    assert "Tray 2 eats paper" in text_of_all
    # The latest five comments, oldest first, each with its author.
    assert "note 1" not in text_of_all
    notes = [b for b in shown["blocks"] if b["type"] == "context" and "note " in str(b)]
    assert [n["elements"][1]["text"] for n in notes] == [f"note {i}" for i in range(2, 7)]
    assert notes[0]["elements"][0]["text"].startswith(f"<@{REQUESTER}> <!date^")
    assert f"<{detailed}|Message> linked by <@{AGENT}>" in text_of_all


def test_show_carries_the_card_controls_and_share_posts_in_channel(slack, detailed):
    shown = command(slack, "show 1")
    controls, extras = shown["blocks"][-2], shown["blocks"][-1]
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
    assert controls["elements"][0]["initial_option"]["value"] == "open"
    assert controls["elements"][1]["initial_user"] == AGENT
    share, open_card = extras["elements"]
    assert (share["action_id"], share["text"]["text"]) == (ActionId.SHARE, "Share in channel")
    card = slack.card(1)
    assert open_card["url"].endswith(f"/archives/{TRIAGE}/p{card['ts'].replace('.', '')}")

    # The answer is ephemeral: Slack sends the click without the message, and a response_url.
    shared = answer(
        slack,
        lambda: slack.send.block_actions(
            [{"action_id": ActionId.SHARE, "block_id": extras["block_id"], "value": "1"}],
            user_id=REQUESTER,
            channel_id=GENERAL,
        ),
    )
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert shared["blocks"][0]["text"]["text"] == "#1 Printer jammed"
    assert "Share in channel" not in everything(shared)
    assert not any(b["type"] == "actions" for b in shared["blocks"])
    posted = [m for (c, _ts), m in slack.fake.messages.items() if c == GENERAL]
    assert [m["text"] for m in posted] == ["#1 Printer jammed"]


def test_show_of_a_missing_ticket_says_so(slack):
    missing = command(slack, "show 999")
    assert missing["response_type"] == "ephemeral"
    assert missing["text"] == "Ticket #999 was not found."


@pytest.fixture
def varied(slack):
    """#1 mine, open, assigned to the agent · #2 waiting · #3 mine, closed · #4 in progress,
    assigned to the agent · #5 someone else's, open."""
    seed_ticket(slack, "Alpha printer", assignee_id=AGENT)
    seed_ticket(slack, "Bravo VPN", requester=OTHER)
    seed_ticket(slack, "Charlie badge")
    seed_ticket(slack, "Delta printer toner", requester=OTHER, assignee_id=AGENT)
    seed_ticket(slack, "Echo laptop", requester=OTHER, priority="urgent")
    _set_status(slack, 2, Status.WAITING)
    _set_status(slack, 3, Status.CLOSED, solution="New badge printed")
    _set_status(slack, 4, Status.IN_PROGRESS)


@pytest.mark.parametrize(
    ("words", "user_id", "title", "numbers"),
    [
        # Open lists run by deadline: the urgent #5 first, then by number.
        ("list", REQUESTER, "Open tickets", [5, 1, 2, 4]),
        ("list open", REQUESTER, "Open tickets", [5, 1, 2, 4]),
        ("list mine", REQUESTER, "My tickets", [3, 1]),
        ("list assigned", AGENT, "Assigned to me", [1, 4]),
        ("list assigned", REQUESTER, "Assigned to me", []),
        ("list waiting", REQUESTER, "Waiting on reply", [2]),
        ("list closed", REQUESTER, "Closed tickets", [3]),
        ("list ALL", REQUESTER, "All tickets", [5, 4, 3, 2, 1]),
    ],
)
def test_list_shows_the_tickets_of_each_scope(slack, varied, words, user_id, title, numbers):
    listed = command(slack, words, user_id=user_id)
    assert listed["response_type"] == "ephemeral"
    if not numbers:
        assert listed["text"] == "No tickets here."
        return
    assert listed["blocks"][0]["text"]["text"] == title
    assert listed_numbers(listed) == numbers
    show = listed["blocks"][1]["accessory"]
    assert (show["action_id"], show["value"]) == (ActionId.SHOW_TICKET, str(numbers[0]))


def test_list_of_an_unknown_scope_names_the_scopes(slack, varied):
    unknown = command(slack, "list <!here>")
    assert unknown["text"] == (
        "Unknown list *&lt;!here&gt;*. Try open, mine, assigned, waiting, closed or all."
    )


def test_search_by_title_words_by_number_and_without_match(slack, varied):
    by_words = command(slack, "search print")
    assert by_words["blocks"][0]["text"]["text"] == "Tickets matching “print”"
    assert sorted(listed_numbers(by_words)) == [1, 4]
    assert listed_numbers(command(slack, "search printer toner")) == [4]
    # Open tickets come before closed ones.
    seed_ticket(slack, "Charlie badge reader")
    assert listed_numbers(command(slack, "search badge")) == [6, 3]
    for words in ("search 2", "search #2"):
        assert listed_numbers(command(slack, words)) == [2]
    nothing = command(slack, "search zebra")
    assert nothing["text"] == "No ticket matches “zebra”."
    assert command(slack, "search")["text"] == "Search for what? Try `/ticket search printer`."


@pytest.fixture
def internal(slack):
    """#1 public, #2 internal: both raised by REQUESTER."""
    seed_ticket(slack, "Printer jammed")
    seed_ticket(slack, "Payroll printer leak", visibility="internal")


def test_an_internal_ticket_does_not_exist_for_another_requester(slack, internal):
    refused = command(slack, "show 2", user_id=OTHER)
    assert refused["text"] == "Ticket #2 was not found."
    # Word for word what a number that was never used gets.
    assert str(refused).replace("#2", "#3") == str(command(slack, "show 3", user_id=OTHER))
    for scope in ("list", "list all", "list open"):
        assert listed_numbers(command(slack, scope, user_id=OTHER)) == [1]
    assert command(slack, "search payroll", user_id=OTHER)["text"] == (
        "No ticket matches “payroll”."
    )
    assert command(slack, "search #2", user_id=OTHER)["text"] == "No ticket matches “#2”."
    assert listed_numbers(command(slack, "search printer", user_id=OTHER)) == [1]


@pytest.mark.parametrize("user_id", [REQUESTER, AGENT])
def test_an_internal_ticket_is_shown_to_its_requester_and_to_agents(slack, internal, user_id):
    shown = command(slack, "show 2", user_id=user_id)
    assert shown["blocks"][0]["text"]["text"] == "#2 Payroll printer leak"
    assert ":lock: Internal: agents and the requester only" in everything(shown)
    assert listed_numbers(command(slack, "list all", user_id=user_id)) == [2, 1]
    assert listed_numbers(command(slack, "search payroll", user_id=user_id)) == [2]
    assert listed_numbers(command(slack, "search 2", user_id=user_id)) == [2]


def test_an_internal_ticket_raised_in_the_form_is_hidden_from_others(slack):
    create_ticket(
        slack, "Salary slip", **{InputId.VISIBILITY: {InputId.VISIBILITY: radio("internal")}}
    )
    assert command(slack, "1", user_id=OTHER)["text"] == "Ticket #1 was not found."
    assert command(slack, "1", user_id=AGENT)["blocks"][0]["text"]["text"] == "#1 Salary slip"


def test_internal_tickets_cannot_be_shared_in_a_channel(slack):
    from tests.support.steps import seed_ticket

    seed_ticket(slack, "Payroll", visibility="internal")
    slack.send.command("show 1", user_id="U0AGT0001")
    detail = slack.fake.wait_for("response_url")[-1].args
    share = next(b for b in detail["blocks"] if b.get("block_id", "").endswith(":share"))
    slack.send.block_actions(
        [{"action_id": "ticket_share", "block_id": share["block_id"]}],
        user_id="U0AGT0001",
        channel_id="C0GENERAL1",
        message=detail,
        response_url=slack.fake.response_url("share"),
    )
    answers = slack.fake.wait_for("response_url", 2)
    assert answers[-1].args["response_type"] == "ephemeral"
    assert "cannot be shared" in answers[-1].args["text"]
    assert not any(c.args.get("response_type") == "in_channel" for c in answers)


def test_a_command_whose_words_say_payload_is_read_as_a_command(slack, varied):
    """Bolt reads any form holding the word "payload" as an interaction's `payload=` field
    (and, finding none, as an empty body): the search must still be a search."""
    seed_ticket(slack, "Payload of the nightly export is empty")
    found = command(slack, "search payload")
    assert found["blocks"][0]["text"]["text"] == "Tickets matching “payload”"
    assert listed_numbers(found) == [6]
