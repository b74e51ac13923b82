"""Email from a ticket: the card's Email button opens a form; submitting it sends the mail
over SMTP before answering Slack, so a refusal is said in the form and nothing is recorded."""

from __future__ import annotations

import logging
import time

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from ticketbot.handlers.common import (
    ModalContext,
    load_ticket,
    runtime_of,
    ticket_number,
    user_of,
    viewer_of,
)
from ticketbot.handlers.forms import submitted
from ticketbot.i18n import _
from ticketbot.ids import ActionId, BlockId, CallbackId
from ticketbot.mailer import SEND_BUDGET, MailFailure
from ticketbot.services import emails as email_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.errors import Forbidden, TicketbotError
from ticketbot.views.email import email_modal, failure_error, form_error, not_recorded_error

logger = logging.getLogger("ticketbot.email")


def _not_set_up() -> str:
    return _("Email is not set up for ticketbot: an admin can set SMTP_URL and SMTP_FROM.")


def requester_address(client: WebClient, user_id: str) -> str | None:
    """The requester's address from their Slack profile, when Slack has one and shows it."""
    try:
        profile = (client.users_info(user=user_id).get("user") or {}).get("profile") or {}
    except SlackApiError as error:
        logger.info("no profile for %s: %s", user_id, error.response.get("error"))
        return None
    address = profile.get("email")
    return address if isinstance(address, str) and address else None


def register(app: App) -> None:
    @app.action(ActionId.EMAIL)
    def on_email(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        if runtime.mailer is None:  # a card rendered before SMTP was switched off
            raise Forbidden(_not_set_up())
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        email_service.check_may_email(viewer, ticket)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=email_modal(
                ticket,
                to=requester_address(client, ticket.requester_id),
                subject=email_service.default_subject(ticket),
                sender=runtime.mailer.sender,
                metadata=ModalContext(number=ticket.number).dump(),
            ),
        )

    @app.view(CallbackId.EMAIL_MODAL)
    def on_send(ack: Ack, body: dict, view: dict, client: WebClient, context):
        started = time.monotonic()  # Slack's 3 seconds run from here on, not from the send
        runtime = runtime_of(context)
        mailer = runtime.mailer
        if mailer is None:
            ack(**form_error("to", _not_set_up()))
            return
        meta = ModalContext.load(view)
        values = submitted(view)
        try:
            draft = email_service.validate_email(
                to=values.get(BlockId.EMAIL_TO),
                subject=values.get(BlockId.EMAIL_SUBJECT),
                body=values.get(BlockId.EMAIL_BODY),
            )
            viewer = viewer_of(context, client, user_of(body))
            ticket = load_ticket(runtime, body, meta.number or 0, viewer)
            email_service.check_may_email(viewer, ticket)
        except TicketbotError as error:
            ack(**form_error(error.field, error.message))
            return
        message = mailer.compose(
            to=list(draft.to),
            subject=draft.subject,
            body=draft.body,
            ticket_number=ticket.number,
            now=runtime.clock.now(),
        )
        try:
            mailer.send(message, budget=SEND_BUDGET - (time.monotonic() - started))
        except MailFailure as failure:
            logger.warning("email from #%s not sent: %s", ticket.number, failure)
            ack(**failure_error(failure, sender=mailer.sender))
            return
        try:
            with runtime.database.transaction() as session:
                fresh = ticket_service.get_ticket(
                    session=session,
                    workspace_id=ticket.workspace_id,
                    number=ticket.number,
                    viewer=viewer,
                    for_update=True,
                )
                email_service.record_email(
                    session=session,
                    ticket=fresh,
                    viewer=viewer,
                    draft=draft,
                    message_id=message["Message-ID"],
                    now=runtime.clock.now(),
                )
        except (SQLAlchemyError, TicketbotError):
            logger.exception(
                "email %s from #%s was sent but not recorded", message["Message-ID"], ticket.number
            )
            ack(**not_recorded_error())
            return
        ack()
