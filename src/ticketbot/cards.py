"""The live card in Slack: its SLA state and re-rendering it in place after any change."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.runtime import Runtime
from ticketbot.services.deadlines import SlaStatus, sla_status
from ticketbot.store.models import Ticket
from ticketbot.views.card import ticket_card

logger = logging.getLogger("ticketbot.cards")


def sla_of(runtime: Runtime, ticket: Ticket) -> SlaStatus:
    warn = min(runtime.config.sla.warn_at, default=0.75)
    return sla_status(ticket, now=runtime.clock.now(), policy=runtime.policy, warn_at=warn)


def refresh_card(runtime: Runtime, client: WebClient, ticket: Ticket) -> None:
    """Re-render the live card in place, so everyone sees the same ticket."""
    if not ticket.card_channel_id or not ticket.card_ts:
        return
    try:
        client.chat_update(
            channel=ticket.card_channel_id,
            ts=ticket.card_ts,
            **ticket_card(ticket, sla_of(runtime, ticket)),
        )
    except SlackApiError as error:
        # The change is saved; the card catches up at its next update.
        logger.warning("card of #%s not updated: %s", ticket.number, error.response.get("error"))
