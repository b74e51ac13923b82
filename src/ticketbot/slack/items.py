"""What the card's side forms change: related items, Convert to FAQ, and email.

Each change is stored before Slack gets its answer (a refusal or bad input is shown under
the field), and marks the ticket's card like any change; redrawing the Related modal comes
after the answer."""

from __future__ import annotations

import contextlib
import logging
import time

from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.mailer import SEND_BUDGET, MailFailure
from ticketbot.runtime import Runtime
from ticketbot.services import emails as email_service
from ticketbot.services import faq as faq_service
from ticketbot.services import related as related_service
from ticketbot.services.access import Viewer
from ticketbot.services.emails import EmailDraft
from ticketbot.services.errors import Forbidden, NotFound
from ticketbot.services.refreshes import refresh_card
from ticketbot.services.related_input import parse_item
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.flows import find_ticket
from ticketbot.slack.forms import ItemFormContext
from ticketbot.slack.screens import related_view
from ticketbot.store.models import Ticket
from ticketbot.views.related import CLOSE

logger = logging.getLogger("ticketbot.items")


def redraw(client: WebClient, view_id: str, view: dict) -> None:
    """Show a change in a modal that may have been closed meanwhile (no error then)."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SLACK_FAILURES as error:
        logger.info("modal not redrawn: %s", failure_reason(error))


def add_related_item(
    runtime: Runtime, *, workspace_id: str, viewer: Viewer, meta: ItemFormContext, raw: dict
) -> Ticket:
    """Store the item from the add form; raises what to show in the form."""
    item = parse_item(meta.kind, raw, currency=runtime.config.currency)
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, meta.number, viewer, for_update=True)
        related_service.add_item(
            session=session,
            ticket=ticket,
            viewer=viewer,
            item=item,
            enabled=runtime.config.related_kinds,
            now=runtime.clock.now(),
        )
        refresh_card(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()
    return ticket


def show_related_change(
    runtime: Runtime, client: WebClient, ticket: Ticket, viewer: Viewer, view_id: str | None
) -> None:
    if view_id:
        redraw(client, view_id, related_view(runtime, ticket, viewer))


def change_related_item(
    runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer, verb: str, item_id: int
) -> Ticket:
    """Close or remove an item from the Related modal (redrawn after the answer)."""
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        change = related_service.close_item if verb == CLOSE else related_service.remove_item
        # Someone removed it meanwhile: redrawing the modal shows that.
        with contextlib.suppress(NotFound):
            change(
                session=session,
                ticket=ticket,
                viewer=viewer,
                item_id=item_id,
                enabled=runtime.config.related_kinds,
                now=runtime.clock.now(),
            )
            refresh_card(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()
    return ticket


def convert_to_faq(
    runtime: Runtime,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    question: str,
    answer: str,
) -> Ticket:
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        faq_service.convert_ticket(
            session=session,
            ticket=ticket,
            viewer=viewer,
            question=question,
            answer=answer,
            now=runtime.clock.now(),
        )
        refresh_card(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()
    return ticket


def not_set_up() -> str:
    return _("Email is not set up for ticketbot: an admin can set SMTP_URL and SMTP_FROM.")


def send_email(
    runtime: Runtime,
    *,
    ticket: Ticket,
    viewer: Viewer,
    draft: EmailDraft,
    started: float,
) -> None:
    """Send over SMTP within what is left of Slack's three seconds since `started`
    (time.monotonic()), then keep it on the ticket. Raises MailFailure when nothing was sent;
    anything else means it was sent but not recorded."""
    mailer = runtime.mailer
    if mailer is None:
        raise Forbidden(not_set_up())
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
        raise
    try:
        with runtime.database.transaction() as session:
            fresh = find_ticket(
                session, ticket.workspace_id, ticket.number, viewer, for_update=True
            )
            email_service.record_email(
                session=session,
                ticket=fresh,
                viewer=viewer,
                draft=draft,
                message_id=message["Message-ID"],
                now=runtime.clock.now(),
                outbound=runtime.outbound,
            )
            refresh_card(session=session, ticket=fresh, now=runtime.clock.now())
    except Exception:
        logger.exception(
            "email %s from #%s was sent but not recorded", message["Message-ID"], ticket.number
        )
        raise
    runtime.slack_changed()


def requester_address(client: WebClient, user_id: str) -> str | None:
    """The requester's address from their Slack profile, when Slack has one and shows it."""
    try:
        profile = (client.users_info(user=user_id).get("user") or {}).get("profile") or {}
    except SLACK_FAILURES as error:
        logger.info("no profile for %s: %s", user_id, failure_reason(error))
        return None
    address = profile.get("email")
    return address if isinstance(address, str) and address else None
