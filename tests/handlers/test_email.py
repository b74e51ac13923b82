"""Email from a ticket: the service rules, the modal, and the whole path from the card's
Email button to a real SMTP server on loopback, including every way it can go wrong."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from tests.support.blockkit import view_problems
from tests.support.factories import AGENT, REQUESTER, make_ticket
from tests.support.samples import NOW, ON_TRACK
from tests.support.samples import ticket as memory_ticket
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import plain
from tests.support.smtp import closed_port, mail_server
from tests.support.steps import OTHER, card_action, changes, create_ticket, opened, texts, ticket
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.services import emails
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.history import TimelineEntry
from ticketbot.store.models import RelatedItem, TicketChange
from ticketbot.views import card, history
from ticketbot.views.email import email_modal
from ticketbot.views.text import ELLIPSIS

SENDER = "Acme Support <help@acme-support.com>"
REQUESTER_MAIL = "u0req0001@example.com"  # what the fake Slack's users.info gives U0REQ0001


# --- Rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ada@example.com", ("ada@example.com",)),
        (" ada@example.com , Bob <bob@example.org>,", ("ada@example.com", "bob@example.org")),
        ("ada@example.com, ADA@example.com", ("ada@example.com",)),
    ],
)
def test_recipients_are_comma_separated_addresses(text, expected):
    assert emails.parse_recipients(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give at least one address to send to."),
        (" , ", "Give at least one address to send to."),
        ("ada@example.com, bob", "“bob” is not an email address."),
        ("ada@", "“ada@” is not an email address."),
        ("ada@localhost", "“ada@localhost” is not an email address."),
        ("ada@example.com\nBcc: eve@evil.com", "is not an email address."),
        ("ada@example.com bob@example.com", "is not an email address."),
        ("a@b.co <eve@evil.com>", "is not an email address."),
        (", ".join(f"p{i}@example.com" for i in range(11)), "at most 10 addresses"),
        (", ".join(f"{'p' * 60}{i}@example.com" for i in range(4)), "fit in 200 characters"),
    ],
)
def test_bad_recipients_are_named(text, message):
    with pytest.raises(InvalidInput) as error:
        emails.parse_recipients(text)
    assert message in error.value.message and error.value.field == "to"


@pytest.mark.parametrize(
    ("subject", "body", "field", "message"),
    [
        ("  ", "Hello", "subject", "Subject is required."),
        ("x" * 201, "Hello", "subject", "Subject must be at most 200 characters."),
        ("Hi", " \n ", "body", "The message cannot be empty."),
        ("Hi", "x" * 3001, "body", "The message must be at most 3000 characters."),
    ],
)
def test_subject_and_body_are_checked(subject, body, field, message):
    with pytest.raises(InvalidInput) as error:
        emails.validate_email(to="ada@example.com", subject=subject, body=body)
    assert (error.value.field, error.value.message) == (field, message)


def test_a_subject_is_one_line_whatever_was_pasted():
    draft = emails.validate_email(to="a@example.com", subject="Re:\r\nBcc: x", body="Hi")
    assert draft.subject == "Re: Bcc: x"


def test_recording_a_sent_email_keeps_it_on_the_ticket(database, clock, policy):
    with database.transaction() as session:
        found = make_ticket(session, policy=policy, now=clock.now())
        draft = emails.validate_email(to="ada@example.com", subject="[#1] Printer", body="Fixed")
        emails.record_email(
            session=session,
            ticket=found,
            viewer=AGENT,
            draft=draft,
            message_id="<1@acme.com>",
            now=clock.now(),
        )
    with database.transaction() as session:
        [item] = session.scalars(select(RelatedItem)).all()
        assert (item.kind, item.title, item.reference, item.details, item.created_by) == (
            "email",
            "[#1] Printer",
            "ada@example.com",
            "Fixed",
            AGENT.user_id,
        )
        [line] = session.scalars(select(TicketChange)).all()
        assert (line.field, line.old_value, line.new_value, line.ticket_version) == (
            "email",
            None,
            "[#1] Printer\nada@example.com",
            2,
        )


def test_only_agents_send_email(database, clock, policy):
    with database.transaction() as session:
        found = make_ticket(session, policy=policy, now=clock.now())
        draft = emails.validate_email(to="ada@example.com", subject="Hi", body="Hi")
        with pytest.raises(Forbidden):
            emails.record_email(
                session=session,
                ticket=found,
                viewer=REQUESTER,
                draft=draft,
                message_id="<1@acme.com>",
                now=clock.now(),
            )
        assert session.scalar(select(func.count()).select_from(RelatedItem)) == 0


# --- Views -----------------------------------------------------------------------------------


def test_email_modal_starts_with_the_requester_and_the_ticket_subject():
    view = email_modal(
        memory_ticket(), to=REQUESTER_MAIL, subject="[#7] Printer", sender=SENDER, metadata="{}"
    )
    assert view_problems(view, "views.open") == []
    assert (view["callback_id"], view["title"]["text"]) == (CallbackId.EMAIL_MODAL, "Email #7")
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [InputId.EMAIL_TO, InputId.EMAIL_SUBJECT, InputId.EMAIL_BODY]
    assert inputs[InputId.EMAIL_TO]["initial_value"] == REQUESTER_MAIL
    assert inputs[InputId.EMAIL_SUBJECT]["initial_value"] == "[#7] Printer"
    assert "initial_value" not in inputs[InputId.EMAIL_BODY]
    assert "help@acme-support.com" in view["blocks"][0]["elements"][0]["text"]

    unknown = email_modal(memory_ticket(), to=None, subject="S", sender=SENDER, metadata="{}")
    assert "has no email address in Slack" in texts(unknown["blocks"][0])
    assert "initial_value" not in unknown["blocks"][1]["element"]


def test_the_card_offers_email_only_when_it_can_be_sent():
    def controls(payload):
        return [e["action_id"] for e in payload["blocks"][-1]["elements"]]

    assert ActionId.EMAIL not in controls(card.ticket_card(memory_ticket(), ON_TRACK))
    assert controls(card.ticket_card(memory_ticket(), ON_TRACK, email=True))[-1] == ActionId.EMAIL
    detail = card.ticket_detail(memory_ticket(), ON_TRACK, comments=[], links=[], email=True)
    assert ActionId.EMAIL in [e["action_id"] for b in detail["blocks"][-2:] for e in b["elements"]]


def test_history_shows_an_email_by_subject_and_recipients():
    value = "[#7] <!channel> " + "x" * 300 + "\nada@example.com, bob@example.org"
    view = history.history_modal(
        memory_ticket(), [TimelineEntry("change", NOW, AGENT.user_id, "email", None, value)],
        page=0, total=1,
    )  # fmt: skip
    assert view_problems(view, "views.open") == []
    line = view["blocks"][2]["elements"][0]["text"]
    assert "*Email*: — → “[#7] &lt;!channel&gt; xxx" in line
    assert f"{ELLIPSIS}” to ada@example.com, bob@example.org" in line


# --- End to end ------------------------------------------------------------------------------


@pytest.fixture
def mailbox():
    with mail_server() as server:
        yield server


@pytest.fixture
def desk(database, fake_slack, clock, config, mailbox):
    """The running app with SMTP set up, sending to the loopback server."""
    yield from start_scenario(
        database, fake_slack, clock, config, smtp_url=mailbox.url(), smtp_from=SENDER
    )


def _email_form(slack, *, user_id: str = AGENT.user_id) -> dict:
    return opened(slack, lambda: card_action(slack, ActionId.EMAIL, user_id=user_id))


def _send(
    slack, view: dict, body: str = "The roller is replaced.", *, to=None, subject=None
) -> dict | None:
    """Submit the form with `body`, and `to`/`subject` when the test changes them."""
    values = {InputId.EMAIL_BODY: {InputId.EMAIL_BODY: plain(body)}}
    if to is not None:
        values[InputId.EMAIL_TO] = {InputId.EMAIL_TO: plain(to)}
    if subject is not None:
        values[InputId.EMAIL_SUBJECT] = {InputId.EMAIL_SUBJECT: plain(subject)}
    response = slack.send.view_submission(view, values, user_id=AGENT.user_id)
    assert response.status_code == 200
    return response.json() if response.text not in ("", "null") else None


def _stored(slack) -> list[RelatedItem]:
    with slack.database.transaction() as session:
        return list(session.scalars(select(RelatedItem)))


def test_email_from_the_card_reaches_the_server_and_stays_on_the_ticket(desk, mailbox):
    create_ticket(desk, "Printer jammed")
    assert desk.card(1)["blocks"][-1]["elements"][-1]["action_id"] == ActionId.EMAIL
    view = _email_form(desk)
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"][1:]}
    assert prefilled == {
        InputId.EMAIL_TO: REQUESTER_MAIL,
        InputId.EMAIL_SUBJECT: "[#1] Printer jammed",
        InputId.EMAIL_BODY: None,
    }

    # Sent before Slack gets its answer: by then the mail is there and the form closes.
    assert _send(desk, view, "Hello,\nthe roller is replaced.") is None
    [received] = mailbox.inbox.received
    assert received.rcpt_tos == [REQUESTER_MAIL]
    assert received.message["Subject"] == "[#1] Printer jammed"
    assert received.message["X-Ticketbot-Ticket"] == "1"
    assert received.message["From"] == SENDER
    assert received.message.get_content().splitlines() == ["Hello,", "the roller is replaced."]

    [item] = _stored(desk)
    assert (item.kind, item.title, item.reference) == (
        "email",
        "[#1] Printer jammed",
        REQUESTER_MAIL,
    )
    assert changes(desk) == [
        ("email", None, f"[#1] Printer jammed\n{REQUESTER_MAIL}", AGENT.user_id)
    ]
    assert ticket(desk).first_response_at is not None
    shown = opened(desk, lambda: card_action(desk, ActionId.HISTORY))
    assert f"*Email*: — → “[#1] Printer jammed” to {REQUESTER_MAIL}" in texts(shown)


def test_several_recipients_and_an_edited_subject(desk, mailbox):
    create_ticket(desk, "Printer jammed")
    view = _email_form(desk)
    to = "ada@example.com, Bob <bob@example.org>"
    assert _send(desk, view, to=to, subject="Your printer") is None
    [received] = mailbox.inbox.received
    assert received.rcpt_tos == ["ada@example.com", "bob@example.org"]
    assert received.message["Subject"] == "Your printer"
    assert _stored(desk)[0].reference == "ada@example.com, bob@example.org"


def test_a_requester_without_an_address_gets_an_empty_to(desk):
    desk.fake.users["U0REQ0001"] = {"profile": {"email": ""}}
    create_ticket(desk, "Printer jammed")
    view = _email_form(desk)
    assert "initial_value" not in view["blocks"][1]["element"]
    assert "has no email address in Slack" in texts(view["blocks"][0])
    # No address at all is said in the form, and nothing goes out.
    refused = _send(desk, view)
    assert refused == {
        "response_action": "errors",
        "errors": {InputId.EMAIL_TO: "Give at least one address to send to."},
    }


def test_a_bad_address_is_said_in_the_form_and_nothing_is_sent(desk, mailbox):
    create_ticket(desk, "Printer jammed")
    view = _email_form(desk)
    refused = _send(desk, view, to="ada@example.com, bob@")
    assert refused == {
        "response_action": "errors",
        "errors": {InputId.EMAIL_TO: "“bob@” is not an email address."},
    }
    assert mailbox.inbox.received == [] and _stored(desk) == [] and changes(desk) == []


def test_a_refused_recipient_is_said_in_the_form_and_nothing_is_stored(desk, mailbox):
    mailbox.inbox.refuse.add(REQUESTER_MAIL)
    create_ticket(desk, "Printer jammed")
    refused = _send(desk, _email_form(desk))
    assert refused["errors"][InputId.EMAIL_TO] == (
        f"The mail server refused {REQUESTER_MAIL}: 550 5.1.1 No such user here. Nothing was sent."
    )
    assert mailbox.inbox.received == [] and _stored(desk) == [] and changes(desk) == []
    assert ticket(desk).version == 1


def test_a_message_the_server_rejects_is_said_under_the_body(desk, mailbox):
    mailbox.inbox.reject_data = True
    create_ticket(desk, "Printer jammed")
    refused = _send(desk, _email_form(desk))
    assert "The mail server refused the message (554" in refused["errors"][InputId.EMAIL_BODY]
    assert _stored(desk) == []


@pytest.fixture
def unreachable(database, fake_slack, clock, config):
    port = closed_port()
    yield from start_scenario(
        database, fake_slack, clock, config, smtp_url=f"smtp://127.0.0.1:{port}", smtp_from=SENDER
    )


def test_an_unreachable_server_is_said_in_the_form_and_nothing_is_stored(unreachable):
    create_ticket(unreachable, "Printer jammed")
    refused = _send(unreachable, _email_form(unreachable))
    message = refused["errors"][InputId.EMAIL_TO]
    assert message.startswith("Cannot reach the mail server (")
    assert message.endswith("Nothing was sent. Try again in a minute.")
    assert _stored(unreachable) == [] and changes(unreachable) == []


def test_a_requester_is_told_only_agents_send_email(desk, mailbox):
    create_ticket(desk, "Printer jammed")
    views = len(desk.fake.calls("views.open"))
    count = len(desk.fake.calls("response_url"))
    assert card_action(desk, ActionId.EMAIL, user_id=OTHER).status_code == 200
    refusal = desk.fake.wait_for("response_url", count + 1)[count].args
    assert refusal["text"] == "Only agents can send emails from a ticket."
    assert refusal["response_type"] == "ephemeral"
    desk.settle()
    assert len(desk.fake.calls("views.open")) == views


def test_a_forged_submission_from_a_requester_sends_nothing(desk, mailbox):
    create_ticket(desk, "Printer jammed")
    view = _email_form(desk)
    response = desk.send.view_submission(
        view, {InputId.EMAIL_BODY: {InputId.EMAIL_BODY: plain("hi")}}, user_id=REQUESTER.user_id
    )
    assert response.json()["errors"] == {
        InputId.EMAIL_TO: "Only agents can send emails from a ticket."
    }
    assert mailbox.inbox.received == [] and _stored(desk) == []


def test_without_smtp_there_is_no_email_button_and_the_action_refuses_politely(slack):
    create_ticket(slack, "Printer jammed")
    live = slack.card(1)
    assert ActionId.EMAIL not in [e["action_id"] for e in live["blocks"][-1]["elements"]]
    # A card rendered while SMTP was still configured keeps its button for a while.
    stale = copy.deepcopy(live)
    stale["blocks"][-1]["elements"].append(
        {
            "type": "button",
            "action_id": ActionId.EMAIL,
            "text": {"type": "plain_text", "text": "Email"},
            "value": "1",
        }
    )
    count = len(slack.fake.calls("response_url"))
    action = {"action_id": ActionId.EMAIL, "block_id": stale["blocks"][-1]["block_id"]}
    slack.send.block_actions([action], user_id=AGENT.user_id, channel_id=live["channel"],
                             message=stale)  # fmt: skip
    refusal = slack.fake.wait_for("response_url", count + 1)[count].args
    assert refusal["text"].startswith("Email is not set up for ticketbot")
    slack.settle()
    assert slack.fake.calls("views.open")[-1].args["view"]["callback_id"] == CallbackId.CREATE_MODAL


def test_a_mail_sent_but_not_recorded_says_so_rather_than_inviting_a_resend(
    desk, mailbox, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    create_ticket(desk, "Printer jammed")
    view = _email_form(desk)

    def database_gone(**_kwargs):
        raise OperationalError("INSERT INTO related_items", {}, Exception("server closed"))

    monkeypatch.setattr(emails, "record_email", database_gone)
    refused = _send(desk, view)
    assert len(mailbox.inbox.received) == 1  # it went out...
    message = refused["errors"][InputId.EMAIL_BODY]
    assert message.startswith("The email was sent, but ticketbot could not record it")
    assert "Do not send it again" in message  # ...so the form must not invite a second one
    assert _stored(desk) == [] and changes(desk) == []
