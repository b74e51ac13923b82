"""The Email modal of a ticket, and what to say in it when the mail server says no."""

from __future__ import annotations

from ticketbot.i18n import _
from ticketbot.ids import CallbackId, InputId
from ticketbot.mailer import Failure, MailFailure
from ticketbot.services.emails import RECIPIENTS_MAX
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import context, input_block, modal, text_input
from ticketbot.views.text import safe, truncate, user

# Which input a validation error is shown under, by the service's field name.
FIELD_BLOCKS = {
    "to": InputId.EMAIL_TO,
    "subject": InputId.EMAIL_SUBJECT,
    "body": InputId.EMAIL_BODY,
}
ERROR_TEXT = 450


def email_modal(
    ticket: Ticket, *, to: str | None, subject: str, sender: str, metadata: str
) -> dict:
    notes = [_("Sent from {sender}; kept on the ticket.").format(sender=safe(sender, 200))]
    if not to:
        notes.append(
            _("{user} has no email address in Slack: type the address.").format(
                user=user(ticket.requester_id)
            )
        )
    return modal(
        _("Email #{number}").format(number=ticket.number),
        [
            context(*notes),
            input_block(
                InputId.EMAIL_TO,
                _("To"),
                text_input(
                    InputId.EMAIL_TO,
                    initial=to,
                    max_length=RECIPIENTS_MAX,
                    placeholder=_("name@example.com, another@example.com"),
                ),
                hint=_("Separate several addresses with commas."),
            ),
            input_block(
                InputId.EMAIL_SUBJECT,
                _("Subject"),
                text_input(InputId.EMAIL_SUBJECT, initial=subject, max_length=TITLE_MAX),
            ),
            input_block(
                InputId.EMAIL_BODY,
                _("Message"),
                text_input(InputId.EMAIL_BODY, multiline=True, max_length=TEXT_MAX),
            ),
        ],
        callback_id=CallbackId.EMAIL_MODAL,
        submit=_("Send"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def form_error(field: str | None, message: str) -> dict:
    block = FIELD_BLOCKS.get(field or "", InputId.EMAIL_TO)
    return {"response_action": "errors", "errors": {block: truncate(message, ERROR_TEXT)}}


def failure_error(failure: MailFailure, *, sender: str) -> dict:
    """The modal error for a mail that was not sent. Modal errors are plain text."""
    detail = truncate(failure.detail, 200)
    nothing = _("Nothing was sent.")
    if failure.kind is Failure.REFUSED_RECIPIENTS:
        # The detail names each refused address with the server's reply to it.
        text = _("The mail server refused {refusals}.").format(refusals=detail)
        return form_error("to", f"{text} {nothing}")
    if failure.kind is Failure.REFUSED_SENDER:
        text = _("The mail server refused the sender {sender} ({reply}).").format(
            sender=sender, reply=detail
        )
        return form_error("to", f"{text} {nothing} " + _("An admin should check SMTP_FROM."))
    if failure.kind is Failure.REFUSED_MESSAGE:
        text = _("The mail server refused the message ({reply}).").format(reply=detail)
        return form_error("body", f"{text} {nothing}")
    if failure.kind is Failure.LOGIN:
        text = _("The mail server refused ticketbot's login ({reply}).").format(reply=detail)
        hint = _("An admin should check SMTP_USERNAME and SMTP_PASSWORD.")
        return form_error("to", f"{text} {nothing} {hint}")
    if failure.kind is Failure.TLS:
        text = _("Cannot reach the mail server securely ({reason}).").format(reason=detail)
        return form_error("to", f"{text} {nothing} " + _("An admin should check SMTP_URL."))
    text = _("Cannot reach the mail server ({reason}).").format(reason=detail)
    return form_error("to", f"{text} {nothing} " + _("Try again in a minute."))


def not_recorded_error() -> dict:
    return form_error(
        "body",
        _(
            "The email was sent, but ticketbot could not record it on the ticket. Do not send "
            "it again: close this form and add a comment saying it was sent."
        ),
    )
