"""Answers to /ticket: help, lists, search results, confirmations."""

from __future__ import annotations

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId
from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import button, context, header, message, section
from ticketbot.views.card import SLA_ICON, STATUS_ICON
from ticketbot.views.text import duration, safe, user
from ticketbot.vocabulary import Status

LIST_LIMIT = 20


def help_message(command: str = "/ticket") -> dict:
    lines = [
        (f"`{command}` " + _("or") + f" `{command} new [title]`", _("raise a ticket")),
        (f"`{command} show N`, `{command} N`, `#N`", _("show one ticket")),
        (f"`{command} list [open|mine|assigned|waiting|closed|all]`", _("list tickets")),
        (f"`{command} search words`", _("find tickets by number or title words")),
        (
            f"`{command} report [7d|30d|90d|YYYY-MM] [queue NAME]`",
            _("agents: a report, in a direct message"),
        ),
        (f"`{command} faq [words]`", _("search the FAQ, or see its latest entries")),
        (f"`{command} help`", _("this help")),
    ]
    text = "\n".join(f"• {usage}: {what}" for usage, what in lines)
    return message(
        _("How to use {command}").format(command=command),
        [
            section("*" + _("ticketbot commands") + "*\n" + text),
            context(
                _(
                    "You can also react to a message with :ticket: or use the message shortcuts "
                    "*Create ticket* and *Link to ticket*."
                )
            ),
        ],
    )


def ticket_line(ticket: Ticket, sla: SlaStatus | None = None) -> str:
    status = Status(ticket.status)
    parts = [
        f"{STATUS_ICON[status]} *#{ticket.number}* {safe(ticket.title, 150)}",
        label(status),
        label(ticket.priority),
    ]
    if ticket.assignee_id:
        parts.append(user(ticket.assignee_id))
    if sla is not None and sla.remaining is not None and sla.state is not SlaState.CLOSED:
        if sla.state is SlaState.BREACHED:
            parts.append(
                f"{SLA_ICON[sla.state]} "
                + _("overdue by {left}").format(left=duration(sla.remaining))
            )
        else:
            parts.append(
                f"{SLA_ICON[sla.state]} " + _("{left} left").format(left=duration(sla.remaining))
            )
    return " · ".join(parts)


def ticket_rows(items: list[tuple[Ticket, SlaStatus]]) -> list[dict]:
    return [
        section(
            ticket_line(ticket, sla),
            accessory=button(_("Show"), ActionId.SHOW_TICKET, value=str(ticket.number)),
        )
        for ticket, sla in items
    ]


def ticket_list(
    title: str, items: list[tuple[Ticket, SlaStatus]], *, empty: str, more: bool = False
) -> dict:
    if not items:
        return message(empty, [section(empty)])
    blocks = [header(title), *ticket_rows(items[:LIST_LIMIT])]
    if more or len(items) > LIST_LIMIT:
        blocks.append(
            context(
                _("Showing the first {count}. Narrow it with /ticket search.").format(
                    count=LIST_LIMIT
                )
            )
        )
    # The header is plain text; the fallback is parsed, and /ticket search puts typed words in.
    return message(f"{safe(title, 200)}: {len(items)}", blocks)


def created_confirmation(ticket: Ticket, card_link: str | None) -> dict:
    text = _("Ticket *#{number}* created: {title}").format(
        number=ticket.number, title=safe(ticket.title, 200)
    )
    accessory = button(_("Open card"), ActionId.OPEN_LINK, url=card_link) if card_link else None
    return message(
        _("Ticket #{number} created").format(number=ticket.number),
        [section(f":white_check_mark: {text}", accessory=accessory)],
    )


def pointer_reply(ticket: Ticket, card_link: str | None, *, verb: str) -> dict:
    """A reply in a message's thread that points to the ticket raised or linked from it."""
    number = f"#{ticket.number}"
    target = f"<{card_link}|{number}>" if card_link else f"*{number}*"
    text = f":ticket: {verb} {target}: {safe(ticket.title, 200)}"
    return message(f"{verb} {number}", [section(text)])


def comment_echo(author_id: str, text: str) -> dict:
    """A comment added from the card, echoed in the card's thread for everyone following it."""
    body = f":speech_balloon: {user(author_id)}: {safe(text, 2800)}"
    return message(_("Comment from {user}").format(user=user(author_id)), [section(body)])
