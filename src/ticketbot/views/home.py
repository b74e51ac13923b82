"""App Home: my tickets; for agents, my assignments and what is about to miss its deadline."""

from __future__ import annotations

from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.services.conversation import Notify
from ticketbot.services.deadlines import SlaStatus
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import actions, button, context, divider, header, option, static_select
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


def notify_choice(level: Notify) -> dict:
    """How much the person hears of the tickets they raised or follow."""
    choices = {
        Notify.EVERYTHING: _("Everything"),
        Notify.REPLIES: _("Replies and closing"),
        Notify.NEEDS_ME: _("Only what needs me"),
    }
    return section_block(
        "*" + _("Messages about your tickets") + "*\n"
        + _("New messages for what you choose; your status messages always stay current."),
        accessory=static_select(
            ActionId.NOTIFY_LEVEL,
            [option(text, value.value) for value, text in choices.items()],
            initial=level.value,
        ),
    )  # fmt: skip


def away_choice(away: bool) -> dict:
    """An agent's Away switch: no new tickets from the assignment, no direct messages."""
    if away:
        said = ":palm_tree: *" + _("You are away") + "*\n" + _(
            "The queues give you no new tickets and ticketbot sends you no direct messages."
        )
        control = button(_("I am back"), ActionId.AWAY, value="back", style="primary")
    else:
        said = "*" + _("Away") + "*\n" + _(
            "Going on leave? While away, the queues give you no new tickets and ticketbot "
            "sends you no direct messages."
        )
        control = button(_("I am away"), ActionId.AWAY, value="away")
    return section_block(said, accessory=control)


def home_view(
    *,
    mine: list[tuple[Ticket, SlaStatus]],
    assigned: list[tuple[Ticket, SlaStatus]] | None,
    at_risk: list[tuple[Ticket, SlaStatus]] | None,
    notify: Notify = Notify.REPLIES,
    new: list[tuple[Ticket, SlaStatus]] | None = None,
    away: bool | None = None,
    settings: list[dict] | None = None,
) -> dict:
    """`away`: the agent's Away switch (None: not an agent); `settings`: an admin's
    Settings section."""
    blocks = [
        section_block(_("*ticketbot* keeps your requests and their deadlines in one place.")),
        actions([button(_("New ticket"), ActionId.NEW_TICKET, style="primary")]),
        notify_choice(notify),
        *([away_choice(away)] if away is not None else []),
        divider(),
        *_section(_("My tickets"), mine, _("You have no open tickets.")),
    ]
    if new is not None:
        blocks += [
            divider(),
            *_section(_("New in my queues"), new, _("Every ticket of your queues is taken.")),
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
    if settings:
        room = MAX_VIEW_BLOCKS - len(settings)
        blocks = [*blocks[:room], *settings]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
