"""Engagement deadlines end to end: planning, passes, exactly-once delivery, retries, digests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import select

from tests.support.factories import AGENT, make_ticket
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.jobs.sla_alerts import run_pass
from ticketbot.runtime import Runtime
from ticketbot.services import tickets
from ticketbot.services.inputs import TicketEdit
from ticketbot.store.db import Database
from ticketbot.store.models import SlaAlert, Ticket
from ticketbot.vocabulary import Priority, Status

H = timedelta(hours=1)
PARIS = ZoneInfo("Europe/Paris")


def sla_config(**sla) -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {
            "agents": ["U0AGT0001"],
            "triage_channel": "C0SUPPORT1",
            "sla": {"alert_channel": "C0SLAALERT", **sla},
        }
    )


class Desk:
    """A runtime on the test database and clock, posting to the fake Slack."""

    def __init__(self, database: Database, fake, clock, config: TicketbotConfig) -> None:
        settings = Settings(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=fake.api_url)
        self.runtime = Runtime(settings=settings, config=config, database=database, clock=clock)
        self.client = WebClient(token="xoxb-test", base_url=fake.api_url)
        self.fake, self.clock, self.sleeps = fake, clock, []

    def ticket(self, **fields) -> int:
        with self.runtime.database.transaction() as s:
            ticket = make_ticket(s, policy=self.runtime.policy, now=self.clock.now(), **fields)
            return ticket.id

    def change(self, ticket_id: int, action) -> None:
        with self.runtime.database.transaction() as s:
            action(s, s.get(Ticket, ticket_id))

    def tick(self, **kwargs):
        return run_pass(self.runtime, self.client, sleep=self.sleeps.append, **kwargs)

    def posts(self, channel: str | None = None):
        return [
            c.args
            for c in self.fake.calls("chat.postMessage")
            if not c.failed and (channel is None or c.args["channel"] == channel)
        ]


@pytest.fixture
def desk(database, fake_slack, clock):
    return Desk(database, fake_slack, clock, sla_config())


def test_warning_at_75_percent_then_breach_each_exactly_once(desk):
    desk.ticket(title="VPN down", priority="urgent", assignee_id="U0AGT0001")  # 4 h
    desk.clock.advance(2 * H + 59 * timedelta(minutes=1))
    assert desk.tick().sent == [] and desk.posts() == []
    desk.clock.advance(timedelta(minutes=1))  # 3 h of 4: 75 %
    assert len(desk.tick().sent) == 1
    [warning] = desk.posts("C0SLAALERT")
    text = str(warning["blocks"])
    for expected in (
        "75% of the engagement used",
        "#1 VPN down",
        "Urgent",
        "<@U0AGT0001>",
        "1 h left",
    ):
        assert expected in text
    assert "#1" in warning["text"]
    assert desk.tick().sent == []  # same pass again, or a restart: nothing more
    desk.clock.advance(H)
    desk.tick()
    breach = desk.posts("C0SLAALERT")[-1]
    assert "Deadline missed" in str(breach["blocks"]) and len(desk.posts("C0SLAALERT")) == 2
    desk.clock.advance(H)
    assert desk.tick().sent == []


def test_closed_tickets_are_never_warned_and_reopened_ones_are_tracked_again(desk):
    ticket_id = desk.ticket(priority="urgent")
    desk.change(
        ticket_id,
        lambda s, t: tickets.change_status(
            session=s,
            ticket=t,
            status=Status.CLOSED,
            solution="fixed",
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
        ),
    )
    desk.clock.advance(10 * H)
    assert desk.tick().sent == []
    desk.change(
        ticket_id,
        lambda s, t: tickets.change_status(
            session=s,
            ticket=t,
            status=Status.OPEN,
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
        ),
    )
    desk.clock.advance(3 * H)
    assert len(desk.tick().sent) == 1  # 75 % of a fresh 4 hours


def test_pause_holds_warnings_and_resuming_pushes_them(desk):
    ticket_id = desk.ticket(priority="urgent")  # due at +4 h
    desk.clock.advance(H)
    desk.change(
        ticket_id,
        lambda s, t: tickets.change_status(
            session=s,
            ticket=t,
            status=Status.WAITING,
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
        ),
    )
    desk.clock.advance(5 * H)
    assert desk.tick().sent == []  # paused: no warning, no breach
    desk.change(
        ticket_id,
        lambda s, t: tickets.change_status(
            session=s,
            ticket=t,
            status=Status.IN_PROGRESS,
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
        ),
    )
    desk.clock.advance(H + 59 * timedelta(minutes=1))
    assert desk.tick().sent == []  # 2 h 59 of 4 counted
    desk.clock.advance(timedelta(minutes=1))
    assert len(desk.tick().sent) == 1


def test_priority_change_re_evaluates_against_the_new_deadline(desk):
    ticket_id = desk.ticket(priority="normal")  # 24 h
    desk.clock.advance(5 * H)
    assert desk.tick().sent == []
    desk.change(
        ticket_id,
        lambda s, t: tickets.edit_ticket(
            session=s,
            ticket=t,
            edit=TicketEdit(priority=Priority.URGENT),
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
        ),
    )
    # Urgent is 4 h from creation: already breached. One breach, not a warning and a breach.
    report = desk.tick()
    assert len(report.sent) == 1 and "breach" in report.sent[0]
    with desk.runtime.database.transaction() as s:
        states = sorted((a.kind, a.state) for a in s.scalars(select(SlaAlert)))
    assert ("warning", "superseded") in states and ("breach", "sent") in states


def test_business_hours_friday_evening_ticket_is_due_monday_noon(database, fake_slack):
    from ticketbot.clock import FakeClock

    clock = FakeClock(datetime(2026, 11, 20, 17, 0, tzinfo=PARIS))  # a Friday
    config = sla_config(business_hours={"timezone": "Europe/Paris", "holidays": ["2026-12-25"]})
    desk = Desk(database, fake_slack, clock, config)
    ticket_id = desk.ticket(engagement="4h")
    with database.transaction() as s:
        due = s.get(Ticket, ticket_id).due_at
    assert due == datetime(2026, 11, 23, 12, 0, tzinfo=PARIS).astimezone(UTC)
    clock.set(datetime(2026, 11, 23, 10, 59, tzinfo=PARIS))
    assert desk.tick().sent == []
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=PARIS))  # 3 of 4 business hours
    assert len(desk.tick().sent) == 1


def test_a_failed_post_is_delivered_by_a_later_pass_once(desk):
    desk.ticket(priority="urgent")
    desk.clock.advance(3 * H)
    desk.fake.fail_next("chat.postMessage", status=200, error="ratelimited_elsewhere")
    report = desk.tick()
    assert report.sent == [] and len(report.failed) == 1
    with desk.runtime.database.transaction() as s:
        alert = s.scalars(select(SlaAlert).where(SlaAlert.kind == "warning")).one()
        assert (alert.state, alert.attempts, alert.last_error) == (
            "pending",
            1,
            "ratelimited_elsewhere",
        )
    assert desk.tick().sent == []  # not before its retry time
    desk.clock.advance(timedelta(minutes=1))
    assert len(desk.tick().sent) == 1
    assert len(desk.posts("C0SLAALERT")) == 1
    desk.clock.advance(timedelta(minutes=5))
    assert desk.tick().sent == []


def test_three_racing_passes_post_one_warning(desk, database_url):
    desk.ticket(priority="urgent")
    desk.clock.advance(3 * H)
    barrier = threading.Barrier(3)
    reports = []

    def replica():
        own = Database(database_url)  # as a separate replica would
        runtime = Runtime(
            settings=desk.runtime.settings,
            config=desk.runtime.config,
            database=own,
            clock=desk.clock,
        )
        barrier.wait()
        reports.append(run_pass(runtime, desk.client, sleep=lambda _: None))
        own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.sent) for r in reports) == 1
    assert len(desk.posts("C0SLAALERT")) == 1


def test_many_warnings_for_one_channel_become_one_digest(desk):
    for n in range(6):
        desk.ticket(title=f"Outage {n}", priority="urgent")
    desk.clock.advance(3 * H)
    report = desk.tick()
    assert report.digests == 1 and len(report.sent) == 6
    [digest] = desk.posts("C0SLAALERT")
    assert "6 tickets need attention" in digest["text"]
    assert all(f"#{n}" in digest["text"] for n in range(1, 7))


def test_a_few_warnings_are_paced_one_per_second_per_channel(desk):
    for n in range(3):
        desk.ticket(title=f"Outage {n}", priority="urgent")
    desk.clock.advance(3 * H)
    desk.tick()
    assert len(desk.posts("C0SLAALERT")) == 3
    assert len(desk.sleeps) == 2 and all(0 < gap <= 1.0 for gap in desk.sleeps)


def test_routes_dm_to_assignee_and_escalation_mentions_the_group(database, fake_slack, clock):
    config = sla_config(
        routes=[{"channel": "C0NETWORK1", "categories": ["Network"]}],
        dm_assignee=True,
        escalate_every_hours=2,
        escalation_usergroup="S0MANAGERS",
    )
    desk = Desk(database, fake_slack, clock, config)
    desk.ticket(priority="urgent", category="Network", assignee_id="U0AGT0001")
    desk.clock.advance(3 * H)
    desk.tick()
    assert len(desk.posts("C0NETWORK1")) == 1 and desk.posts("C0SLAALERT") == []
    assert len([p for p in desk.posts() if p["channel"].startswith(("U0AGT0001", "D"))]) == 1
    desk.clock.advance(H)
    desk.tick()  # breach
    desk.clock.advance(2 * H)
    desk.tick()  # first escalation
    escalation = desk.posts("C0NETWORK1")[-1]
    assert "<!subteam^S0MANAGERS>" in str(escalation["blocks"])
    assert "reminder 1" in str(escalation["blocks"])
    desk.clock.advance(2 * H)
    desk.tick()
    assert "reminder 2" in str(desk.posts("C0NETWORK1")[-1]["blocks"])


def test_cli_sla_tick_dry_run_prints_and_sends_nothing_then_sends(tmp_path, fake_slack, clock):
    import os
    import subprocess
    import sys

    from ticketbot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'tb.db'}"
    database = Database(url)
    upgrade(database)
    config_file = tmp_path / "ticketbot.yml"
    config_file.write_text("sla: {alert_channel: C0SLAALERT}\n")
    desk = Desk(database, fake_slack, clock, sla_config())
    desk.ticket(title="Mail server down", priority="urgent")
    database.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TICKETBOT_CONFIG": str(config_file),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.api_url,
    }
    later = (clock.now() + 3 * H).isoformat()

    def tick(*extra):
        return subprocess.run(
            [sys.executable, "-m", "ticketbot.cli", "sla", "tick", "--now", later, *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    dry = tick("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send #1 warning 75% -> C0SLAALERT: Mail server down" in dry.stdout
    assert fake_slack.calls("chat.postMessage") == []
    real = tick()
    assert real.returncode == 0, real.stderr
    assert "sent #1 warning" in real.stdout and "1 sent, 0 failed" in real.stdout
    assert len(fake_slack.calls("chat.postMessage")) == 1
    again = tick()
    assert "0 sent" in again.stdout and len(fake_slack.calls("chat.postMessage")) == 1
    bad = tick("--now", "yesterday")
    assert bad.returncode == 2 and "not an ISO 8601 time" in bad.stderr


def test_a_warning_whose_answer_was_lost_is_found_not_posted_again(database, fake_slack, clock):
    from ticketbot.slack.client import slack_client

    desk = Desk(database, fake_slack, clock, sla_config())
    desk.client = slack_client(desk.runtime.settings)  # ticketbot's own client, retries and all
    desk.ticket(priority="urgent")
    desk.clock.advance(3 * H)
    desk.fake.fail_next("chat.postMessage", status=200, drop=True)  # posted; answer lost
    first = desk.tick()
    assert first.sent == [] and len(first.failed) == 1
    assert len(desk.fake.calls("chat.postMessage")) == 1  # not sent again blindly
    desk.clock.advance(timedelta(minutes=1))
    second = desk.tick()
    assert len(second.sent) == 1  # found in the channel and recorded
    assert len(desk.fake.calls("chat.postMessage")) == 1
    [posted_ts] = [ts for (channel, ts) in desk.fake.messages if channel == "C0SLAALERT"]
    with desk.runtime.database.transaction() as s:
        alert = s.scalars(select(SlaAlert).where(SlaAlert.kind == "warning")).one()
        assert (alert.state, alert.message_ts) == ("sent", posted_ts)
    desk.clock.advance(timedelta(minutes=5))
    assert desk.tick().sent == [] and len(desk.fake.calls("chat.postMessage")) == 1
