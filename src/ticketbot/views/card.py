"""The ticket card: one builder for the live card, `/ticket show` and shared copies."""

from __future__ import annotations

from collections.abc import Mapping

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, ticket_block_id
from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.services.related import RelatedSummary
from ticketbot.store.models import Comment, ConversationLink, Ticket
from ticketbot.views.blocks import (
    actions,
    button,
    context,
    divider,
    enum_options,
    fields,
    header,
    message,
    section,
    static_select,
    users_select,
)
from ticketbot.views.related_text import counts_text
from ticketbot.views.text import date_token, duration, safe, user, with_files
from ticketbot.vocabulary import RelatedKind, Status, Visibility

CARD_DESCRIPTION = 600
STATUS_ICON = {
    Status.OPEN: ":large_blue_circle:",
    Status.WAITING: ":hourglass_flowing_sand:",
    Status.IN_PROGRESS: ":hammer_and_wrench:",
    Status.CLOSED: ":white_check_mark:",
}
SLA_ICON = {
    SlaState.ON_TRACK: ":large_green_circle:",
    SlaState.AT_RISK: ":large_orange_circle:",
    SlaState.BREACHED: ":red_circle:",
    SlaState.PAUSED: ":double_vertical_bar:",
}


def fallback(ticket: Ticket) -> str:
    return f"#{ticket.number} {safe(ticket.title, 200)}"


def sla_text(sla: SlaStatus) -> str:
    if sla.state is SlaState.CLOSED or sla.due_at is None or sla.remaining is None:
        return "—"
    due = date_token(sla.due_at)
    left = duration(sla.remaining)
    words = {
        SlaState.ON_TRACK: _("On track, {left} left"),
        SlaState.AT_RISK: _("At risk, {left} left"),
        SlaState.BREACHED: _("Breached, overdue by {left}"),
        SlaState.PAUSED: _("Paused, {left} left"),
    }[sla.state].format(left=left)
    return f"{SLA_ICON[sla.state]} {words}\n{due}"


def party_text(ticket: Ticket) -> str:
    if ticket.party is None:
        return "—"
    return f"{label(ticket.party.kind)}: {safe(ticket.party.name, 150)}"


def ticket_fields(ticket: Ticket, sla: SlaStatus) -> dict:
    status = Status(ticket.status)
    return fields(
        [
            (_("Status"), f"{STATUS_ICON[status]} {label(status)}"),
            (_("Priority"), label(ticket.priority)),
            (_("Engagement"), label(ticket.engagement)),
            (_("Deadline"), sla_text(sla)),
            (_("Category"), safe(ticket.category, 75) or "—"),
            (_("Assignee"), user(ticket.assignee_id)),
            (_("Requester"), user(ticket.requester_id)),
            (_("Related to"), party_text(ticket)),
            (_("Product"), safe(ticket.product, 75) or "—"),
        ]
    )


def card_controls(ticket: Ticket, *, email: bool = False, faq_button: bool = False) -> dict:
    """The inline controls; the block id carries the ticket number to every action.
    `email`: SMTP is configured, so the Email button has somewhere to send."""
    number = str(ticket.number)
    controls = [
        static_select(
            ActionId.STATUS,
            enum_options(Status),
            initial=Status(ticket.status).value,
            placeholder=_("Status"),
        ),
        users_select(ActionId.ASSIGN, initial=ticket.assignee_id, placeholder=_("Assign to")),
        button(_("Edit"), ActionId.EDIT, value=number),
        button(_("Comment"), ActionId.COMMENT, value=number),
        button(_("History"), ActionId.HISTORY, value=number),
        button(_("Related"), ActionId.RELATED, value=number),
        button(_("Reply to requester"), ActionId.REPLY_TO_REQUESTER, value=number),
        button(_("Follow"), ActionId.FOLLOW, value=number),
    ]
    if email:
        controls.append(button(_("Email"), ActionId.EMAIL, value=number))
    if faq_button:
        controls.append(button(_("Convert to FAQ"), ActionId.FAQ_CONVERT, value=number))
    return actions(controls, block_id=ticket_block_id(ticket.number))


def moved_card(ticket: Ticket, queue: str) -> dict:
    """What the old card says once its ticket went to another queue (and its card with it)."""
    text = _("#{number} moved to the {queue} queue.").format(number=ticket.number,
                                                             queue=safe(queue, 40))  # fmt: skip
    return message(text, [context(":arrow_right: " + text)])


def can_become_faq(ticket: Ticket) -> bool:
    return ticket.status is Status.CLOSED and bool(ticket.solution)


def related_note(related: Mapping[RelatedKind | str, int] | None, minutes: int, in_faq: bool):
    """A context line: related items by kind, time spent, and whether it is in the FAQ."""
    parts = []
    counts = counts_text(related or {}, minutes)
    if counts:
        parts.append(":paperclip: " + _("Related") + f": {counts}")
    if in_faq:
        parts.append(":books: " + _("In the FAQ"))
    return context(*parts) if parts else None


def ticket_blocks(
    ticket: Ticket, sla: SlaStatus, *, description_limit: int, withheld: bool = False
) -> list[dict]:
    """`withheld`: a private queue's card, read by a whole channel: no description."""
    blocks = [header(f"#{ticket.number} {ticket.title}"), ticket_fields(ticket, sla)]
    if ticket.description and withheld:
        blocks.append(
            context(":lock: " + _("Private queue: the description shows in /ticket show {n}.")
                    .format(n=ticket.number))
        )  # fmt: skip
    elif ticket.description:
        blocks.append(section(safe(ticket.description, description_limit)))
    if ticket.status is Status.CLOSED and ticket.solution:
        blocks.append(section("*" + _("Solution") + "*\n" + safe(ticket.solution, 2900)))
    notes = [
        _("Raised by {user} via {source}, {when}").format(
            user=user(ticket.requester_id),
            source=label(ticket.source).lower(),
            when=date_token(ticket.created_at),
        )
    ]
    if ticket.visibility is Visibility.INTERNAL:
        notes.insert(0, ":lock: " + _("Internal: agents and the requester only"))
    blocks.append(context(*notes))
    return blocks


def ticket_card(
    ticket: Ticket,
    sla: SlaStatus,
    *,
    email: bool = False,
    related: RelatedSummary | None = None,
    faq_button: bool = False,
    in_faq: bool = False,
    private: bool = False,
) -> dict:
    """The live card posted to the triage channel and updated in place on every change
    (`private`: of a private queue, whose description stays out of the channel)."""
    blocks = ticket_blocks(ticket, sla, description_limit=CARD_DESCRIPTION, withheld=private)
    note = related_note(
        related.counts if related else None, related.minutes if related else 0, in_faq
    )
    if note:
        blocks.append(note)
    blocks.append(card_controls(ticket, email=email, faq_button=faq_button and not in_faq))
    return message(fallback(ticket), blocks)


def ticket_detail(
    ticket: Ticket,
    sla: SlaStatus,
    *,
    comments: list[Comment],
    links: list[ConversationLink],
    card_link: str | None = None,
    related_counts: Mapping[RelatedKind | str, int] | None = None,
    time_spent_minutes: int = 0,
    faq_button: bool = False,
    in_faq: bool = False,
    shared: bool = False,
    email: bool = False,
) -> dict:
    """`/ticket show N`: every field, the latest comments, linked conversations, controls."""
    blocks = ticket_blocks(ticket, sla, description_limit=2900)
    if comments:
        blocks.append(divider())
        blocks.append(section("*" + _("Latest comments") + "*"))
        for comment in comments:
            blocks.append(
                context(
                    f"{':lock: ' if comment.internal else ''}{user(comment.author_id)} "
                    f"{date_token(comment.created_at)}",
                    with_files(comment.text, comment.files, 1000),
                )
            )
    if links:
        word, linked_by = _("Message"), _("linked by")
        lines = [
            f"• <{link.permalink}|{word}> {linked_by} {user(link.linked_by)}"
            if link.permalink
            else f"• {link.channel_id} {link.message_ts}"
            for link in links
        ]
        blocks.append(section("*" + _("Linked conversations") + "*\n" + "\n".join(lines)))
    note = related_note(related_counts, time_spent_minutes, in_faq)
    if note:
        blocks.append(note)
    if not shared:
        blocks.append(card_controls(ticket, email=email, faq_button=faq_button and not in_faq))
        extras = [button(_("Share in channel"), ActionId.SHARE, value=str(ticket.number))]
        if card_link:
            extras.append(button(_("Open card"), ActionId.OPEN_LINK, url=card_link))
        blocks.append(actions(extras, block_id=ticket_block_id(ticket.number, "share")))
    return message(fallback(ticket), blocks)
