"""Emails sent from a ticket: who may send, what a valid one is, and what a sent one leaves
behind (a related item of kind "email" and a history line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ticketbot.addresses import mailbox
from ticketbot.i18n import _
from ticketbot.services import history, webhooks
from ticketbot.services.access import Viewer, can_see
from ticketbot.services.conversation import note_response
from ticketbot.services.errors import Forbidden, InvalidInput, NotFound
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX, clean_line, clean_text
from ticketbot.services.webhooks import Outbound
from ticketbot.store.models import RelatedItem, Ticket
from ticketbot.vocabulary import Field, WebhookEvent

# RelatedItem.kind. A plain string so this merges with the related-items work, whose
# RelatedKind enum has the same value.
EMAIL_KIND = "email"
MAX_RECIPIENTS = 10
RECIPIENTS_MAX = 200  # RelatedItem.reference keeps the To line


@dataclass(frozen=True)
class EmailDraft:
    to: tuple[str, ...]
    subject: str
    body: str

    @property
    def to_line(self) -> str:
        return ", ".join(self.to)


def parse_recipients(text: str | None) -> tuple[str, ...]:
    """Comma-separated addresses, each checked; duplicates kept once, in order."""
    parts = [part.strip() for part in (text or "").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        raise InvalidInput(_("Give at least one address to send to."), field="to")
    found: list[str] = []
    for part in parts:
        address = mailbox(part)
        if address is None:
            raise InvalidInput(
                _("“{text}” is not an email address.").format(text=part[:100]), field="to"
            )
        if address.lower() not in (known.lower() for known in found):
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise InvalidInput(
            _("Send to at most {limit} addresses at once.").format(limit=MAX_RECIPIENTS),
            field="to",
        )
    if len(", ".join(found)) > RECIPIENTS_MAX:
        raise InvalidInput(
            _("The addresses must fit in {limit} characters.").format(limit=RECIPIENTS_MAX),
            field="to",
        )
    return tuple(found)


def validate_email(*, to: str | None, subject: str | None, body: str | None) -> EmailDraft:
    recipients = parse_recipients(to)
    line = clean_line(subject or "")
    if not line:
        raise InvalidInput(_("Subject is required."), field="subject")
    if len(line) > TITLE_MAX:
        raise InvalidInput(
            _("Subject must be at most {limit} characters.").format(limit=TITLE_MAX),
            field="subject",
        )
    text = clean_text(body or "")
    if not text:
        raise InvalidInput(_("The message cannot be empty."), field="body")
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            _("The message must be at most {limit} characters.").format(limit=TEXT_MAX),
            field="body",
        )
    return EmailDraft(recipients, line, text)


def default_subject(ticket: Ticket) -> str:
    return f"[#{ticket.number}] {ticket.title}"[:TITLE_MAX]


def check_may_email(viewer: Viewer, ticket: Ticket) -> None:
    """Mail leaves with the team's sender address, so only agents may send it."""
    if not can_see(viewer, ticket):
        raise NotFound(_("Ticket #{number} was not found.").format(number=ticket.number))
    if not viewer.works_on(ticket):
        raise Forbidden(_("Only agents can send emails from a ticket."))


def history_value(draft: EmailDraft) -> str:
    """The history keeps the subject, then the recipients on a second line."""
    return f"{draft.subject}\n{draft.to_line}"


def read_history_value(value: str) -> tuple[str, str]:
    subject, _sep, recipients = value.partition("\n")
    return subject, recipients


def record_email(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    draft: EmailDraft,
    message_id: str,
    now: datetime,
    outbound: Outbound | None = None,
) -> RelatedItem:
    """Keep a sent email on the ticket: a related item, a history line, a webhook event."""
    check_may_email(viewer, ticket)
    item = RelatedItem(
        ticket_id=ticket.id,
        kind=EMAIL_KIND,
        title=draft.subject,
        reference=draft.to_line,
        details=draft.body,
        created_by=viewer.user_id,
        created_at=now,
    )
    session.add(item)
    ticket.version += 1
    ticket.updated_at = now
    note_response(ticket, viewer, now)
    change = history.record_change(
        session=session,
        ticket=ticket,
        field=Field.EMAIL,
        old=None,
        new=history_value(draft),
        actor=viewer.user_id,
        now=now,
    )
    session.flush()
    webhooks.emit(
        session=session,
        ticket=ticket,
        kind=WebhookEvent.EMAILED,
        now=now,
        actor_id=viewer.user_id,
        changes=[change],
        details={
            "email": {"to": list(draft.to), "subject": draft.subject, "message_id": message_id}
        },
        outbound=outbound,
    )
    return item
