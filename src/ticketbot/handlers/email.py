"""Email from a ticket: the card's Email button opens a form; submitting it sends the mail
over SMTP before answering Slack, so a refusal is said in the form and nothing is recorded."""

from __future__ import annotations

import time

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.mailer import MailFailure
from ticketbot.runtime import Runtime
from ticketbot.services import emails as email_service
from ticketbot.services.errors import Forbidden, TicketbotError
from ticketbot.slack import items, screens
from ticketbot.slack.forms import ModalContext, submitted
from ticketbot.slack.request import ticket_number, workspace_of
from ticketbot.views.email import email_modal, failure_error, form_error, not_recorded_error


def register(app: App) -> None:
    @app.action(ActionId.EMAIL)
    def on_email(ack: Ack, body: dict, action: dict, client: WebClient, runtime, viewer, later):
        if runtime.mailer is None:  # a card rendered before SMTP was switched off
            raise Forbidden(items.not_set_up())
        later(_open_email_form, runtime, client, body, action, viewer)
        ack()

    @app.view(CallbackId.EMAIL_MODAL)
    def on_send(ack: Ack, body: dict, view: dict, runtime: Runtime, viewer):
        started = time.monotonic()  # Slack's 3 seconds run from here on, not from the send
        if runtime.mailer is None:
            ack(**form_error("to", items.not_set_up()))
            return
        meta = ModalContext.load(view)
        values = submitted(view)
        try:
            draft = email_service.validate_email(
                to=values.get(InputId.EMAIL_TO),
                subject=values.get(InputId.EMAIL_SUBJECT),
                body=values.get(InputId.EMAIL_BODY),
            )
            ticket = screens.load_ticket(runtime, workspace_of(body), meta.number or 0, viewer)
            email_service.check_may_email(viewer, ticket)
        except TicketbotError as error:
            ack(**form_error(error.field, error.message))
            return
        try:
            items.send_email(runtime, ticket=ticket, viewer=viewer, draft=draft, started=started)
        except MailFailure as failure:
            ack(**failure_error(failure, sender=runtime.mailer.sender))
            return
        except (SQLAlchemyError, TicketbotError):
            ack(**not_recorded_error())
            return
        ack()


def _open_email_form(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer):
    ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
    email_service.check_may_email(viewer, ticket)
    assert runtime.mailer is not None
    client.views_open(
        trigger_id=body["trigger_id"],
        view=email_modal(
            ticket,
            to=items.requester_address(client, ticket.requester_id),
            subject=email_service.default_subject(ticket),
            sender=runtime.mailer.sender,
            metadata=ModalContext(number=ticket.number).dump(),
        ),
    )
