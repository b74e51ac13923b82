"""The weekly report: posted when its local time comes, once per week whatever the number of
replicas, retried after a failed post, covering the week before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.factories import make_ticket
from ticketbot.config import ConfigError, Settings, TicketbotConfig, parse_config
from ticketbot.jobs.scheduler import tick
from ticketbot.jobs.weekly_report import send_weekly_report_if_due
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database
from ticketbot.store.models import ScheduledRun

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def weekly_config(**weekly) -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {
            "agents": ["U0AGT0001"],
            "sla": {"alert_channel": "C0SLAALERT"},
            "reports": {"weekly": {"day": "Mon", "time": "09:00", **weekly}},
        }
    )


class Office:
    def __init__(self, database: Database, fake, clock, config: TicketbotConfig) -> None:
        settings = Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=fake.api_url)
        self.runtime = Runtime(settings=settings, config=config, database=database, clock=clock)
        self.client = WebClient(token="xoxb-test", base_url=fake.api_url)
        self.fake, self.clock = fake, clock

    def ticket(self, when: datetime, **fields) -> None:
        with self.runtime.database.transaction() as session:
            make_ticket(session, policy=self.runtime.policy, now=when, **fields)

    def send(self) -> bool:
        return send_weekly_report_if_due(self.runtime, self.client)

    def reports(self, channel: str = "C0SLAALERT") -> list[dict]:
        return [
            c.args
            for c in self.fake.calls("chat.postMessage")
            if not c.failed and c.args["channel"] == channel
        ]

    def runs(self) -> list[tuple[str, str, bool]]:
        with self.runtime.database.transaction() as session:
            rows = session.query(ScheduledRun).order_by(ScheduledRun.period).all()
            return [(r.job, r.period, r.finished_at is not None) for r in rows]


@pytest.fixture
def office(database, fake_slack, clock):
    clock.set(MONDAY_9 - MINUTE)
    return Office(database, fake_slack, clock, weekly_config())


def test_posted_at_its_time_with_last_weeks_figures_and_its_chart(office):
    office.ticket(MONDAY_9 - timedelta(days=3))  # last week
    office.ticket(MONDAY_9 - timedelta(days=5), source="reaction")  # last week
    office.ticket(MONDAY_9 - timedelta(days=9))  # the week before: not in this report
    assert office.send() is False and office.reports() == []

    office.clock.advance(MINUTE)
    assert office.send() is True
    [report] = office.reports()
    assert report["blocks"][0]["text"]["text"] == "Weekly ticket report, week 2026-W47"
    assert report["blocks"][1]["elements"][0]["text"] == "2026-11-16 to 2026-11-22, days in UTC"
    assert report["blocks"][2]["fields"][0]["text"] == "*Raised*\n2"
    [upload] = office.fake.calls("files.completeUploadExternal")
    assert upload.args["channel_id"] == "C0SLAALERT"
    assert office.runs() == [("weekly_report", "2026-W48", True)]


def test_once_a_week_then_again_the_next_week(office):
    office.clock.set(MONDAY_9)
    assert office.send() is True
    for later in (MINUTE, timedelta(hours=5), timedelta(days=3)):
        office.clock.advance(later)
        assert office.send() is False
    office.clock.set(MONDAY_9 + timedelta(days=7))
    assert office.send() is True
    assert len(office.reports()) == 2
    assert office.reports()[1]["blocks"][0]["text"]["text"].endswith("week 2026-W48")


def test_a_replica_that_starts_later_in_the_week_still_sends_it_once(office):
    office.clock.set(MONDAY_9 + timedelta(days=2, hours=3))
    assert office.send() is True and office.send() is False
    assert len(office.reports()) == 1


def test_two_racing_replicas_post_one_report(office, database_url):
    office.ticket(MONDAY_9 - timedelta(days=2))
    office.clock.set(MONDAY_9)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def replica() -> None:
        own = Database(database_url)  # as a separate replica would
        runtime = Runtime(
            settings=office.runtime.settings,
            config=office.runtime.config,
            database=own,
            clock=office.clock,
        )
        barrier.wait()
        results.append(send_weekly_report_if_due(runtime, office.client))
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert len(office.reports()) == 1
    assert len(office.fake.calls("files.completeUploadExternal")) == 1


def test_a_failed_post_is_retried_after_the_lease_not_before(office):
    office.clock.set(MONDAY_9)
    office.fake.fail_next("chat.postMessage", status=200, error="not_in_channel")
    with pytest.raises(SlackApiError):
        office.send()
    assert office.runs() == [("weekly_report", "2026-W48", False)]
    office.clock.advance(5 * MINUTE)
    assert office.send() is False  # another replica may still be posting it
    office.clock.advance(11 * MINUTE)
    assert office.send() is True
    assert len(office.reports()) == 1
    assert office.runs() == [("weekly_report", "2026-W48", True)]


def test_local_time_of_the_business_hours_and_its_own_channel(database, fake_slack, clock):
    config = TicketbotConfig.model_validate(
        {
            "sla": {
                "alert_channel": "C0SLAALERT",
                "business_hours": {"timezone": "America/New_York"},
            },
            "reports": {"weekly": {"day": "Tue", "time": "08:30", "channel": "C0MANAGERS"}},
        }
    )
    office = Office(database, fake_slack, clock, config)
    tuesday_830_new_york = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    office.clock.set(tuesday_830_new_york - MINUTE)
    assert office.send() is False
    office.clock.set(tuesday_830_new_york)
    assert office.send() is True
    [report] = office.reports("C0MANAGERS")
    assert "2026-11-17 to 2026-11-23, days in America/New_York" in str(report["blocks"][1])
    assert office.reports("C0SLAALERT") == []


def test_the_scheduler_tick_sends_it(office):
    office.clock.set(MONDAY_9)
    tick(office.runtime, office.client)
    assert len(office.reports()) == 1
    tick(office.runtime, office.client)
    assert len(office.reports()) == 1


def test_no_weekly_report_unless_configured(database, fake_slack, clock):
    office = Office(database, fake_slack, clock, TicketbotConfig())
    office.clock.set(MONDAY_9 + timedelta(hours=1))
    assert office.send() is False
    assert office.runs() == [] and fake_slack.calls() == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("reports: {weekly: {day: Mon}}",
         "config: reports: weekly.channel is needed when sla.alert_channel is not set"),
        ("reports: {weekly: {day: Monday, channel: C0MANAGERS}}",
         "config: reports.weekly.day: Input should be 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', "
         "'Sat' or 'Sun'"),
        ("reports: {weekly: {time: '25:00', channel: C0MANAGERS}}",
         "config: reports.weekly.time: Input should be in a valid time format, hour value is "
         "outside expected range of 0-23"),
        ("reports: {weekly: {channel: C0XXXXXX}}",
         "config: reports.weekly.channel: 'C0XXXXXX' is a placeholder: put a real channel id "
         "(C...) here"),
    ],
)  # fmt: skip
def test_a_bad_weekly_report_setting_is_named(text, error):
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    assert str(refused.value) == error
