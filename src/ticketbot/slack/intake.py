"""Tickets raised from a message in a channel: by reacting to it with the ticket emoji, or by
posting it in a queue's request channel (services/intake.py says which messages count).

A message raises at most one ticket, however many people react at once or Slack retries."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.config import Queue
from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Role, Viewer
from ticketbot.services.events import first_delivery
from ticketbot.services.finder import ticket_from_message
from ticketbot.services.inputs import (
    TEXT_MAX,
    TicketDraft,
    TicketEdit,
    clean_text,
    title_from,
    validate,
)
from ticketbot.services.intake import grouping_target, note_origin_deleted, origin_editable
from ticketbot.services.refreshes import refresh_views
from ticketbot.slack import relay
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.flows import NewTicket, store_new_ticket
from ticketbot.slack.relay import shared_files
from ticketbot.slack.request import permalink
from ticketbot.store.models import Comment, Ticket
from ticketbot.views.intake import capture_question
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


def description_from(text: str, files=None) -> str:
    """A message as a ticket's description: its text, then each file shared with it."""
    lines = [clean_text(text or "")]
    shared = shared_files(files) or ()
    named = [f"- {f.name}: {f.permalink}" if f.permalink else f"- {f.name}" for f in shared]
    if named:
        lines.append(_("Files:") + "\n" + "\n".join(named))
    return "\n\n".join(line for line in lines if line)[:TEXT_MAX]


def draft_from_message(text: str, files, source: Source, channel_id: str, ts: str) -> TicketDraft:
    return validate(
        TicketDraft,
        {
            "title": title_from(text) or _("Ticket from a message"),
            "description": description_from(text, files),
            "source": source,
            "origin_channel_id": channel_id,
            "origin_ts": ts,
        },
    )


def raise_from_message(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    event_id: str,
    requester: Viewer,
    channel_id: str,
    ts: str,
    source: Source = Source.REACTION,
) -> NewTicket | None:
    """Store the ticket a reaction (or the author's "Raise a ticket") raises from a message
    the bot reads first (None: none to raise). `quick`: the client for reading the message
    before Slack is answered. Raises Unreadable."""
    with runtime.database.transaction(read_only=True) as session:
        if ticket_from_message(
            session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
        ):
            return None  # someone already raised this message
    message = fetch_message(quick, channel_id, ts)
    if message is None:
        raise Unreadable(channel_id)
    draft = draft_from_message(
        message.get("text") or "", message.get("files"), source, channel_id, ts
    )
    link = permalink(quick, channel_id, ts)
    with runtime.database.transaction() as session:
        return _store_once(runtime, session, quick, workspace_id, event_id, requester, draft, link)


def _store_once(runtime, session, quick, workspace_id, event_id, requester, draft, link):
    now = runtime.clock.now()
    channel_id, ts = draft.origin_channel_id, draft.origin_ts
    if not first_delivery(session=session, event_id=event_id, now=now):
        return None
    # Concurrent raises wait here for each other (ticket_from_message cannot see a ticket
    # another transaction has not committed yet); the later ones then stop.
    claim = raise_claim(workspace_id, channel_id, ts)
    if not first_delivery(session=session, event_id=claim, now=now):
        return None
    if ticket_from_message(
        session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts
    ):
        return None
    return store_new_ticket(
        runtime, session, workspace_id=workspace_id, draft=draft, requester=requester,
        origin=(channel_id, ts), origin_link=link, quick=quick,
    )  # fmt: skip


# --- Request channels -----------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    """A message that joined its author's last ticket as a comment."""

    ticket: Ticket
    comment: Comment


def capture_message(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    event_id: str,
    author: Viewer,
    queue: Queue,
    channel_id: str,
    ts: str,
    text: str,
    files=None,
) -> NewTicket | Joined | None:
    """A new message in a request channel: a ticket of its queue, or a comment on the
    author's ticket raised moments before (None: Slack sent it before)."""
    draft = draft_from_message(text, files, Source.REQUEST_CHANNEL, channel_id, ts)
    link = permalink(quick, channel_id, ts)
    with runtime.database.transaction() as session:
        target = grouping_target(
            session=session, workspace_id=workspace_id, queue=queue, channel_id=channel_id,
            author_id=author.user_id, ts=ts,
        )  # fmt: skip
        if target is None:
            return _store_once(runtime, session, quick, workspace_id, event_id, author, draft, link)
        if not first_delivery(session=session, event_id=event_id, now=runtime.clock.now()):
            return None
        comment = relay.requester_adds(
            runtime, session, quick, target, author, text=text, files=files,
            source=(channel_id, ts),
        )  # fmt: skip
    runtime.slack_changed()
    return Joined(target, comment) if comment is not None else None


def tell_joined(runtime: Runtime, client: WebClient, joined: Joined, channel_id: str) -> None:
    """The author learns their message went to their ticket, not to a new one."""
    ticket = joined.ticket
    with speaking(runtime.directory.language(client, ticket.requester_id)):
        said = _("Added to your ticket #{number} {title}.").format(
            number=ticket.number, title=ticket.title
        )
    try:
        client.chat_postEphemeral(channel=channel_id, user=ticket.requester_id, text=said)
    except SLACK_FAILURES as error:
        logger.info("no word on #%s joined: %s", ticket.number, failure_reason(error))


def note_asked(runtime: Runtime, *, event_id: str) -> bool:
    """Whether this message is met for the first time (its question is asked once)."""
    with runtime.database.transaction() as session:
        return first_delivery(session=session, event_id=event_id, now=runtime.clock.now())


def ask_author(
    runtime: Runtime, client: WebClient, queue: Queue, channel_id: str, user_id: str, ts: str
) -> None:
    """`capture: ask`: the author says whether their message is a request."""
    with speaking(runtime.directory.language(client, user_id)):
        question = capture_question(queue.name, ts)
    client.chat_postEphemeral(channel=channel_id, user=user_id, **question)


def follow_origin_edit(
    runtime: Runtime, *, workspace_id: str, channel_id: str, ts: str, text: str, files=None
) -> bool:
    """The message a request-channel ticket came from was edited: until someone works the
    ticket, its description follows (a history line). False: no ticket came from it."""
    with runtime.database.transaction() as session:
        ticket = ticket_from_message(
            session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts,
            for_update=True,
        )  # fmt: skip
        if ticket is None:
            return False
        if ticket.source is not Source.REQUEST_CHANNEL or not origin_editable(ticket):
            return True
        description = description_from(text, files)
        if description == (ticket.description or ""):
            return True  # a reply in its thread, not an edit of its text
        ticket_service.edit_ticket(
            session=session, ticket=ticket, edit=TicketEdit(description=description),
            viewer=Viewer(ticket.requester_id, Role.REQUESTER), now=runtime.clock.now(),
            policy=runtime.policy, outbound=runtime.outbound,
        )  # fmt: skip
        refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()
    return True


def follow_origin_deletion(runtime: Runtime, *, workspace_id: str, channel_id: str, ts: str):
    """The message a ticket came from was deleted in Slack: the ticket stays, its history
    says so."""
    with runtime.database.transaction() as session:
        ticket = ticket_from_message(
            session=session, workspace_id=workspace_id, channel_id=channel_id, ts=ts,
            for_update=True,
        )  # fmt: skip
        if ticket is None:
            return
        note_origin_deleted(session=session, ticket=ticket, now=runtime.clock.now())
        refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()


def cannot_read(client: WebClient, channel_id: str, user_id: str) -> None:
    client.chat_postEphemeral(
        channel=channel_id,
        user=user_id,
        text=_("I cannot read that message. Invite me to the channel, then react again."),
    )
