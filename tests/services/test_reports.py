"""Report aggregates on known data, on SQLite and PostgreSQL: counts, medians, 90th
percentiles, deadline compliance, backlog ages, satisfaction, local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.factories import REQUESTER, make_ticket
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.services.errors import InvalidInput
from ticketbot.services.periods import parse_period, previous_week
from ticketbot.services.reports import Compliance, Durations, build_report
from ticketbot.store.models import Rating
from ticketbot.vocabulary import Priority, Source, Status

H = timedelta(hours=1)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
A1, A2 = "U0AGT0001", "U0AGT0002"


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def add(
    session,
    policy: DeadlinePolicy,
    created: datetime,
    *,
    responded: timedelta | None = None,
    closed: timedelta | None = None,
    due: timedelta | None = None,
    score: int | None = None,
    rated_at: datetime | None = None,
    workspace_id: str = "T0TEAM001",
    **fields,
):
    ticket = make_ticket(session, policy=policy, now=created, workspace_id=workspace_id, **fields)
    if responded is not None:
        ticket.first_response_at = created + responded
    if due is not None:
        ticket.due_at = created + due
    if closed is not None:
        ticket.status, ticket.closed_at, ticket.solution = Status.CLOSED, created + closed, "ok"
    if score is not None:
        session.add(
            Rating(ticket_id=ticket.id, score=score, rated_by=REQUESTER.user_id, rated_at=rated_at)
        )
    session.flush()
    return ticket


@pytest.fixture
def seeded(database, policy):
    with database.transaction() as s:
        add(
            s,
            policy,
            at(17),
            source="slash_command",
            priority="high",
            category="Hardware",
            assignee_id=A1,
            responded=1 * H,
            closed=2 * H,
            due=8 * H,
            score=5,
            rated_at=at(17, 13),
        )
        add(
            s,
            policy,
            at(18),
            source="reaction",
            category="Network",
            assignee_id=A1,
            responded=2 * H,
            closed=30 * H,
            due=24 * H,
        )
        add(
            s,
            policy,
            at(19),
            source="message_shortcut",
            category="Hardware",
            assignee_id=A2,
            responded=3 * H,
            closed=4 * H,
            due=24 * H,
            score=4,
            rated_at=at(19, 15),
        )
        add(s, policy, at(20), source="slash_command", priority="urgent", responded=4 * H)
        add(
            s,
            policy,
            at(22),
            source="app_home",
            priority="low",
            category="Hardware",
            assignee_id=A2,
        )
        # Raised before the period, closed (late) inside it.
        add(
            s,
            policy,
            at(10),
            responded=10 * H,
            closed=8 * 24 * H,
            due=24 * H,
            score=2,
            rated_at=at(18, 18),
        )
        # Old and still open; and rated long ago.
        add(s, policy, at(1, month=10), score=1, rated_at=at(2, month=10), closed=None)
        # Another workspace: never counted.
        add(s, policy, at(21), workspace_id="T0OTHER01", source="reaction", closed=H, due=H)
    return database


def report(database, period: str = "7d", timezone: str = "UTC", workspace="T0TEAM001"):
    with database.snapshot() as s:
        return build_report(
            session=s,
            workspace_id=workspace,
            period=parse_period(period, now=NOW, timezone=timezone),
            now=NOW,
        )


def test_counts_by_source_priority_status_category_assignee(seeded):
    r = report(seeded)
    assert (r.raised, r.closed) == (5, 4)
    assert dict(r.by_source) == {
        Source.SLASH_COMMAND: 2, Source.MESSAGE_SHORTCUT: 1, Source.GLOBAL_SHORTCUT: 0,
        Source.REACTION: 1, Source.APP_HOME: 1, Source.CLI: 0,
        Source.REQUEST_CHANNEL: 0, Source.WORKFLOW: 0,
    }  # fmt: skip
    assert [p for p, _n in r.by_source] == list(Source)  # every source, in a stable order
    assert dict(r.by_priority) == {
        Priority.LOW: 1,
        Priority.NORMAL: 2,
        Priority.HIGH: 1,
        Priority.URGENT: 1,
    }
    assert dict(r.by_status) == {
        Status.OPEN: 2,
        Status.WAITING: 0,
        Status.IN_PROGRESS: 0,
        Status.CLOSED: 3,
    }
    assert r.by_category == (("Hardware", 3), ("Network", 1), (None, 1))
    assert r.by_assignee == ((A1, 2), (A2, 2), (None, 1))


def test_median_and_90th_percentile_of_first_response_and_resolution(seeded):
    r = report(seeded)
    # First responses of tickets raised in the period: 1, 2, 3, 4 hours.
    assert r.first_response == Durations(4, 2.5 * H, 3.7 * H)
    # Resolutions of tickets closed in the period: 2, 4, 30 and 192 hours.
    assert r.resolution == Durations(4, 17 * H, timedelta(hours=143.4))


def test_deadline_compliance_overall_by_priority_and_by_category(seeded):
    r = report(seeded)
    assert r.sla == Compliance(None, 4, 2) and r.sla.share == 0.5
    assert r.sla_by_priority == (
        Compliance(Priority.NORMAL, 3, 1),
        Compliance(Priority.HIGH, 1, 1),
    )
    assert r.sla_by_category == (
        Compliance("Hardware", 2, 2),
        Compliance("Network", 1, 0),
        Compliance(None, 1, 0),
    )


def test_backlog_is_now_with_ages_and_the_oldest(seeded):
    r = report(seeded)
    assert r.backlog.open == 3
    assert dict(r.backlog.ages) == {
        "under_1d": 1, "1d_3d": 1, "3d_7d": 0, "7d_30d": 0, "over_30d": 1
    }  # fmt: skip
    assert r.backlog.oldest_number == 7
    assert r.backlog.oldest_created_at == at(1, month=10)


def test_satisfaction_counts_ratings_given_in_the_period(seeded):
    r = report(seeded)
    assert r.satisfaction.count == 3
    assert r.satisfaction.scores == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert r.satisfaction.average == pytest.approx(11 / 3)


def test_tickets_per_day_and_source(seeded):
    assert report(seeded).daily == (
        (date(2026, 11, 17), Source.SLASH_COMMAND, 1),
        (date(2026, 11, 18), Source.REACTION, 1),
        (date(2026, 11, 19), Source.MESSAGE_SHORTCUT, 1),
        (date(2026, 11, 20), Source.SLASH_COMMAND, 1),
        (date(2026, 11, 22), Source.APP_HOME, 1),
    )


def test_local_days_follow_the_business_hours_time_zone(seeded):
    # Auckland is UTC+13 in November: 10:00 UTC is 23:00 the same day there.
    r = report(seeded, timezone="Pacific/Auckland")
    assert r.period.first_day == date(2026, 11, 17)
    assert r.period.start == datetime(2026, 11, 16, 11, 0, tzinfo=UTC)
    assert [d for d, _s, _n in r.daily][:2] == [date(2026, 11, 17), date(2026, 11, 18)]
    assert r.raised == 5
    # New York is UTC-5: the ticket of 10:00 UTC on the 17th is still the 17th, 05:00.
    ny = report(seeded, timezone="America/New_York")
    assert ny.period.start == datetime(2026, 11, 17, 5, 0, tzinfo=UTC)
    assert ny.raised == 5 and ny.daily[0][0] == date(2026, 11, 17)


def test_a_month_and_every_workspace(seeded):
    october = report(seeded, "2026-10")
    assert (october.raised, october.closed, october.satisfaction.count) == (1, 0, 1)
    november = report(seeded, "2026-11", workspace=None)
    assert november.raised == 7 and november.closed == 5


def test_an_empty_period_is_empty_but_still_shows_the_backlog(database, policy):
    with database.transaction() as s:
        add(s, policy, at(1, month=9))
    r = report(database, "30d")
    assert r.empty and r.raised == 0 and r.closed == 0
    assert r.first_response == Durations(0, None, None)
    assert r.sla.share is None and r.satisfaction.average is None
    assert r.backlog.open == 1 and r.daily == ()


@pytest.mark.parametrize(
    ("text", "start", "end", "days"),
    [
        ("", datetime(2026, 10, 25, tzinfo=UTC), NOW, 30),
        ("7d", datetime(2026, 11, 17, tzinfo=UTC), NOW, 7),
        (" 90D ", datetime(2026, 8, 26, tzinfo=UTC), NOW, 90),
        ("2026-10", datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), 31),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC), NOW, 23),
        ("2025-12", datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), 31),
    ],
)
def test_periods(text, start, end, days):
    period = parse_period(text, now=NOW, timezone="UTC")
    assert (period.start, period.end, len(period.days)) == (start, end, days)


@pytest.mark.parametrize("text", ["12d", "2026-13", "2026-00", "1999-01", "2026-12", "week"])
def test_unknown_or_future_periods_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_period(text, now=NOW, timezone="UTC")


def test_the_week_before_a_report_day_in_local_time():
    week = previous_week(date(2026, 11, 23), timezone="Europe/Paris")
    assert week.key == "2026-W47"
    assert week.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))


def test_the_indexes_the_report_reads(database):
    from sqlalchemy import inspect

    tickets = {ix["name"] for ix in inspect(database.engine).get_indexes("tickets")}
    ratings = {ix["name"] for ix in inspect(database.engine).get_indexes("ratings")}
    assert {"ix_tickets_created", "ix_tickets_closed", "ix_tickets_open_created"} <= tickets
    assert "ix_ratings_rated" in ratings


def test_local_days_across_the_end_of_summer_time(database, policy):
    # Paris leaves summer time on 25 October 2026 at 01:00 UTC (03:00 CEST becomes 02:00 CET).
    with database.transaction() as s:
        add(s, policy, datetime(2026, 10, 24, 21, 59, tzinfo=UTC))  # 24 Oct 23:59 CEST
        add(s, policy, datetime(2026, 10, 24, 22, 30, tzinfo=UTC), source="reaction")  # 25 Oct
        add(s, policy, datetime(2026, 10, 25, 22, 59, tzinfo=UTC), source="app_home")  # 25 Oct
        add(s, policy, datetime(2026, 10, 25, 23, 0, tzinfo=UTC), source="cli")  # 26 Oct 00:00
    r = report(database, "30d", timezone="Europe/Paris")
    assert r.period.start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert r.raised == 3
    assert r.daily == (
        (date(2026, 10, 25), Source.APP_HOME, 1),
        (date(2026, 10, 25), Source.REACTION, 1),
        (date(2026, 10, 26), Source.CLI, 1),
    )
