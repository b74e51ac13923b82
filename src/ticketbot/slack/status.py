"""The requester's status message in Slack: posted once where the conversation with them
lives, then updated in place on every change (services/refreshes.py marks it, the deliverer
in jobs/cards.py renders it as the ticket is then).

Like the card, it carries metadata naming its ticket and is recorded as soon as Slack
answers; whoever is about to post one not recorded yet looks first."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services.conversation import set_conversation, status_place
from ticketbot.services.refreshes import mark_status, shown
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.request import posted_with_metadata
from ticketbot.store.models import StatusRefresh, Ticket
from ticketbot.views.status import status_message, withdrawn_status

logger = logging.getLogger("ticketbot.status")
STATUS_EVENT = "ticketbot_status"


def status_metadata(ticket: Ticket) -> dict:
    return {
        "event_type": STATUS_EVENT,
        "event_payload": {"workspace_id": ticket.workspace_id, "ticket_id": ticket.id},
    }


def language_for(runtime: Runtime, client: WebClient, ticket: Ticket) -> str:
    """The requester's language in their direct message; the channel's in a thread."""
    if status_place(ticket).in_channel:
        return runtime.config.channel_language
    return runtime.directory.language(client, ticket.requester_id)


def render_status(runtime: Runtime, client: WebClient, ticket: Ticket) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        latest = comment_service.latest_public_reply(session=session, ticket=ticket)
    people = [ticket.assignee_id, latest.author_id if latest else None]
    names = runtime.directory.names(client, people)
    with speaking(language_for(runtime, client, ticket)):
        return status_message(ticket, latest_reply=latest, names=names, now=runtime.clock.now())


def _record(runtime: Runtime, ticket: Ticket, channel: str, thread_ts: str, ts: str) -> None:
    with runtime.database.transaction() as session:
        fresh = session.get(Ticket, ticket.id, with_for_update={"of": Ticket})
        if fresh is not None:
            set_conversation(ticket=fresh, channel_id=channel, thread_ts=thread_ts, status_ts=ts)
    set_conversation(ticket=ticket, channel_id=channel, thread_ts=thread_ts, status_ts=ts)


def _in_channel_thread(ticket: Ticket) -> bool:
    return ticket.conversation_ts != ticket.status_ts  # a DM's conversation is its own thread


def _withdraw(runtime: Runtime, client: WebClient, ticket: Ticket) -> None:
    """A ticket that became internal (or moved to a private queue) leaves the channel's
    thread: its status message there says only that, and the conversation moves to a direct
    message."""
    with speaking(runtime.config.channel_language):
        stub = withdrawn_status(ticket)
    try:
        client.chat_update(channel=ticket.conversation_channel_id, ts=ticket.status_ts, **stub)
    except SLACK_FAILURES as error:
        logger.warning("status message of #%s left as it was: %s", ticket.number,
                       failure_reason(error))  # fmt: skip
        raise
    with runtime.database.transaction() as session:
        fresh = session.get(Ticket, ticket.id, with_for_update={"of": Ticket})
        if fresh is not None:
            set_conversation(ticket=fresh, channel_id=None, thread_ts=None, status_ts=None)
    set_conversation(ticket=ticket, channel_id=None, thread_ts=None, status_ts=None)


def send_status(
    runtime: Runtime, client: WebClient, ticket: Ticket, *, look_first: bool = True
) -> None:
    """Update the status message, or post it when it was never posted. Raises what Slack
    raised. `look_first`: see slack/cards.py's send_card."""
    message = render_status(runtime, client, ticket)
    place = status_place(ticket)
    if ticket.conversation_channel_id and ticket.status_ts:
        if place.in_channel or not _in_channel_thread(ticket):
            client.chat_update(
                channel=ticket.conversation_channel_id, ts=ticket.status_ts, **message
            )
            return
        _withdraw(runtime, client, ticket)  # now internal: the channel keeps no trace of it
    metadata = status_metadata(ticket)
    if look_first:
        found = posted_with_metadata(client, place.channel, STATUS_EVENT)
        posted = next((m for m in found if m[2] == metadata["event_payload"]), None)
        if posted is not None:
            conversation, ts, _payload = posted
            _record(runtime, ticket, conversation, place.thread_ts or ts, ts)
            client.chat_update(channel=conversation, ts=ts, **message)
            return
    answer = client.chat_postMessage(
        channel=place.channel, thread_ts=place.thread_ts, metadata=metadata, **message
    )
    # A direct message's conversation is the status message's own thread.
    _record(runtime, ticket, answer["channel"], place.thread_ts or answer["ts"], answer["ts"])


def publish_status(runtime: Runtime, client: WebClient, ticket: Ticket, claim: str) -> bool:
    """Post a new ticket's status message from the request that raised it (`claim`: its hold
    on the ticket's status row). False when Slack did not take it: the deliverer will."""
    try:
        send_status(runtime, client, ticket, look_first=False)
    except SLACK_FAILURES as error:
        reason = failure_reason(error)
        logger.warning("status message of #%s not shown yet (%s)", ticket.number, reason)
        with runtime.database.transaction() as session:
            mark_status(
                session=session, ticket_id=ticket.id, now=runtime.clock.now(), reason=reason
            )
        return False
    with runtime.database.transaction() as session:
        shown(session=session, model=StatusRefresh, ticket_id=ticket.id, claim=claim)
    return True
