"""The tables. Every timestamp is aware UTC; every enum is stored by its value."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ticketbot.store.types import UTCDateTime
from ticketbot.vocabulary import Engagement, PartyKind, Priority, Source, Status, Visibility

# Stable constraint names, so migrations can alter them by name on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (autoincrement).
Id = BigInteger().with_variant(Integer(), "sqlite")
SlackId = String(32)
# Byte order makes prefix ranges on search terms use the index under any database locale.
Term = String(64).with_variant(String(64, collation="C"), "postgresql")
NameKey = String(150).with_variant(String(150, collation="C"), "postgresql")


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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
        # Every thread reply in a channel asks whether it answers a ticket card.
        Index("ix_tickets_card", "card_channel_id", "card_ts"),
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
    source: Mapped[Source] = mapped_column(_enum(Source))
    origin_channel_id: Mapped[str | None] = mapped_column(SlackId)
    origin_ts: Mapped[str | None] = mapped_column(String(32))
    card_channel_id: Mapped[str | None] = mapped_column(SlackId)
    card_ts: Mapped[str | None] = mapped_column(String(32))
    card_permalink: Mapped[str | None] = mapped_column(String(500))
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


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery is dropped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SlaAlert(Base):
    """One deadline warning to deliver: an outbox row, posted exactly once.

    The unique key is what makes a warning happen once per (ticket, threshold, deadline,
    target) across passes, restarts and replicas; a pending row survives failed posts."""

    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "step", "deadline", "target"),
        Index(
            "ix_sla_alerts_pending",
            "available_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_sla_alerts_ticket", "ticket_id", "state"),
        # The retention purge finds the finished rows raised before its cutoff.
        Index("ix_sla_alerts_finished", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # warning, breach, escalation
    step: Mapped[int] = mapped_column(Integer)  # percent of the engagement, or escalation count
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    target: Mapped[str] = mapped_column(String(16))  # channel, or assignee (a direct message)
    notify_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the pass that claimed the row: only that pass may mark it sent. A claim is a
    # lease (available_at moves ahead), so a crashed replica's rows come back later.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(SlackId)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CardRefresh(Base):
    """A card Slack has not shown the latest of yet (a failed post or update), to retry.

    One row per ticket: refreshing renders the ticket as it is then, so later changes need
    no row of their own. Claimed like every outbox row (jobs/outbox.py); marking it again
    drops the claim, so a refresh in flight meanwhile does not clear it."""

    __tablename__ = "card_refreshes"
    __table_args__ = (Index("ix_card_refreshes_available", "available_at"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))


class RelatedItem(Base):
    """What a ticket carries besides its fields, as in the seed CRMs: activities, documents,
    services, expenses, purchase orders, quotes, emails, projects, timesheets, contracts."""

    __tablename__ = "related_items"
    __table_args__ = (Index("ix_related_items_ticket", "ticket_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200))  # a number, or an address
    url: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[str | None] = mapped_column(Text)  # an email's body, notes
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    due_on: Mapped[date | None] = mapped_column(Date)
    minutes: Mapped[int | None] = mapped_column(Integer)
    worked_on: Mapped[date | None] = mapped_column(Date)
    worker_id: Mapped[str | None] = mapped_column(SlackId)
    slack_file_id: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FaqEntry(Base):
    """A question and its answer, usually born from a solved ticket."""

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_entries_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.PUBLIC)
    created_by: Mapped[str] = mapped_column(SlackId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FaqTerm(Base):
    """Normalised words of a FAQ question, searched like ticket titles."""

    __tablename__ = "faq_terms"
    __table_args__ = (Index("ix_faq_terms_lookup", "workspace_id", "term"),)

    faq_id: Mapped[int] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(Term, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)


class WebhookDelivery(Base):
    """An outbound webhook event to deliver: an outbox row retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("delivery_id"),
        Index(
            "ix_webhook_deliveries_pending",
            "available_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        # The retention purge finds the finished rows raised before its cutoff.
        Index("ix_webhook_deliveries_finished", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    """The requester's 1-5 satisfaction rating of a closed ticket (the latest one counts)."""

    __tablename__ = "ratings"
    # Reports count the ratings given in a period.
    __table_args__ = (Index("ix_ratings_rated", "rated_at"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(Integer)
    rated_by: Mapped[str] = mapped_column(SlackId)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduledRun(Base):
    """A scheduled job's run for one period (e.g. the weekly report of 2026-W48): the unique
    key makes it happen once, whichever replica gets there first."""

    __tablename__ = "scheduled_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
