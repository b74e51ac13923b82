"""Putting a ticket in front of people: its card, the requester's confirmation, a pointer
in the thread of the message it came from, the satisfaction request."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.slack.cards import publish_card
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.flows import NewTicket
from ticketbot.slack.status import publish_status
from ticketbot.store.models import Comment, Ticket
from ticketbot.views.lists import comment_echo, pointer_reply
from ticketbot.views.rating import rating_request, rating_thanks

logger = logging.getLogger("ticketbot.publish")


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
    except SLACK_FAILURES as error:
        # The bot may not be in that channel; the ticket itself is fine.
        logger.info("no thread reply in %s: %s", channel_id, failure_reason(error))


def publish_new_ticket(runtime: Runtime, client: WebClient, new: NewTicket) -> None:
    """The card (to the triage channel, else the requester) and the requester's status
    message (in the thread of the message it came from, else in a direct message): the one
    message that tells them it was raised, and shows it from then on."""
    ticket = new.ticket
    publish_card(runtime, client, ticket, new.claim)
    publish_status(runtime, client, ticket, new.claim)
    runtime.slack_changed()  # what waited for the card's or the status message's place


def echo_comment(runtime: Runtime, client: WebClient, ticket: Ticket, comment: Comment) -> None:
    """A comment written in the form, echoed in the card's thread for everyone following it."""
    if not (ticket.card_channel_id and ticket.card_ts):
        return
    with speaking(runtime.config.channel_language):  # the card's thread is public
        echo = comment_echo(comment.author_id, comment.text)
    client.chat_postMessage(channel=ticket.card_channel_id, thread_ts=ticket.card_ts, **echo)


def thank_for_rating(
    client: WebClient, ticket: Ticket, score: int, *, channel_id: str | None, ts: str | None
) -> None:
    client.chat_update(channel=channel_id, ts=ts, **rating_thanks(ticket, score))


def ask_for_rating(runtime: Runtime, client: WebClient, ticket: Ticket) -> None:
    """A direct message to the requester, in their language; the ticket is closed whether it
    arrives or not."""
    with speaking(runtime.directory.language(client, ticket.requester_id)):
        request = rating_request(ticket)
    try:
        client.chat_postMessage(channel=ticket.requester_id, **request)
    except SLACK_FAILURES as error:
        logger.info("no rating request for #%s: %s", ticket.number, failure_reason(error))
