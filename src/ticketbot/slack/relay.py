"""The conversation in Slack kept on the ticket, both ways.

A reply in the requester's thread (their status message's, in a direct message or under the
message the ticket came from) is a public comment, relayed into the card's thread for the
agents. A reply in the card's thread is an internal note, unless the team relays those too
(`conversation.card_thread_replies: public`). Edits and deletions follow, on the ticket and
on the relayed copy. Each reply is taken once however often Slack sends it, and the bot's own
posts are never taken as replies: nothing is relayed back."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services import messages as outbox
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Viewer
from ticketbot.services.comments import SharedFile
from ticketbot.services.conversation import (
    News,
    Side,
    conversation_of,
    offers_reopen,
    reply_is_public,
    resumes,
)
from ticketbot.services.events import first_delivery
from ticketbot.services.refreshes import refresh_views
from ticketbot.slack import notify
from ticketbot.slack.request import permalink
from ticketbot.slack.status import language_for
from ticketbot.store.models import Comment, Ticket
from ticketbot.views import conversation as views
from ticketbot.views import status as status_views
from ticketbot.vocabulary import Status


def shared_files(files: Any) -> list[SharedFile] | None:
    """The `files` of a message as Slack sends them (None: the message has no such field).

    A file removed from the message (a tombstone) or one Slack keeps from us (hidden by the
    plan's limit, or only to be asked for) has no name in the payload, and is left out."""
    if not isinstance(files, list):
        return None
    found = []
    for item in files:
        if not isinstance(item, dict) or item.get("mode") == "tombstone":
            continue
        name, link = item.get("title") or item.get("name"), item.get("permalink")
        if isinstance(name, str) and name.strip():
            found.append(SharedFile(name, link if isinstance(link, str) else None))
    return found


def _relay_to_card(
    runtime: Runtime, session, quick: WebClient, ticket: Ticket, comment: Comment, source
) -> None:
    outbox.queue_message(
        session=session, ticket=ticket, kind=outbox.RELAY, channel=outbox.CARD,
        message=_for_card(runtime, quick, comment, source), now=runtime.clock.now(),
        source=source,
    )  # fmt: skip


def _relay_to_requester(
    runtime: Runtime, session, quick: WebClient, ticket: Ticket, comment: Comment, source
) -> None:
    if not notify.has_conversation(session, ticket):
        return
    outbox.queue_message(
        session=session, ticket=ticket, kind=outbox.RELAY, channel=outbox.REQUESTER,
        message=_for_requester(runtime, quick, ticket, comment), now=runtime.clock.now(),
        source=source,
    )  # fmt: skip
    agent = runtime.directory.name(quick, comment.author_id)
    notify.followers_hear(
        runtime, session, quick, ticket, News.REPLY, comment.author_id,
        lambda: views.reply_text(agent, comment.text),
    )  # fmt: skip


def _for_requester(runtime, quick, ticket: Ticket, comment: Comment) -> dict:
    agent = runtime.directory.name(quick, comment.author_id)
    with speaking(language_for(runtime, quick, ticket)):
        return status_views.agent_reply(ticket, agent=agent, text=comment.text, waiting=False)


def _for_card(runtime, quick, comment: Comment, source) -> dict:
    author = runtime.directory.name(quick, comment.author_id)
    with speaking(runtime.config.channel_language):  # the triage channel reads it
        return views.relayed_reply(
            author=author, text=comment.text, files=comment.files, link=permalink(quick, *source)
        )


def _comment(runtime, session, ticket, author, text, files, source, public) -> Comment | None:
    """A Slack message kept as a comment (None: it already is one: Slack sent it again)."""
    return comment_service.add_comment(
        session=session,
        ticket=ticket,
        viewer=author,
        text=text,
        files=shared_files(files) or (),
        now=runtime.clock.now(),
        slack_channel_id=source[0],
        slack_ts=source[1],
        outbound=runtime.outbound,
        internal=not public,
    )


def reply_in_thread(
    runtime: Runtime,
    quick: WebClient,
    *,
    event_id: str,
    author: Viewer,
    channel_id: str,
    thread_ts: str,
    ts: str,
    text: str,
    files: Any = None,
) -> bool:
    """A reply in a thread the bot follows: the requester's conversation or a card's. False
    when the thread is neither (the reply is not the ticket's)."""
    source = (channel_id, ts)
    with runtime.database.transaction() as session:
        if outbox.is_copy(session=session, channel=channel_id, ts=ts):
            return True  # our own relayed copy: never taken back
        ticket = conversation_of(
            session=session, channel_id=channel_id, thread_ts=thread_ts, for_update=True
        )
        side = Side.REQUESTER
        if ticket is None:
            ticket = link_service.ticket_for_thread(
                session=session, channel_id=channel_id, thread_ts=thread_ts
            )
            side = Side.CARD
        if ticket is None:
            return False
        if not first_delivery(session=session, event_id=event_id, now=runtime.clock.now()):
            return True
        public = reply_is_public(side, runtime.config.conversation.card_thread_replies)
        comment = _comment(runtime, session, ticket, author, text, files, source, public)
        if comment is None:
            return True
        if side is Side.REQUESTER:
            requester_replied(runtime, session, quick, ticket, author, comment, source)
        elif public:
            _relay_to_requester(runtime, session, quick, ticket, comment, source)
        if public:
            refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()
    return True


def requester_adds(
    runtime: Runtime, session, quick: WebClient, ticket: Ticket, author: Viewer, *, text: str,
    files: Any, source: tuple[str, str],
) -> Comment | None:  # fmt: skip
    """A message of the requester's outside the ticket's threads that joins it (a second
    message in a request channel): a public comment, relayed like a reply."""
    comment = _comment(runtime, session, ticket, author, text, files, source, True)
    if comment is not None:
        requester_replied(runtime, session, quick, ticket, author, comment, source)
        refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    return comment


def requester_replied(runtime, session, quick, ticket, author, comment, source) -> None:
    """What a requester's public comment sets off: the copy in the card's thread, the status
    back to In progress (or the offer to reopen), a word to the assignee."""
    _relay_to_card(runtime, session, quick, ticket, comment, source)
    if resumes(ticket, author):
        ticket_service.change_status(
            session=session,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            viewer=author,
            now=runtime.clock.now(),
            policy=runtime.policy,
            outbound=runtime.outbound,
        )
    elif offers_reopen(ticket, author):
        notify.to_requester(
            runtime, session, quick, ticket, lambda: status_views.reopen_offer(ticket)
        )
    if ticket.assignee_id and ticket.assignee_id != author.user_id:
        name = runtime.directory.name(quick, author.user_id)
        notify.to_person(
            runtime, session, quick, ticket, ticket.assignee_id,
            lambda: views.requester_replied_notice(
                ticket, author=name, text=comment.text, card_link=ticket.card_permalink
            ),
        )  # fmt: skip


def follow_edit(
    runtime: Runtime, quick: WebClient, *, channel_id: str, ts: str, text: str, files: Any = None
) -> None:
    """The message was edited in Slack: so is its comment, and the copy relayed from it."""
    with runtime.database.transaction() as session:
        comment = comment_service.edit_comment_from_slack(
            session=session,
            channel_id=channel_id,
            ts=ts,
            text=text,
            files=shared_files(files),
            now=runtime.clock.now(),
        )
        if comment is None or comment.internal:
            return
        ticket = session.get(Ticket, comment.ticket_id)
        assert ticket is not None
        source = (channel_id, ts)
        for copy in outbox.copies_of(session=session, source=source):
            if copy.channel == outbox.CARD:
                message = _for_card(runtime, quick, comment, source)
            else:
                message = _for_requester(runtime, quick, ticket, comment)
            outbox.edit_copy(session=session, copy=copy, message=message, now=runtime.clock.now())
        refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    runtime.slack_changed()


def follow_deletion(runtime: Runtime, *, channel_id: str, ts: str) -> None:
    """The message was deleted in Slack: its comment's text is erased, its copies deleted."""
    with runtime.database.transaction() as session:
        comment = comment_service.delete_comment_from_slack(
            session=session, channel_id=channel_id, ts=ts, now=runtime.clock.now()
        )
        touched = outbox.follow_deletion(
            session=session, source=(channel_id, ts), now=runtime.clock.now()
        )
        if comment is not None:
            ticket = session.get(Ticket, comment.ticket_id)
            if ticket is not None:
                refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    if comment is not None or touched:
        runtime.slack_changed()
