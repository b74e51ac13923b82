"""A workspace's settings, kept in the database: one row per version, never changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketbot.store.models.base import Base, Id, SlackId
from ticketbot.store.types import UTCDateTime


class SettingsVersion(Base):
    """Every change of a workspace's settings: the whole document as ticketbot.yml would
    write it (without secrets), who changed it, when, and a line saying what changed."""

    __tablename__ = "settings_versions"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(SlackId)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(64))  # a user id, or where it came from
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
