"""Slack conversations linked to a ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.services import history
from ticketbot.services.access import Viewer, can_see
from ticketbot.services.errors import NotFound
from ticketbot.store.models import ConversationLink, Ticket
from ticketbot.vocabulary import Field


def link_conversation(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    channel_id: str,
    message_ts: str,
    permalink: str | None,
    now: datetime,
) -> ConversationLink | None:
    """Link a message; None when it was already linked to this ticket."""
    if not can_see(viewer, ticket):
        raise NotFound(_("Ticket #{number} was not found.").format(number=ticket.number))
    existing = session.scalar(
        select(ConversationLink).where(
            ConversationLink.ticket_id == ticket.id,
            ConversationLink.channel_id == channel_id,
            ConversationLink.message_ts == message_ts,
        )
    )
    if existing is not None:
        return None
    link = ConversationLink(
        ticket_id=ticket.id,
        channel_id=channel_id,
        message_ts=message_ts,
        permalink=permalink,
        linked_by=viewer.user_id,
        linked_at=now,
    )
    session.add(link)
    ticket.version += 1
    ticket.updated_at = now
    history.record_change(
        session=session,
        ticket=ticket,
        field=Field.LINK,
        old=None,
        new=permalink or f"{channel_id}/{message_ts}",
        actor=viewer.user_id,
        now=now,
    )
    session.flush()
    return link


def links_of(*, session: Session, ticket: Ticket, limit: int = 10) -> list[ConversationLink]:
    return list(
        session.scalars(
            select(ConversationLink)
            .where(ConversationLink.ticket_id == ticket.id)
            .order_by(ConversationLink.id.desc())
            .limit(limit)
        )
    )


def ticket_for_thread(*, session: Session, channel_id: str, thread_ts: str) -> Ticket | None:
    """The ticket whose card starts this thread, for replies that become comments.

    Locked: a comment updates the ticket, and a change made meanwhile by another replica
    would otherwise make that update fail on the ticket's version."""
    return session.scalars(
        select(Ticket)
        .where(Ticket.card_channel_id == channel_id, Ticket.card_ts == thread_ts)
        .with_for_update(of=Ticket)
    ).first()
