"""Report periods: windows of local days in the workspace's calendar, as UTC instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ticketbot.i18n import _
from ticketbot.services.errors import InvalidInput

DEFAULT_PERIOD = "30d"
ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `days` are the local dates it covers, in order."""

    key: str  # "30d", "2026-11", "2026-W47": language-neutral, used in file names
    kind: str  # "rolling", "month" or "week"
    start: datetime
    end: datetime
    timezone: str
    days: tuple[date, ...]

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]

    def day_starts(self) -> list[datetime]:
        """The UTC instant each local day begins, then the period's end."""
        zone = ZoneInfo(self.timezone)
        starts = [max(self.start, local_midnight(day, zone)) for day in self.days]
        return [*starts, self.end]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _span(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


def rolling(days: int, *, now: datetime, timezone: str, key: str | None = None) -> Period:
    """The last `days` local days, today included (up to now)."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = local_midnight(first, zone)
    return Period(key or f"{days}d", "rolling", start, now, timezone, _span(first, today))


def month(year: int, number: int, *, now: datetime, timezone: str) -> Period:
    """A calendar month of local days; the current month ends now."""
    zone = ZoneInfo(timezone)
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    start = local_midnight(first, zone)
    if start > now:
        raise InvalidInput(_("{month} has not started yet.").format(month=f"{year}-{number:02d}"))
    end = min(local_midnight(following, zone), now)
    last = min(following - timedelta(days=1), now.astimezone(zone).date())
    return Period(f"{year}-{number:02d}", "month", start, end, timezone, _span(first, last))


def previous_week(report_day: date, *, timezone: str) -> Period:
    """The seven local days before `report_day`, for the weekly report posted that day."""
    zone = ZoneInfo(timezone)
    first = report_day - timedelta(days=7)
    return Period(
        week_key(first),
        "week",
        local_midnight(first, zone),
        local_midnight(report_day, zone),
        timezone,
        _span(first, report_day - timedelta(days=1)),
    )


def parse_period(text: str, *, now: datetime, timezone: str) -> Period:
    """`7d`, `30d`, `90d` or a month `YYYY-MM`; empty means the last 30 days."""
    word = (text or DEFAULT_PERIOD).strip().lower()
    if word in ROLLING_DAYS:
        return rolling(ROLLING_DAYS[word], now=now, timezone=timezone, key=word)
    found = _MONTH.match(word)
    if found:
        year, number = int(found.group(1)), int(found.group(2))
        if 1 <= number <= 12 and year >= EARLIEST_YEAR:
            return month(year, number, now=now, timezone=timezone)
    raise InvalidInput(
        _("Unknown period. Try 7d, 30d, 90d or a month such as {example}.").format(
            example=now.strftime("%Y-%m")
        ),
        field="period",
    )


def week_key(day: date) -> str:
    year, week, _day = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_report_day(*, weekday: int, at: time, timezone: str, now: datetime) -> date | None:
    """This week's report day (Monday = 0) once its local time has come, else None."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=local.weekday()) + timedelta(days=weekday)
    return day if local >= datetime.combine(day, at, tzinfo=zone) else None
