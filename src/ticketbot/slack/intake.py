"""Tickets raised from a message in a channel: today by reacting to it with the ticket emoji.

A message raises at most one ticket, however many people react at once or Slack retries."""

from __future__ import annotations

import hashlib
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.i18n import _
from ticketbot.runtime import Runtime
from ticketbot.services.access import Viewer
from ticketbot.services.events import first_delivery
from ticketbot.services.finder import ticket_from_message
from ticketbot.services.inputs import TEXT_MAX, TicketDraft, clean_text, title_from, validate
from ticketbot.slack.client import failure_reason
from ticketbot.slack.flows import NewTicket, store_new_ticket
from ticketbot.slack.request import permalink
from ticketbot.vocabulary import Source

logger = logging.getLogger("ticketbot.intake")


def raise_claim(workspace_id: str, channel_id: str, ts: str) -> str:
    """A pseudo event id for "raise a ticket from this message": recorded like an event, the
    first transaction to record it wins, so people reacting at the same moment raise one."""
    digest = hashlib.sha256(f"{workspace_id}/{channel_id}/{ts}".encode()).hexdigest()
    return f"raise:{digest[:40]}"


# What Slack answers when the bot cannot read a channel: asking again will not help.
NOT_READABLE = frozenset(
    {"channel_not_found", "not_in_channel", "missing_scope", "thread_not_found"}
)


def fetch_message(client: WebClient, channel_id: str, ts: str) -> dict | None:
    """The message a reaction points at, whether in the channel or inside a thread; None
    when the bot cannot read it. Raises what a slow or failing Slack raised: worth asking
    again later."""
    try:
        found = (
            client.conversations_history(
                channel=channel_id, latest=ts, inclusive=True, limit=1
            ).get("messages")
            or []
        )
        if found and found[0].get("ts") == ts:
            return found[0]
        replies = client.conversations_replies(
            channel=channel_id, ts=ts, oldest=ts, inclusive=True, limit=2
        )
        found = [m for m in replies.get("messages") or [] if m.get("ts") == ts]
        return found[0] if found else None
    except SlackApiError as error:
        if error.response.get("error") not in NOT_READABLE:
            raise
        logger.info("cannot read %s/%s: %s", channel_id, ts, failure_reason(error))
        return None


class Unreadable(Exception):
    """The message reacted to cannot be read (the bot is not in its channel)."""


def raise_from_reaction(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    event_id: str,
    reactor: Viewer,
    channel_id: str,
    ts: str,
) -> NewTicket | None:
    """Store the ticket a reaction raises (None: none to raise). `quick`: the client for
    reading the message before Slack is answered. Raises Unreadable."""
    with runtime.database.transaction(read_only=True) as session:
        if ticket_from_message(
            session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
        ):
            return None  # someone already raised this message
    message = fetch_message(quick, channel_id, ts)
    if message is None:
        raise Unreadable(channel_id)
    text = message.get("text") or ""
    draft = validate(
        TicketDraft,
        {
            "title": title_from(text) or _("Ticket from a message"),
            "description": clean_text(text)[:TEXT_MAX],
            "source": Source.REACTION,
            "origin_channel_id": channel_id,
            "origin_ts": ts,
        },
    )
    link = permalink(quick, channel_id, ts)
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        if not first_delivery(session=session, event_id=event_id, now=now):
            return None
        # Concurrent reactions wait here for each other (ticket_from_message cannot see a
        # ticket another transaction has not committed yet); the later ones then stop.
        claim = raise_claim(workspace_id, channel_id, ts)
        if not first_delivery(session=session, event_id=claim, now=now):
            return None
        if ticket_from_message(
            session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
        ):
            return None
        return store_new_ticket(
            runtime,
            session,
            workspace_id=workspace_id,
            draft=draft,
            requester=reactor,
            origin=(channel_id, ts),
            origin_link=link,
        )


def cannot_read(client: WebClient, channel_id: str, user_id: str) -> None:
    client.chat_postEphemeral(
        channel=channel_id,
        user=user_id,
        text=_("I cannot read that message. Invite me to the channel, then react again."),
    )
