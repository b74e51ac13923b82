"""The History modal: every change line by line, and the comments, page by page."""

from __future__ import annotations

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, CallbackId, ticket_block_id
from ticketbot.services.emails import read_history_value
from ticketbot.services.errors import StaleTicket
from ticketbot.services.history import ChangeLine, TimelineEntry
from ticketbot.services.related import parse_history_value
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import actions, button, context, modal, section
from ticketbot.views.text import date_token, safe, user, with_files
from ticketbot.vocabulary import (
    COMMENT_DELETED,
    ORIGIN_DELETED,
    Engagement,
    Field,
    PartyKind,
    Priority,
    Status,
    Visibility,
)

PAGE_SIZE = 40
_ENUMS = {
    Field.STATUS: Status,
    Field.PRIORITY: Priority,
    Field.ENGAGEMENT: Engagement,
    Field.VISIBILITY: Visibility,
}


def field_value(field: str, value: str | None) -> str:
    """A stored history value as a reader wants it: labels, mentions, short excerpts."""
    if value is None:
        return "—"
    try:
        kind = Field(field)
    except ValueError:
        return safe(value, 100)
    if kind in _ENUMS:
        try:
            return label(_ENUMS[kind](value))
        except ValueError:
            return safe(value, 100)
    if kind is Field.ASSIGNEE:
        return user(value)
    if kind is Field.PARTY and ":" in value:
        party_kind, _sep, name = value.partition(":")
        try:
            return f"{label(PartyKind(party_kind))}: {safe(name, 100)}"
        except ValueError:
            return safe(value, 100)
    if kind is Field.LINK and value.startswith("https://"):
        return "<" + value + "|" + _("message") + ">"
    if kind is Field.EMAIL:
        subject, recipients = read_history_value(value)
        return _("“{subject}” to {recipients}").format(
            subject=safe(subject, 150), recipients=safe(recipients, 200)
        )
    if kind is Field.RELATED:
        return related_value(value)
    return safe(value, 100)


def related_value(value: str) -> str:
    """'expense:Taxi' -> 'Expense: Taxi'; a closed activity says so."""
    parsed = parse_history_value(value)
    if parsed is None:
        return safe(value, 100)
    kind, done, title = parsed
    name = _("{kind} (done)").format(kind=label(kind)) if done else label(kind)
    return f"{name}: {safe(title, 100)}"


def field_name(field: str) -> str:
    try:
        return label(Field(field))
    except ValueError:
        return safe(field, 40)


def timeline_line(entry: TimelineEntry) -> str:
    when = date_token(entry.at)
    who = user(entry.actor_id)
    if entry.kind == "comment":
        icon = ":lock:" if entry.internal else ":speech_balloon:"
        return f"{when} {who} {icon} {with_files(entry.text, entry.files, 1500)}"
    if entry.field == Field.COMMENT and entry.new_value == COMMENT_DELETED:
        deleted = _("Comment deleted")
        return f"{when} {who} :wastebasket: _{deleted}_"
    if entry.field == Field.ORIGIN and entry.new_value == ORIGIN_DELETED:
        deleted = _("The message this ticket came from was deleted in Slack")
        return f"{when} {who} :wastebasket: _{deleted}_"
    return (
        f"{when} {who} *{field_name(entry.field or '')}*: "
        f"{field_value(entry.field or '', entry.old_value)} → "
        f"{field_value(entry.field or '', entry.new_value)}"
    )


def history_modal(
    ticket: Ticket, entries: list[TimelineEntry], *, page: int, total: int, metadata: str = ""
) -> dict:
    pages = max(1, -(-total // PAGE_SIZE))
    blocks = [
        section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
        context(
            _("Raised by {user} {when}").format(
                user=user(ticket.requester_id), when=date_token(ticket.created_at)
            )
        ),
    ]
    if not entries:
        blocks.append(section(_("No changes or comments yet.")))
    blocks.extend(context(timeline_line(entry)) for entry in entries)
    if pages > 1:
        pager = []
        if page > 0:
            pager.append(button(_("Previous"), ActionId.HISTORY_PREVIOUS, value=str(page - 1)))
        if page + 1 < pages:
            pager.append(button(_("Next"), ActionId.HISTORY_NEXT, value=str(page + 1)))
        blocks.append(context(_("Page {page} of {pages}").format(page=page + 1, pages=pages)))
        blocks.append(actions(pager, block_id=ticket_block_id(ticket.number, "pager")))
    return modal(
        _("Ticket history"),
        blocks,
        callback_id=CallbackId.HISTORY_MODAL,
        close=_("Close"),
        private_metadata=metadata,
    )


def stale_message(error: StaleTicket) -> str:
    """Plain text (modal errors show no markup): what changed since the form was opened."""

    def plain_value(line: ChangeLine, value: str | None) -> str:
        text = field_value(line.field, value)
        return text.replace("<@", "@").replace(">", "") if line.field == "assignee" else text

    described = "; ".join(
        f"{field_name(line.field)}: {plain_value(line, line.old_value)} → "
        f"{plain_value(line, line.new_value)}"
        for line in error.changes[:5]
    )
    tail = _("Close this form and open it again to edit the latest version.")
    return f"{error.message} {described}. {tail}"[:1900]
