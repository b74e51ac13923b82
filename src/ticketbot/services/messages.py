"""The message outbox: what must be posted once (a relayed reply, a notification), and the
edits and deletions that follow a relayed message's source.

Rows are written in the transaction of the change they tell about, so a reply stored is a
reply relayed, whatever happens to the process after; the deliverer (jobs/messages.py) posts
them. Where a message goes may be known only when it is posted: to `CARD` (the ticket's
card's thread) or to `REQUESTER` (their conversation: the status message's thread)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketbot.store.models import OutgoingMessage, Ticket

PENDING, SENT, CANCELLED = "pending", "sent", "cancelled"
CARD, REQUESTER = "@card", "@requester"  # places resolved when the message is posted
RELAY, NOTICE, EDIT, DELETE = "relay", "notice", "edit", "delete"


def queue_message(
    *,
    session: Session,
    ticket: Ticket,
    kind: str,
    channel: str,
    message: dict,
    now: datetime,
    thread_ts: str | None = None,
    source: tuple[str, str] | None = None,
) -> OutgoingMessage:
    """Post `message` once to `channel` (a channel, a user id for their direct message, or
    CARD / REQUESTER). `source`: the Slack message it relays, whose edits follow it."""
    row = OutgoingMessage(
        ticket_id=ticket.id,
        kind=kind,
        channel=channel,
        thread_ts=thread_ts,
        message=message,
        source_channel=source[0] if source else None,
        source_ts=source[1] if source else None,
        state=PENDING,
        available_at=now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


def copies_of(
    *, session: Session, source: tuple[str, str], kinds: tuple[str, ...] = (RELAY,)
) -> list[OutgoingMessage]:
    """The copies relayed from a Slack message (with NOTICE: the notices quoting it too)."""
    return list(
        session.scalars(
            select(OutgoingMessage).where(
                OutgoingMessage.source_channel == source[0],
                OutgoingMessage.source_ts == source[1],
                OutgoingMessage.kind.in_(kinds),
            )
        )
    )


def _pending_follow_up(session: Session, copy: OutgoingMessage) -> OutgoingMessage | None:
    return session.scalars(
        select(OutgoingMessage).where(
            OutgoingMessage.edits_id == copy.id,
            OutgoingMessage.state == PENDING,
            OutgoingMessage.kind == EDIT,
        )
    ).first()


def edit_copy(*, session: Session, copy: OutgoingMessage, message: dict, now: datetime) -> None:
    """A relayed message was edited: its copy says the same. A copy not posted yet is simply
    rewritten; an edit still waiting to go out is replaced by this one."""
    if copy.state == PENDING:
        copy.message = message
        return
    if copy.state != SENT:
        return
    waiting = _pending_follow_up(session, copy)
    if waiting is not None:
        waiting.message = message
        return
    session.add(
        OutgoingMessage(
            ticket_id=copy.ticket_id,
            kind=EDIT,
            channel=copy.channel,
            message=message,
            edits_id=copy.id,
            state=PENDING,
            available_at=now,
            attempts=0,
            created_at=now,
        )
    )


def follow_deletion(*, session: Session, source: tuple[str, str], now: datetime) -> int:
    """The relayed message was deleted: so are its copies and the notices quoting it (one not
    posted yet never is), and their words are gone from the outbox too, with those of every
    edit that followed them."""
    touched = 0
    for copy in copies_of(session=session, source=source, kinds=(RELAY, NOTICE)):
        touched += 1
        copy.message = {}  # a posted copy is deleted by its ts: its words are not needed
        for edit in session.scalars(
            select(OutgoingMessage).where(
                OutgoingMessage.edits_id == copy.id, OutgoingMessage.kind == EDIT
            )
        ):
            edit.message = {}
        if copy.state == PENDING:
            copy.state = CANCELLED
            continue
        if copy.state != SENT:
            continue
        waiting = _pending_follow_up(session, copy)
        if waiting is not None:
            waiting.state = CANCELLED
        session.add(
            OutgoingMessage(
                ticket_id=copy.ticket_id,
                kind=DELETE,
                channel=copy.channel,
                message={},
                edits_id=copy.id,
                state=PENDING,
                available_at=now,
                attempts=0,
                created_at=now,
            )
        )
    return touched


def is_copy(*, session: Session, channel: str, ts: str) -> bool:
    """Whether this Slack message is one the bot posted from the outbox (never relayed back)."""
    return (
        session.scalar(
            select(OutgoingMessage.id).where(
                OutgoingMessage.posted_channel == channel, OutgoingMessage.posted_ts == ts
            )
        )
        is not None
    )
