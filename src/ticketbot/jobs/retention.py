"""The retention pass: finished outbox rows older than `retention_days`, and Slack event ids
older than their two days, purged a batch at a time (what is purged: services/retention.py).

Each batch is a short transaction of its own, one DELETE of at most `batch` rows, so neither
SQLite's write lock nor PostgreSQL's row locks are held for long while requests come in. The
kinds take turns, one batch each, until none has any left or the pass has spent its `budget`
of seconds: a large backlog (the first pass over an old database) is worked off over the
passes that follow. Every replica may run it at once: a row is deleted by one of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ticketbot.runtime import Runtime
from ticketbot.services.retention import PURGEABLE, purge_batch

logger = logging.getLogger("ticketbot.retention")

BATCH = 1000  # rows a statement
BUDGET = 3.0  # seconds a pass


@dataclass
class PurgeReport:
    """How many rows of each table one pass purged (by table name), and whether it got to
    the end of them (False: its budget ran out first, the next pass goes on)."""

    purged: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in PURGEABLE})
    finished: bool = True

    @property
    def outbox(self) -> int:
        return sum(self.purged[kind.name] for kind in PURGEABLE if kind.outbox)

    @property
    def events(self) -> int:
        return sum(self.purged[kind.name] for kind in PURGEABLE if not kind.outbox)


def purge_old_rows(
    runtime: Runtime,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    budget: float = BUDGET,
    monotonic: Callable[[], float] = time.monotonic,
) -> PurgeReport:
    """One pass; at least one batch of each kind with rows left, more while `budget` lasts
    (`monotonic` measures it)."""
    now = now or runtime.clock.now()
    retention = timedelta(days=runtime.config.retention_days)
    report = PurgeReport()
    started = monotonic()
    left = list(PURGEABLE)
    while left:
        for kind in list(left):
            with runtime.database.transaction() as session:
                count = purge_batch(
                    session=session, kind=kind, now=now, retention=retention, limit=batch
                )
            report.purged[kind.name] += count
            if count < batch:
                left.remove(kind)
        if left and monotonic() - started >= budget:
            report.finished = False
            break
    if report.outbox or report.events:
        logger.info(
            "purged %d old outbox rows, %d processed events%s",
            report.outbox,
            report.events,
            "" if report.finished else "; more left for the next pass",
        )
    return report
