"""Scheduled jobs that must run once per period whichever replica gets there first.

A run is claimed by inserting its (job, period) row; the primary key makes the second
replica's insert do nothing. A claim that never finished (a failed post, a crash) is a
lease: after `lease` another tick may take it over and try again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ticketbot.store.db import dialect_insert
from ticketbot.store.models import ScheduledRun


def run_finished(*, session: Session, job: str, period: str) -> bool:
    finished = session.scalar(
        select(ScheduledRun.finished_at).where(
            ScheduledRun.job == job, ScheduledRun.period == period
        )
    )
    return finished is not None


def claim_run(*, session: Session, job: str, period: str, now: datetime, lease: timedelta) -> bool:
    """True when this caller now owns the run; commit before doing the work."""
    inserted = session.execute(
        dialect_insert(session, ScheduledRun)
        .values(job=job, period=period, started_at=now)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(ScheduledRun.job)
    ).first()
    if inserted is not None:
        return True
    taken = session.execute(
        update(ScheduledRun)
        .where(
            ScheduledRun.job == job,
            ScheduledRun.period == period,
            ScheduledRun.finished_at.is_(None),
            ScheduledRun.started_at <= now - lease,
        )
        .values(started_at=now)
    )
    return taken.rowcount == 1


def finish_run(*, session: Session, job: str, period: str, now: datetime) -> None:
    session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.job == job, ScheduledRun.period == period)
        .values(finished_at=now)
    )
