"""Slack retries events it thinks we missed; we remember which ones we handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketbot.store.models import ProcessedEvent

KEEP_FOR = timedelta(days=2)  # then purged by the retention pass (services/retention.py)


def first_delivery(*, session: Session, event_id: str, now: datetime) -> bool:
    """True exactly once per event id, also when two replicas receive the same retry."""
    if session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)):
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True
