"""What a ticket carries besides its fields: related items, the FAQ built from solved
tickets, satisfaction ratings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ticketbot.store.models.base import Base, Id, SlackId, Term, _enum
from ticketbot.store.types import UTCDateTime
from ticketbot.vocabulary import Visibility


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
