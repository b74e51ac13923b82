"""Engagement-deadline arithmetic over working time.

Pure stdlib. Every instant goes in timezone-aware and comes out in UTC; business windows are
local wall-clock times, so each day's window is resolved through zoneinfo on its own, which is
what makes DST days come out shorter or longer in real time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["AlwaysOpen", "BusinessCalendar", "BusinessHours", "WorkCalendar", "calendar_for"]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class BusinessHours:
    timezone: str
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Callers often pass plain sets or lists; freezing keeps the dataclass hashable.
        object.__setattr__(self, "days", frozenset(self.days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.days:
            raise ValueError("business hours need at least one working day")
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"weekdays must be 0 (Monday) to 6, got {sorted(self.days)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start/end are wall-clock times in `timezone`; drop their tzinfo")
        if self.end <= self.start:
            raise ValueError("business hours must end after they start")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc


@runtime_checkable
class WorkCalendar(Protocol):
    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {moment!r}")
    return moment.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")


class AlwaysOpen:
    """24/7: every second counts."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        return _utc(start) + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(_ZERO, _utc(end) - _utc(start))


class BusinessCalendar:
    """Counts only time inside `BusinessHours` windows.

    Windows are walked day by day, but a whole week that holds no holiday and no UTC-offset
    change contributes exactly `len(days) * (end - start)` and is skipped in one step. Offset
    changes are detected by comparing the offsets at the week's two local midnights, which
    assumes a zone never changes offset and changes back within the same seven days (true of
    every IANA zone's rules). Weeks that do hold a change fall back to the exact daily walk.
    """

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self._tz = ZoneInfo(hours.timezone)
        # Holidays on non-working weekdays change nothing, so they must not block week skips.
        self._holidays = tuple(sorted(h for h in hours.holidays if h.weekday() in hours.days))
        wall = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
        self._week = wall * len(hours.days)

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.hours!r})"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        cursor = _utc(start)
        if duration == _ZERO:
            return cursor
        remaining = duration
        first = self._local_date(cursor)
        # Begin a day early so a previous day's window still open at `start` is not missed.
        day = first - _DAY
        while True:
            # Strictly greater: a deadline landing on the week's last closing must be returned
            # as that closing, which only the daily walk knows.
            if remaining > self._week and day > first and self._regular_week(day):
                remaining -= self._week
                day += _WEEK
                continue
            window = self._window(day)
            day += _DAY
            if window is None:
                continue
            # Clamping to the cursor keeps overlapping or inverted windows (DST gaps) from
            # being counted twice or negatively.
            opens, closes = max(window[0], cursor), window[1]
            if closes <= opens:
                continue
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
            cursor = closes

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        cursor, stop = _utc(start), _utc(end)
        total = _ZERO
        if stop <= cursor:
            return total
        first, last = self._local_date(cursor), self._local_date(stop)
        day = first - _DAY
        while day <= last:
            # A skipped week must end before the local day holding `stop` begins.
            if day > first and day + _WEEK <= last and self._regular_week(day):
                total += self._week
                day += _WEEK
                continue
            window = self._window(day)
            day += _DAY
            if window is None:
                continue
            opens, closes = max(window[0], cursor), min(window[1], stop)
            if closes > opens:
                total += closes - opens
                cursor = closes
        return total

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._tz).date()

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.hours.days or day in self.hours.holidays:
            return None
        # fold=0 (the default) resolves ambiguous and skipped wall times like the rest of the
        # stdlib does; on a spring-forward day the window may come out empty or inverted.
        opens = datetime.combine(day, self.hours.start, tzinfo=self._tz).astimezone(UTC)
        closes = datetime.combine(day, self.hours.end, tzinfo=self._tz).astimezone(UTC)
        return opens, closes

    def _regular_week(self, day: date) -> bool:
        after = day + _WEEK
        i = bisect.bisect_left(self._holidays, day)
        if i < len(self._holidays) and self._holidays[i] < after:
            return False
        return self._offset(day) == self._offset(after)

    def _offset(self, day: date) -> timedelta | None:
        return datetime.combine(day, time(0), tzinfo=self._tz).utcoffset()


def calendar_for(hours: BusinessHours | None) -> WorkCalendar:
    """No configured hours means the engagement clock never stops."""
    return AlwaysOpen() if hours is None else BusinessCalendar(hours)
