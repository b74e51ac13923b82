"""App Home: my tickets; for agents, my assignments and what is about to miss its deadline."""

from __future__ import annotations

from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.services.deadlines import SlaStatus
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import actions, button, context, divider, header
from ticketbot.views.blocks import section as section_block
from ticketbot.views.limits import MAX_VIEW_BLOCKS
from ticketbot.views.lists import ticket_rows

SECTION_LIMIT = 15


def _section(title: str, items: list[tuple[Ticket, SlaStatus]], empty: str) -> list[dict]:
    blocks = [header(title)]
    if not items:
        return [*blocks, context(empty)]
    blocks.extend(ticket_rows(items[:SECTION_LIMIT]))
    if len(items) > SECTION_LIMIT:
        blocks.append(context(_("And more: use /ticket list.")))
    return blocks


def home_view(
    *,
    mine: list[tuple[Ticket, SlaStatus]],
    assigned: list[tuple[Ticket, SlaStatus]] | None,
    at_risk: list[tuple[Ticket, SlaStatus]] | None,
) -> dict:
    blocks = [
        section_block(_("*ticketbot* keeps your requests and their deadlines in one place.")),
        actions([button(_("New ticket"), ActionId.NEW_TICKET, style="primary")]),
        divider(),
        *_section(_("My tickets"), mine, _("You have no open tickets.")),
    ]
    if assigned is not None:
        blocks += [
            divider(),
            *_section(_("Assigned to me"), assigned, _("Nothing assigned to you.")),
        ]
    if at_risk is not None:
        blocks += [
            divider(),
            *_section(_("At risk of missing the deadline"), at_risk, _("No ticket is at risk.")),
        ]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
