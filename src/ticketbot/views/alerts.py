"""Deadline warnings for the managers' channel: one ticket, or a digest of many."""

from __future__ import annotations

from ticketbot.i18n import _, label, ngettext
from ticketbot.ids import ActionId
from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import button, context, message, section
from ticketbot.views.card import SLA_ICON
from ticketbot.views.text import SECTION_TEXT, date_token, duration, safe, user

DIGEST_LINES_PER_SECTION = 12
DIGEST_MAX_TICKETS = 400


def _headline(kind: str, step: int) -> str:
    if kind == "warning":
        return _("{percent}% of the engagement used").format(percent=step)
    if kind == "breach":
        return _("Deadline missed")
    return _("Still overdue (reminder {count})").format(count=step)


def _time(sla: SlaStatus) -> str:
    if sla.remaining is None:
        return "—"
    if sla.state is SlaState.BREACHED:
        return _("overdue by {time}").format(time=duration(sla.remaining))
    return _("{time} left").format(time=duration(sla.remaining))


def _title_link(ticket: Ticket) -> str:
    title = f"#{ticket.number} {safe(ticket.title, 150)}"
    return f"<{ticket.card_permalink}|{title}>" if ticket.card_permalink else f"*{title}*"


def alert_message(
    ticket: Ticket, sla: SlaStatus, *, kind: str, step: int, mention: str | None = None
) -> dict:
    icon = SLA_ICON.get(sla.state, ":warning:") if kind == "warning" else ":rotating_light:"
    headline = _headline(kind, step)
    lead = f"{mention} " if mention else ""
    blocks = [
        section(f"{lead}{icon} *{headline}*: {_title_link(ticket)}"),
        context(
            _("Priority") + f": {label(ticket.priority)}",
            _("Assignee") + f": {user(ticket.assignee_id)}",
            _("Deadline") + f": {date_token(sla.due_at) if sla.due_at else '—'} ({_time(sla)})",
        ),
    ]
    if ticket.card_permalink:
        blocks[0]["accessory"] = button(
            _("Open card"), ActionId.OPEN_LINK, url=ticket.card_permalink
        )
    text = f"{headline}: #{ticket.number} {safe(ticket.title, 150)} ({_time(sla)})"
    return message(text, blocks)


def digest_message(
    items: list[tuple[Ticket, SlaStatus, str, int]], mention: str | None = None
) -> dict:
    """Many warnings for one channel in one pass: one message instead of a flood."""
    count = len(items)
    title = ngettext(
        "{count} ticket needs attention", "{count} tickets need attention", count
    ).format(count=count)
    lines = [
        f"• {_title_link(t)} · {label(t.priority)} · {user(t.assignee_id)} · "
        f"{_headline(kind, step)}, {_time(sla)}"
        for t, sla, kind, step in items[:DIGEST_MAX_TICKETS]
    ]
    blocks = [section(f"{mention + ' ' if mention else ''}:rotating_light: *{title}*")]
    chunk: list[str] = []
    for line in lines:
        if len(chunk) == DIGEST_LINES_PER_SECTION or len("\n".join([*chunk, line])) > SECTION_TEXT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line[:SECTION_TEXT])
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if count > DIGEST_MAX_TICKETS:
        blocks.append(context(_("And {more} more.").format(more=count - DIGEST_MAX_TICKETS)))
    numbers = ", ".join(f"#{t.number}" for t, *_rest in items[:50])
    return message(f"{title}: {numbers}", blocks)
