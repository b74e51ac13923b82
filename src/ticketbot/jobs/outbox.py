"""The one outbox mechanism: claim due rows under a lease, record each outcome under the
claim, retry failures with one backoff rule, give up after a number of attempts.

Every outbox table (deadline warnings, webhook deliveries, card refreshes) has the same
columns for this: `state` ('pending' until done, failed or dropped), `available_at` (when
it may be tried next; a claim moves it ahead by the lease), `claim_token` (the pass that
holds it), `attempts` and `last_error`.

A pass claims due rows atomically (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises
writers), does its work outside any transaction, then writes each outcome only if it still
holds the claim. Racing passes (every replica ticks) therefore never claim the same row, a
failed attempt comes back after its backoff, and the rows of a pass that died come back
when its lease ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.orm import Session

from ticketbot.failures import retry_delay
from ticketbot.store.db import Database
from ticketbot.store.models import Ticket

PENDING, FAILED = "pending", "failed"


def new_token() -> str:
    return uuid.uuid4().hex


def of_workspace(ticket_id, workspace_id: str | None) -> tuple[ColumnElement[bool], ...]:
    """The claim's condition for the rows of one workspace's tickets (`ticket_id`: the
    outbox's column); None: every workspace's (the one of SLACK_BOT_TOKEN)."""
    if workspace_id is None:
        return ()
    return (ticket_id.in_(select(Ticket.id).where(Ticket.workspace_id == workspace_id)),)


@dataclass(frozen=True)
class Outbox:
    """How one outbox table is worked: which rows are due, how long a claim lasts, and how
    many failed attempts are enough (None: retried until it lands)."""

    model: Any  # a mapped class with the columns above and an `id`-like key `key`
    lease: timedelta
    max_attempts: int | None = None
    key: str = "id"

    @property
    def _key(self):
        return getattr(self.model, self.key)

    def due(self, now: datetime, *where: ColumnElement[bool]):
        model = self.model
        return (
            select(model)
            .where(model.state == PENDING, model.available_at <= now, *where)
            .order_by(model.available_at, self._key)
        )

    def backlog(self, session: Session, now: datetime) -> tuple[int, int, datetime | None]:
        """Rows pending, those due at `now`, and when the oldest due one became due: one
        query, over the pending rows only."""
        model = self.model
        is_due = model.available_at <= now
        pending, due, oldest = session.execute(
            select(
                func.count(),
                func.count(case((is_due, 1))),
                func.min(case((is_due, model.available_at))),
            ).where(model.state == PENDING)
        ).one()
        return pending, due, oldest

    def claim(
        self,
        database: Database,
        *,
        now: datetime,
        token: str,
        limit: int,
        where: Sequence[ColumnElement[bool]] = (),
        prepare: Callable[[Session, list], Iterable] | None = None,
        then: Callable[[Session, list], None] | None = None,
    ) -> list:
        """Lease up to `limit` due rows to `token`, oldest first.

        `prepare(session, rows)`, run in the claiming transaction before the lease, may settle
        some rows itself (cancel what no longer applies) and returns the ones to lease.
        `then(session, leased)` runs in the same transaction after it (reading what the work
        needs, without a transaction of its own)."""
        with database.transaction() as session:
            if prepare is None:
                leased = self._lease_due(session, database, now, token, limit, where)
            else:
                query = self.due(now, *where).limit(limit)
                if database.dialect == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                rows = list(session.scalars(query))
                leased = list(prepare(session, rows)) if rows else []
                for row in leased:
                    row.claim_token = token
                    row.available_at = now + self.lease
            if leased and then is not None:
                then(session, leased)
        return leased

    def _lease_due(self, session, database, now, token, limit, where) -> list:
        """One statement: lease the due rows and return them (UPDATE ... RETURNING)."""
        due = self.due(now, *where).with_only_columns(self._key).limit(limit)
        if database.dialect == "postgresql":
            # Locked once, in a WITH run once: an IN (subquery) may be run again per row by
            # the planner, each run finding the next due rows, and lease more than `limit`.
            locked = (
                due.with_for_update(skip_locked=True)
                .cte("due")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            keys = select(locked.c[self.key])
        else:
            keys = due.scalar_subquery()
        leased = session.scalars(
            update(self.model)
            .where(self._key.in_(keys))
            .values(claim_token=token, available_at=now + self.lease)
            .returning(self.model)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(leased, key=lambda row: getattr(row, self.key))

    def _held(self, keys: Iterable[Any], token: str):
        return self._key.in_(list(keys)), self.model.claim_token == token

    def record(
        self,
        database: Database,
        keys: Iterable[Any],
        token: str,
        *,
        then: Callable[[Session, list], None] | None = None,
        **values: Any,
    ) -> list:
        """Write an outcome on the rows this pass still holds; returns their keys. `then`
        runs in the same transaction with those keys, when there are any (what follows a
        delivery)."""
        with database.transaction() as session:
            held = list(
                session.scalars(
                    update(self.model)
                    .where(*self._held(keys, token))
                    .values(claim_token=None, **values)
                    .returning(self._key)
                    .execution_options(synchronize_session=False)
                )
            )
            if held and then is not None:
                then(session, held)
        return held

    def clear(self, database: Database, keys: Iterable[Any], token: str) -> int:
        """Delete the rows this pass still holds (work done, nothing left to keep); a row
        marked again meanwhile lost its claim and stays, due again."""
        with database.transaction() as session:
            result = session.execute(
                delete(self.model)
                .where(*self._held(keys, token))
                .execution_options(synchronize_session=False)
            )
            return result.rowcount or 0

    def retry(
        self,
        database: Database,
        row: Any,
        token: str,
        *,
        now: datetime,
        error: str,
        at: datetime | None = None,
    ) -> bool:
        """A failed attempt: back off, or give up once `max_attempts` are spent. True when
        it was given up on."""
        attempts = row.attempts + 1
        give_up = self.max_attempts is not None and attempts >= self.max_attempts
        values: dict[str, Any] = {"attempts": attempts, "last_error": error[:200]}
        if give_up:
            values["state"] = FAILED
        else:
            values["available_at"] = at or now + retry_delay(attempts)
        self.record(database, [getattr(row, self.key)], token, **values)
        return give_up

    def release(self, database: Database, row: Any, token: str, *, at: datetime) -> None:
        """Hand a claimed row back untried, to be taken again at `at`."""
        self.record(database, [getattr(row, self.key)], token, available_at=at)
