"""Tickets and what they are made of: history, comments, links, search terms, followers; and
the people who work them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketbot.store.models.base import Base, Id, NameKey, SlackId, Term, _enum
from ticketbot.store.types import UTCDateTime
from ticketbot.vocabulary import Engagement, PartyKind, Priority, Source, Status, Visibility


class TicketCounter(Base):
    """The last number given in a workspace; incremented under a row lock."""

    __tablename__ = "ticket_counters"

    workspace_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Party(Base):
    """An account, contact, supplier or asset a ticket relates to."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "name_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind))
    name: Mapped[str] = mapped_column(String(150))
    name_key: Mapped[str] = mapped_column(NameKey)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_tickets_assignee_status", "workspace_id", "assignee_id", "status"),
        Index("ix_tickets_requester_status", "workspace_id", "requester_id", "status"),
        Index("ix_tickets_status_updated", "workspace_id", "status", "updated_at"),
        # A queue's tickets (its agents' lists, its assignment by fewest open tickets).
        Index("ix_tickets_queue_status", "workspace_id", "queue", "status"),
        # Every thread reply in a channel asks whether it answers a ticket card...
        Index("ix_tickets_card", "card_channel_id", "card_ts"),
        # ...or a ticket's conversation with its requester.
        Index("ix_tickets_conversation", "conversation_channel_id", "conversation_ts"),
        # A message raises at most one ticket, however many people react to it.
        Index("ix_tickets_origin", "workspace_id", "origin_channel_id", "origin_ts"),
        # Reports count by period of creation and of closing.
        Index("ix_tickets_created", "workspace_id", "created_at"),
        Index("ix_tickets_closed", "workspace_id", "closed_at"),
        # The SLA pass reads only open tickets by due time.
        Index(
            "ix_tickets_open_due",
            "due_at",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # The report's backlog: open tickets by age, without walking the closed ones.
        Index(
            "ix_tickets_open_created",
            "workspace_id",
            "created_at",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.OPEN)
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    engagement: Mapped[Engagement] = mapped_column(_enum(Engagement), default=Engagement.STANDARD)
    category: Mapped[str | None] = mapped_column(String(75))
    assignee_id: Mapped[str | None] = mapped_column(SlackId)
    requester_id: Mapped[str] = mapped_column(SlackId)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id", ondelete="SET NULL"))
    product: Mapped[str | None] = mapped_column(String(75))
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.PUBLIC)
    # The queue that works it (config/queues.py): a key of ticketbot.yml's queues.
    queue: Mapped[str] = mapped_column(String(40), default="default", server_default="default")
    source: Mapped[Source] = mapped_column(_enum(Source))
    origin_channel_id: Mapped[str | None] = mapped_column(SlackId)
    origin_ts: Mapped[str | None] = mapped_column(String(32))
    card_channel_id: Mapped[str | None] = mapped_column(SlackId)
    card_ts: Mapped[str | None] = mapped_column(String(32))
    card_permalink: Mapped[str | None] = mapped_column(String(500))
    # The requester's side: where the conversation with them lives (a direct message, or the
    # thread of the message the ticket was raised from: its channel and thread's first ts),
    # and the status message there that shows them the ticket.
    conversation_channel_id: Mapped[str | None] = mapped_column(SlackId)
    conversation_ts: Mapped[str | None] = mapped_column(String(32))
    status_ts: Mapped[str | None] = mapped_column(String(32))
    # Since when it waits on the requester's reply, and when they were reminded of it.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The engagement clock: when it (re)started, when the current pause began, and how much
    # counted time earlier pauses took, so leaving a pause pushes the deadline.
    sla_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    party: Mapped[Party | None] = relationship(lazy="joined")

    # Versions are bumped by the services, once per operation, and checked by every UPDATE.
    __mapper_args__: ClassVar[dict] = {"version_id_col": version, "version_id_generator": False}


class TicketChange(Base):
    """One line of a ticket's history. Rows are only ever inserted."""

    __tablename__ = "ticket_changes"
    __table_args__ = (Index("ix_ticket_changes_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[str] = mapped_column(SlackId)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The ticket version this change produced: "what changed since version N" for stale edits.
    ticket_version: Mapped[int] = mapped_column(Integer)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_ticket", "ticket_id", "id"),
        UniqueConstraint("ticket_id", "slack_channel_id", "slack_ts"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(SlackId)
    text: Mapped[str] = mapped_column(Text)
    # Files shared with a reply in the card's thread: [{"name": ..., "permalink": ...}].
    files: Mapped[list[dict] | None] = mapped_column(JSON(none_as_null=True))
    # An internal note (a reply in the card's thread): agents read it, the requester never.
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slack_channel_id: Mapped[str | None] = mapped_column(SlackId)
    slack_ts: Mapped[str | None] = mapped_column(String(32))


class ConversationLink(Base):
    """A Slack message linked to a ticket."""

    __tablename__ = "conversation_links"
    __table_args__ = (UniqueConstraint("ticket_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(SlackId)
    message_ts: Mapped[str] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(String(500))
    linked_by: Mapped[str] = mapped_column(SlackId)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchTerm(Base):
    """Normalised title words, so searches by word use an index on both databases."""

    __tablename__ = "ticket_search_terms"
    __table_args__ = (Index("ix_ticket_search_terms_lookup", "workspace_id", "term"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(Term, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)


class Follower(Base):
    """Someone who hears about a ticket as its requester does."""

    __tablename__ = "followers"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    added_by: Mapped[str] = mapped_column(SlackId)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(Base):
    """What one person of a workspace chose for themselves in App Home."""

    __tablename__ = "people"

    workspace_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    user_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    # everything, replies (replies and closing: the default), or needs_me
    notify: Mapped[str] = mapped_column(String(16), default="replies", server_default="replies")
    # An agent away is given no new ticket by the assignment and told nothing meanwhile.
    away: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QueueTurn(Base):
    """Whose turn it is in a queue assigned round robin: kept, so restarts keep the order."""

    __tablename__ = "queue_turns"

    workspace_id: Mapped[str] = mapped_column(SlackId, primary_key=True)
    queue: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_assignee_id: Mapped[str | None] = mapped_column(SlackId)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
