"""Putting a new ticket in front of people: the card, a confirmation, thread pointers."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from ticketbot.cards import publish_card
from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.store.models import Ticket
from ticketbot.views.lists import created_confirmation, pointer_reply

logger = logging.getLogger("ticketbot.publishing")


def post_card(runtime: Runtime, client: WebClient, ticket: Ticket) -> str | None:
    """Post the live card (to the triage channel, else to the requester) and remember where.

    When Slack does not take it now, the scheduled catch-up posts it later."""
    publish_card(runtime, client, ticket)
    return ticket.card_permalink


def confirm_to_requester(
    client: WebClient, ticket: Ticket, card_link: str | None, *, response_url: str | None
) -> None:
    message = created_confirmation(ticket, card_link)
    if response_url:
        sent = WebhookClient(response_url, timeout=10).send(response_type="ephemeral", **message)
        if sent.status_code == 200:
            return
        # response_url lives 30 minutes and five uses: a direct message always arrives.
        logger.info("response_url answered %s for #%s", sent.status_code, ticket.number)
    client.chat_postMessage(channel=ticket.requester_id, **message)


def reply_in_thread(
    runtime: Runtime,
    client: WebClient,
    channel_id: str,
    ts: str,
    ticket: Ticket,
    card_link: str | None,
    *,
    linked: bool = False,
) -> None:
    with speaking(runtime.config.channel_language):  # a thread anyone in the channel reads
        verb = _("Linked to ticket") if linked else _("Ticket raised:")
        reply = pointer_reply(ticket, card_link, verb=verb)
    try:
        client.chat_postMessage(channel=channel_id, thread_ts=ts, **reply)
    except SlackApiError as error:
        # The bot may not be in that channel; the ticket itself is fine.
        logger.info("no thread reply in %s: %s", channel_id, error.response.get("error"))


def publish_new_ticket(
    runtime: Runtime,
    client: WebClient,
    ticket: Ticket,
    *,
    response_url: str | None,
    origin: tuple[str, str] | None = None,
) -> str | None:
    card_link = post_card(runtime, client, ticket)
    confirm_to_requester(client, ticket, card_link, response_url=response_url)
    if origin:
        reply_in_thread(runtime, client, origin[0], origin[1], ticket, card_link)
    return card_link
