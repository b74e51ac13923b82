from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketbot.services.calendar import (
    AlwaysOpen,
    BusinessCalendar,
    BusinessHours,
    WorkCalendar,
    calendar_for,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def office(
    tz: str = "Europe/Paris",
    days: frozenset[int] = WEEKDAYS,
    start: time = time(9),
    end: time = time(18),
    holidays: frozenset[date] = frozenset(),
) -> BusinessCalendar:
    return BusinessCalendar(BusinessHours(tz, days, start, end, holidays))


H = timedelta(hours=1)


# --- examples -------------------------------------------------------------------------------


def test_friday_evening_rolls_over_the_weekend() -> None:
    due = office().add(paris(2026, 11, 20, 17), 4 * H)
    assert due == paris(2026, 11, 23, 12)
    assert due.tzinfo is UTC


def test_holiday_is_skipped_entirely() -> None:
    cal = office(holidays=frozenset({date(2026, 12, 25)}))
    assert cal.add(paris(2026, 12, 24, 17), 2 * H) == paris(2026, 12, 28, 10)
    assert cal.elapsed(paris(2026, 12, 24), paris(2026, 12, 29)) == 18 * H
    assert office().elapsed(paris(2026, 12, 24), paris(2026, 12, 29)) == 27 * H


def test_start_before_window_waits_for_opening() -> None:
    assert office().add(paris(2026, 11, 18, 6), H) == paris(2026, 11, 18, 10)


def test_start_inside_window() -> None:
    assert office().add(paris(2026, 11, 18, 10, 30), 2 * H) == paris(2026, 11, 18, 12, 30)


def test_start_at_opening_and_closing_edges() -> None:
    cal = office()
    assert cal.add(paris(2026, 11, 18, 9), 9 * H) == paris(2026, 11, 18, 18)
    assert cal.add(paris(2026, 11, 18, 18), H) == paris(2026, 11, 19, 10)
    assert cal.elapsed(paris(2026, 11, 18, 18), paris(2026, 11, 19, 9)) == timedelta(0)


def test_duration_ending_at_closing_returns_that_closing() -> None:
    cal = office()
    assert cal.add(paris(2026, 11, 20, 17), H) == paris(2026, 11, 20, 18)
    assert cal.add(paris(2026, 11, 16, 9), 45 * H) == paris(2026, 11, 20, 18)
    assert cal.add(paris(2026, 11, 16, 9), 90 * H) == paris(2026, 11, 27, 18)


def test_weekend_start_and_weekend_elapsed() -> None:
    cal = office()
    assert cal.add(paris(2026, 11, 21, 11), H) == paris(2026, 11, 23, 10)
    assert cal.elapsed(paris(2026, 11, 21), paris(2026, 11, 23)) == timedelta(0)
    assert cal.elapsed(paris(2026, 11, 20, 12), paris(2026, 11, 23, 12)) == 9 * H


def test_zero_duration_returns_start_even_outside_hours() -> None:
    start = paris(2026, 11, 21, 3, 7, 9, 11)
    assert office().add(start, timedelta(0)) == start
    assert office().add(start, timedelta(0)).tzinfo is UTC


def test_elapsed_is_zero_when_end_not_after_start() -> None:
    a = paris(2026, 11, 18, 12)
    assert office().elapsed(a, a) == timedelta(0)
    assert office().elapsed(a, a - H) == timedelta(0)
    assert AlwaysOpen().elapsed(a, a - H) == timedelta(0)


def test_inputs_in_other_zones_and_utc_output() -> None:
    start = datetime(2026, 11, 20, 16, tzinfo=UTC)  # 17:00 in Paris
    due = office().add(start.astimezone(NEW_YORK), 4 * H)
    assert due == datetime(2026, 11, 23, 11, tzinfo=UTC)
    assert due.tzinfo is UTC


# --- DST ------------------------------------------------------------------------------------


def test_paris_spring_forward_day_is_an_hour_shorter() -> None:
    cal = office(days=EVERY_DAY, start=time(1), end=time(4))
    assert cal.elapsed(paris(2026, 3, 29), paris(2026, 3, 30)) == 2 * H
    assert cal.elapsed(paris(2026, 3, 28), paris(2026, 3, 29)) == 3 * H
    assert cal.add(paris(2026, 3, 29, 1), 2 * H) == paris(2026, 3, 29, 4)
    assert cal.add(paris(2026, 3, 29, 1), 2 * H) == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert cal.add(paris(2026, 3, 29, 1), 150 * timedelta(minutes=1)) == paris(2026, 3, 30, 1, 30)


def test_paris_fall_back_day_is_an_hour_longer() -> None:
    cal = office(days=EVERY_DAY, start=time(1), end=time(4))
    assert cal.elapsed(paris(2026, 10, 25), paris(2026, 10, 26)) == 4 * H
    assert cal.add(paris(2026, 10, 25, 1), 4 * H) == datetime(2026, 10, 25, 3, tzinfo=UTC)
    assert cal.add(paris(2026, 10, 24, 3), 5 * H) == paris(2026, 10, 25, 4)
    assert cal.add(paris(2026, 10, 24, 3), 6 * H) == paris(2026, 10, 26, 2)


def test_window_inside_the_spring_gap_is_empty_that_day() -> None:
    cal = office(days=EVERY_DAY, start=time(2), end=time(3))
    assert cal.elapsed(paris(2026, 3, 29), paris(2026, 3, 30)) == timedelta(0)
    assert cal.add(paris(2026, 3, 29), H / 2) == paris(2026, 3, 30, 2, 30)


def test_office_hours_keep_local_wall_clock_across_dst_weekends() -> None:
    cal = office()
    # The UTC offset changes over the weekend; Monday's opening is still 09:00 local.
    assert cal.add(paris(2026, 3, 27, 17), 2 * H) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert cal.add(paris(2026, 10, 23, 17), 2 * H) == datetime(2026, 10, 26, 9, tzinfo=UTC)
    seven_days = office(days=EVERY_DAY)
    assert seven_days.elapsed(paris(2026, 3, 29), paris(2026, 3, 30)) == 9 * H
    assert seven_days.add(paris(2026, 3, 29, 9), 9 * H) == paris(2026, 3, 29, 18)


def test_new_york_dst_days() -> None:
    cal = office("America/New_York", EVERY_DAY, time(0), time(6))
    assert cal.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 5 * H
    assert cal.elapsed(ny(2026, 11, 1), ny(2026, 11, 2)) == 7 * H
    assert cal.add(ny(2026, 3, 8), 5 * H) == ny(2026, 3, 8, 6)
    assert cal.add(ny(2026, 11, 1), 7 * H) == ny(2026, 11, 1, 6)
    assert cal.add(ny(2026, 11, 1), 8 * H) == ny(2026, 11, 2, 1)
    weekdays = office("America/New_York", start=time(8), end=time(17))
    assert weekdays.add(ny(2026, 3, 6, 16), 2 * H) == ny(2026, 3, 9, 9)


# --- validation and plumbing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": frozenset()},
        {"days": frozenset({7})},
        {"start": time(18), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"timezone": "Mars/Olympus_Mons"},
    ],
)
def test_business_hours_rejects_bad_configs(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {
        "timezone": "Europe/Paris",
        "days": WEEKDAYS,
        "start": time(9),
        "end": time(18),
    }
    with pytest.raises(ValueError):
        BusinessHours(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("cal", [AlwaysOpen(), office()], ids=["always", "business"])
def test_naive_datetimes_and_negative_durations_are_rejected(cal: WorkCalendar) -> None:
    naive = datetime(2026, 11, 18, 10)
    with pytest.raises(ValueError):
        cal.add(naive, H)
    with pytest.raises(ValueError):
        cal.elapsed(naive, paris(2026, 11, 19))
    with pytest.raises(ValueError):
        cal.elapsed(paris(2026, 11, 17), naive)
    with pytest.raises(ValueError):
        cal.add(paris(2026, 11, 18), -H)


def test_calendar_for() -> None:
    assert isinstance(calendar_for(None), AlwaysOpen)
    hours = BusinessHours("Europe/Paris", WEEKDAYS, time(9), time(18))
    cal = calendar_for(hours)
    assert isinstance(cal, BusinessCalendar)
    assert isinstance(cal, WorkCalendar)


def test_always_open() -> None:
    cal = AlwaysOpen()
    assert cal.add(paris(2026, 3, 29, 1), 2 * H) == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert cal.elapsed(paris(2026, 3, 29), paris(2026, 3, 30)) == 23 * H


def test_long_spans_skip_whole_weeks(monkeypatch: pytest.MonkeyPatch) -> None:
    cal = office(holidays=frozenset({date(2027, 5, 1), date(2027, 12, 24)}))
    calls = 0
    window = cal._window

    def counting(day: date) -> tuple[datetime, datetime] | None:
        nonlocal calls
        calls += 1
        return window(day)

    monkeypatch.setattr(cal, "_window", counting)
    due = cal.add(paris(2026, 1, 5, 9), 5000 * H)
    span = cal.elapsed(paris(2026, 1, 1), paris(2027, 1, 1))
    assert calls < 250  # a daily walk would need ~800 days
    assert cal.elapsed(paris(2026, 1, 5, 9), due) == 5000 * H
    assert span == 261 * 9 * H  # 2026 has 261 weekdays


# --- properties -----------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    opens = draw(st.integers(0, 86399 - 3600))
    closes = draw(st.integers(opens + 3600, 86399))
    return BusinessHours(
        timezone=draw(st.sampled_from(ZONES)),
        days=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start=time(opens // 3600, opens // 60 % 60, opens % 60),
        end=time(closes // 3600, closes // 60 % 60, closes % 60),
        holidays=draw(st.frozensets(st.dates(date(2019, 12, 1), date(2031, 12, 31)), max_size=30)),
    )


calendars = st.one_of(st.just(AlwaysOpen()), business_hours().map(BusinessCalendar))
instants = st.datetimes(
    datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.sampled_from(ZONES).map(ZoneInfo)
)
durations = st.timedeltas(timedelta(0), 500 * H)


@settings(deadline=None)
@given(calendars, instants, durations)
def test_elapsed_inverts_add(cal: WorkCalendar, start: datetime, duration: timedelta) -> None:
    due = cal.add(start, duration)
    assert due.tzinfo is UTC
    assert due >= start
    assert cal.elapsed(start, due) == duration


@settings(deadline=None)
@given(calendars, instants, durations, durations)
def test_add_is_monotonic(cal: WorkCalendar, start: datetime, d1: timedelta, d2: timedelta) -> None:
    lo, hi = sorted([d1, d2])
    assert cal.add(start, lo) <= cal.add(start, hi)


@settings(deadline=None)
@given(calendars, st.lists(instants, min_size=3, max_size=3))
def test_elapsed_is_additive(cal: WorkCalendar, points: list[datetime]) -> None:
    a, b, c = sorted(points)
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


def reference_elapsed(hours: BusinessHours, a: datetime, b: datetime) -> timedelta:
    """Plain daily walk with no week skipping, to check the fast path against."""
    tz = ZoneInfo(hours.timezone)
    total, day = timedelta(0), a.astimezone(tz).date() - timedelta(days=1)
    while day <= b.astimezone(tz).date():
        if day.weekday() in hours.days and day not in hours.holidays:
            # Subtracting same-tzinfo datetimes is wall-clock arithmetic, so go through UTC.
            opens = max(datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC), a)
            closes = min(datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC), b)
            total += max(timedelta(0), closes - opens)
        day += timedelta(days=1)
    return total


@settings(deadline=None)
@given(business_hours(), st.lists(instants, min_size=2, max_size=2))
def test_elapsed_matches_daily_walk(hours: BusinessHours, points: list[datetime]) -> None:
    a, b = sorted(p.astimezone(UTC) for p in points)
    assert BusinessCalendar(hours).elapsed(a, b) == reference_elapsed(hours, a, b)
