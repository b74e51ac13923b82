"""The Related modal: who the ticket relates to, its product and its linked conversations."""

from __future__ import annotations

from ticketbot.i18n import _
from ticketbot.ids import CallbackId
from ticketbot.store.models import ConversationLink, Ticket
from ticketbot.views.blocks import context, divider, modal, section
from ticketbot.views.card import party_text
from ticketbot.views.text import date_token, safe, user

MAX_LINKS = 40


def related_modal(ticket: Ticket, links: list[ConversationLink]) -> dict:
    blocks = [
        section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
        section(f"*{_('Related to')}*\n{party_text(ticket)}"),
        section(f"*{_('Product')}*\n{safe(ticket.product, 75) or '—'}"),
        divider(),
        section(f"*{_('Linked conversations')}*"),
    ]
    if not links:
        blocks.append(
            context(
                _(
                    "No conversation linked yet. Use the message shortcut "
                    "*Link to ticket* on any message."
                )
            )
        )
    for link in links[:MAX_LINKS]:
        where = f"<{link.permalink}|{_('Message')}>" if link.permalink else link.channel_id
        blocks.append(
            context(
                f"{where} · {_('linked by')} {user(link.linked_by)} {date_token(link.linked_at)}"
            )
        )
    return modal(
        _("Related #{number}").format(number=ticket.number),
        blocks,
        callback_id=CallbackId.RELATED_MODAL,
        close=_("Close"),
    )
