"""What waits to be done once: Slack events already handled, and the outboxes (deadline
warnings, card and status-message refreshes, outgoing messages, webhook deliveries,
scheduled runs). Every timestamp is aware UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ticketbot.store.models.base import Base, Id, SlackId
from ticketbot.store.types import UTCDateTime


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


class StatusRefresh(Base):
    """The requester's status message must show its ticket's latest state: the status
    outbox, worked like the card outbox (one row per ticket, marked by every change)."""

    __tablename__ = "status_refreshes"
    __table_args__ = (Index("ix_status_refreshes_available", "available_at"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))


class OutgoingMessage(Base):
    """A message to post once (a reply relayed to the other side, a notification), or an
    edit or deletion of one already posted: the message outbox. The message is rendered when
    it is queued, in its readers' language; its metadata names this row, so a post whose
    answer was lost is found instead of posted again."""

    __tablename__ = "outgoing_messages"
    __table_args__ = (
        Index(
            "ix_outgoing_messages_pending",
            "available_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        # An edited or deleted Slack message finds the copies relayed from it.
        Index("ix_outgoing_messages_source", "source_channel", "source_ts"),
        Index("ix_outgoing_messages_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # relay, notice, edit, delete
    channel: Mapped[str] = mapped_column(SlackId)  # a channel, or a user id: their DM
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[dict] = mapped_column(JSON)  # text and blocks, as posted
    # The Slack message this one copies (a relayed reply), and the copy an edit or a
    # deletion applies to.
    source_channel: Mapped[str | None] = mapped_column(SlackId)
    source_ts: Mapped[str | None] = mapped_column(String(32))
    edits_id: Mapped[int | None] = mapped_column(
        ForeignKey("outgoing_messages.id", ondelete="CASCADE")
    )
    posted_channel: Mapped[str | None] = mapped_column(SlackId)
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


class ScheduledRun(Base):
    """A scheduled job's run for one period (e.g. the weekly report of 2026-W48): the unique
    key makes it happen once, whichever replica gets there first."""

    __tablename__ = "scheduled_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
