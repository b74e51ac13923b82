"""The managers' report: where tickets come from, how fast and how well they are resolved.

Everything is counted by the database (GROUP BY, percentiles); Python only receives the
aggregated rows, so the bot's memory and work do not grow with the number of tickets."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select, text
from sqlalchemy.orm import Session

from ticketbot.services.periods import Period
from ticketbot.services.report_sql import (
    as_date,
    dialect_of,
    grouped,
    local_day,
    percentiles,
    seconds_between,
)
from ticketbot.store.models import Party, Rating, Ticket
from ticketbot.vocabulary import PartyKind, Priority, Source, Status

TOP = 10  # rows per ranked list (categories, assignees, parties); the rest are summed up
SCORES = (1, 2, 3, 4, 5)
# Backlog ages: (bucket, upper bound); the last bucket has none.
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1d", timedelta(days=1)),
    ("1d_3d", timedelta(days=3)),
    ("3d_7d", timedelta(days=7)),
    ("7d_30d", timedelta(days=30)),
    ("over_30d", None),
)


@dataclass(frozen=True)
class Durations:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Compliance:
    """Tickets closed in the period, and how many closed by their deadline."""

    key: str | None
    closed: int
    met: int

    @property
    def share(self) -> float | None:
        return self.met / self.closed if self.closed else None


@dataclass(frozen=True)
class Backlog:
    open: int
    ages: tuple[tuple[str, int], ...]
    oldest_number: int | None
    oldest_created_at: datetime | None


@dataclass(frozen=True)
class Satisfaction:
    count: int
    scores: dict[int, int]

    @property
    def average(self) -> float | None:
        if not self.count:
            return None
        return sum(score * n for score, n in self.scores.items()) / self.count


@dataclass(frozen=True)
class PartyName:
    kind: PartyKind
    name: str


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    raised: int
    closed: int
    by_source: tuple[tuple[Source, int], ...]
    by_priority: tuple[tuple[Priority, int], ...]
    by_status: tuple[tuple[Status, int], ...]
    by_category: tuple[tuple[str | None, int], ...]
    by_assignee: tuple[tuple[str | None, int], ...]
    by_party: tuple[tuple[PartyName | None, int], ...]
    first_response: Durations
    resolution: Durations
    sla: Compliance
    sla_by_priority: tuple[Compliance, ...]
    sla_by_category: tuple[Compliance, ...]
    backlog: Backlog
    satisfaction: Satisfaction
    daily: tuple[tuple[date, Source, int], ...]  # tickets raised per local day and source
    by_queue: tuple[tuple[str, int], ...] = ()  # tickets raised per queue (its key)
    queues: tuple[str, ...] | None = None  # the queues it covers (None: every queue)

    @property
    def empty(self) -> bool:
        """Nothing happened in the period (the backlog is "now", so it does not count)."""
        return not (self.raised or self.closed or self.satisfaction.count)


def _in(column, period: Period) -> list[ColumnElement[bool]]:
    return [column >= period.start, column < period.end]


def _workspace(workspace_id: str | None) -> list[ColumnElement[bool]]:
    return [] if workspace_id is None else [Ticket.workspace_id == workspace_id]


def _most_first(row: tuple) -> tuple:
    """Most frequent first, ties by key with "none" last."""
    return (-row[1], row[0] is None, row[0] or "")


def _ranked(rows: list[tuple], limit: int | None = None) -> tuple:
    ordered = sorted(rows, key=_most_first)
    return tuple((key, int(n)) for key, n in ordered[:limit])


def _every(members, rows: list) -> tuple:
    """Every member of an enum in its order, zero where nothing was counted."""
    found = dict(rows)
    return tuple((member, int(found.get(member, 0))) for member in members)


def _durations(session: Session, value, where: list) -> Durations:
    count, (median, p90) = percentiles(session, value, where, (0.5, 0.9))
    return Durations(count, _seconds(median), _seconds(p90))


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(value))


def _compliance(rows: list[tuple], limit: int | None = None) -> tuple[Compliance, ...]:
    ranked = sorted(rows, key=_most_first)
    return tuple(Compliance(key, int(n), int(met or 0)) for key, n, met in ranked[:limit])


def _backlog(session: Session, workspace: list, now: datetime) -> Backlog:
    open_now = [*workspace, Ticket.status != Status.CLOSED]
    whens = [(Ticket.created_at > now - bound, name) for name, bound in AGE_BUCKETS if bound]
    bucket = case(*whens, else_=AGE_BUCKETS[-1][0])
    counted = dict(
        session.execute(select(bucket, func.count()).where(*open_now).group_by(bucket)).all()
    )
    ages = tuple((name, int(counted.get(name, 0))) for name, _bound in AGE_BUCKETS)
    oldest = session.execute(
        select(Ticket.number, Ticket.created_at)
        .where(*open_now)
        .order_by(Ticket.created_at, Ticket.number)
        .limit(1)
    ).first()
    return Backlog(
        open=sum(n for _name, n in ages),
        ages=ages,
        oldest_number=oldest[0] if oldest else None,
        oldest_created_at=oldest[1] if oldest else None,
    )


def _satisfaction(session: Session, workspace: list, period: Period) -> Satisfaction:
    rows = session.execute(
        select(Rating.score, func.count())
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(*workspace, *_in(Rating.rated_at, period))
        .group_by(Rating.score)
    ).all()
    scores = {score: 0 for score in SCORES} | {int(s): int(n) for s, n in rows}
    return Satisfaction(count=sum(scores.values()), scores=scores)


def _party_names(session: Session, ids: list[int]) -> dict[int, PartyName]:
    if not ids:
        return {}
    rows = session.execute(select(Party.id, Party.kind, Party.name).where(Party.id.in_(ids)))
    return {pid: PartyName(kind, name) for pid, kind, name in rows}


def build_report(
    *,
    session: Session,
    workspace_id: str | None,
    period: Period,
    now: datetime,
    queues: Collection[str] | None = None,
) -> Report:
    """The report of `period`; `workspace_id` None counts every workspace in the database,
    `queues` None every queue."""
    if dialect_of(session) == "postgresql" and not session.in_transaction():
        # One snapshot for every query, so the figures add up while tickets keep changing.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text("SET LOCAL work_mem = '32MB'"))  # percentiles sort in memory
    workspace = _workspace(workspace_id)
    if queues is not None:
        workspace.append(Ticket.queue.in_(sorted(queues)))
    raised = [*workspace, *_in(Ticket.created_at, period)]
    closed = [*workspace, Ticket.status == Status.CLOSED, *_in(Ticket.closed_at, period)]
    day = local_day(session, Ticket.created_at, period)
    counts = grouped(
        session,
        raised,
        {
            "source": (Ticket.source,),
            "priority": (Ticket.priority,),
            "status": (Ticket.status,),
            "category": (Ticket.category,),
            "assignee": (Ticket.assignee_id,),
            "party": (Ticket.party_id,),
            "daily": (day, Ticket.source),
            "queue": (Ticket.queue,),
        },
        [func.count()],
    )
    met = case((or_(Ticket.due_at.is_(None), Ticket.closed_at <= Ticket.due_at), 1), else_=0)
    deadlines = grouped(
        session,
        closed,
        {"priority": (Ticket.priority,), "category": (Ticket.category,)},
        [func.count(), func.sum(met)],
    )
    parties = _ranked(counts["party"], TOP)
    names = _party_names(session, [pid for pid, _n in parties if pid is not None])
    by_priority = {c.key: c for c in _compliance(deadlines["priority"])}
    return Report(
        period=period,
        generated_at=now,
        raised=sum(n for _s, n in counts["source"]),
        closed=sum(c.closed for c in by_priority.values()),
        by_source=_every(Source, counts["source"]),
        by_priority=_every(Priority, counts["priority"]),
        by_status=_every(Status, counts["status"]),
        by_category=_ranked(counts["category"], TOP),
        by_assignee=_ranked(counts["assignee"], TOP),
        by_party=tuple((names.get(pid), n) for pid, n in parties),
        first_response=_durations(
            session,
            seconds_between(session, Ticket.created_at, Ticket.first_response_at),
            [*raised, Ticket.first_response_at.is_not(None)],
        ),
        resolution=_durations(
            session, seconds_between(session, Ticket.created_at, Ticket.closed_at), closed
        ),
        sla=Compliance(
            None,
            sum(c.closed for c in by_priority.values()),
            sum(c.met for c in by_priority.values()),
        ),
        sla_by_priority=tuple(by_priority[p] for p in Priority if p in by_priority),
        sla_by_category=_compliance(deadlines["category"], TOP),
        backlog=_backlog(session, workspace, now),
        satisfaction=_satisfaction(session, workspace, period),
        daily=tuple(sorted((as_date(d), Source(s), int(n)) for d, s, n in counts["daily"])),
        by_queue=_ranked(counts["queue"]),
        queues=tuple(sorted(queues)) if queues is not None else None,
    )
