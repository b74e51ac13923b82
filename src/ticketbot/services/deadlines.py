"""Engagement deadlines: from a ticket's engagement, priority, pauses and calendar to a due time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ticketbot.config import WEEKDAYS, SlaConfig
from ticketbot.sla.calendar import BusinessHours, WorkCalendar, calendar_for
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Engagement, Priority, Status


@dataclass(frozen=True)
class DeadlinePolicy:
    standard_hours: dict[Priority, float]
    calendar: WorkCalendar
    pause_statuses: frozenset[Status] = field(default_factory=lambda: frozenset({Status.WAITING}))

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
