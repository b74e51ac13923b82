"""Engagement deadlines: from a ticket's engagement, priority, pauses and calendar to a due time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ticketbot.config import WEEKDAYS, SlaConfig
from ticketbot.services.calendar import BusinessHours, WorkCalendar, calendar_for
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Engagement, Priority, Status


@dataclass(frozen=True)
class DeadlinePolicy:
    standard_hours: dict[Priority, float]
    calendar: WorkCalendar
    pause_statuses: frozenset[Status] = field(default_factory=lambda: frozenset({Status.WAITING}))
    # Warnings: fractions of the engagement, a DM to the assignee, repeats after the breach.
    warn_at: tuple[float, ...] = (0.75,)
    alerts_enabled: bool = False
    dm_assignee: bool = False
    escalate_every: timedelta | None = None

    @classmethod
    def from_config(cls, sla: SlaConfig) -> DeadlinePolicy:
        hours = sla.business_hours
        business = None
        if hours is not None:
            business = BusinessHours(
                timezone=hours.timezone,
                days=frozenset(WEEKDAYS.index(day) for day in hours.days),
                start=hours.start,
                end=hours.end,
                holidays=frozenset(hours.holidays),
            )
        return cls(
            standard_hours=dict(sla.standard_hours),
            calendar=calendar_for(business),
            pause_statuses=frozenset(sla.pause_statuses),
            warn_at=tuple(sorted(set(sla.warn_at))),
            alerts_enabled=bool(sla.alert_channel or sla.routes or sla.dm_assignee),
            dm_assignee=sla.dm_assignee,
            escalate_every=(
                timedelta(hours=sla.escalate_every_hours) if sla.escalate_every_hours else None
            ),
        )

    def engagement(self, ticket: Ticket) -> timedelta:
        """The counted time the ticket has to be closed in."""
        hours = Engagement(ticket.engagement).hours
        if hours is None:
            hours = self.standard_hours[Priority(ticket.priority)]
        return timedelta(hours=hours)

    def due_at(self, ticket: Ticket) -> datetime:
        """Due time as if no pause were running; a running pause is added when it ends."""
        budget = self.engagement(ticket) + timedelta(seconds=ticket.paused_seconds)
        return self.calendar.add(ticket.sla_started_at, budget)

    def pauses(self, status: Status) -> bool:
        return status in self.pause_statuses

    def counted(self, start: datetime, end: datetime) -> timedelta:
        return self.calendar.elapsed(start, end)

    def of(self, _ticket: Ticket) -> DeadlinePolicy:
        """The policy of a ticket: this one (see Policies, for several queues)."""
        return self


@dataclass(frozen=True)
class Policies:
    """Each queue's deadline policy (its `sla:` over the top level's); a ticket of a queue no
    longer configured follows the first queue's, as config.queue() says."""

    by_queue: dict[str, DeadlinePolicy]
    first: DeadlinePolicy

    @classmethod
    def from_config(cls, config) -> Policies:
        by_queue = {q.key: DeadlinePolicy.from_config(q.sla) for q in config.desks}
        return cls(by_queue=by_queue, first=by_queue[config.desks[0].key])

    def of(self, ticket: Ticket) -> DeadlinePolicy:
        return self.queue(ticket.queue)

    def queue(self, key: str | None) -> DeadlinePolicy:
        return self.by_queue.get(key or "", self.first)


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class SlaStatus:
    state: SlaState
    due_at: datetime | None
    # Counted time left (negative once overdue); None for closed tickets.
    remaining: timedelta | None


def sla_status(
    ticket: Ticket, *, now: datetime, policy: DeadlinePolicy | Policies, warn_at: float = 0.75
) -> SlaStatus:
    """Where a ticket stands against its deadline, in the calendar's counted time."""
    policy = policy.of(ticket)
    if ticket.status is Status.CLOSED or ticket.due_at is None:
        return SlaStatus(SlaState.CLOSED, ticket.due_at, None)
    due = ticket.due_at
    if ticket.paused_at is not None:
        # The deadline moves by the pause, so what is left is what was left when it began.
        left = policy.counted(ticket.paused_at, due)
        return SlaStatus(SlaState.PAUSED, due, left)
    if now >= due:
        return SlaStatus(SlaState.BREACHED, due, -policy.counted(due, now))
    left = policy.counted(now, due)
    budget = policy.engagement(ticket)
    state = SlaState.AT_RISK if left <= budget * (1 - warn_at) else SlaState.ON_TRACK
    return SlaStatus(state, due, left)
