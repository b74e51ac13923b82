"""`ticketbot tick`: every scheduled pass once, from cron or a Kubernetes CronJob, instead of
the timer inside each replica; `ticketbot sla tick` stays the deadline part alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.factories import make_ticket
from tests.support.webhooks import SECRET
from ticketbot.config import Settings, parse_config
from ticketbot.runtime import Runtime
from ticketbot.services.refreshes import mark_card
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
from ticketbot.store.models import (
    CardRefresh,
    ProcessedEvent,
    ScheduledRun,
    SlaAlert,
    Ticket,
    WebhookDelivery,
)

H = timedelta(hours=1)
DAY = timedelta(days=1)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback, in the test: it keeps what it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        self.bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:
                length = int(handler.headers["Content-Length"])
                self.bodies.append(json.loads(handler.rfile.read(length)))
                handler.send_response(204)
                handler.end_headers()

            def log_message(handler, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def office(tmp_path, fake_slack, clock, receiver):
    """A database with one of everything due: a deadline warning, a card to post, a webhook
    event, and the weekly report of a Monday 09:00."""
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    text = (
        "triage_channel: C0SUPPORT1\n"
        "sla: {alert_channel: C0SLAALERT}\n"
        "reports: {weekly: {day: Mon, time: '09:00'}}\n"
        f"webhooks: [{{url: '{receiver.url}', secret: '{SECRET}', events: [ticket.created]}}]\n"
    )
    (tmp_path / "ticketbot.yml").write_text(text)
    database = Database(url)
    upgrade(database)
    runtime = Runtime(
        settings=Settings(),
        config=parse_config(text),
        database=database,
        clock=clock,
    )
    with database.transaction() as session:
        ticket = make_ticket(
            session,
            policy=runtime.policy,
            now=clock.now(),
            outbound=runtime.outbound,
            title="Mail server down",
            priority="urgent",
            workspace_id="T0TEAM001",
        )
        mark_card(session=session, ticket_id=ticket.id, now=clock.now())
    database.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TICKETBOT_CONFIG": str(tmp_path / "ticketbot.yml"),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.api_url,
    }
    return env, database


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_tick_runs_every_scheduled_pass_once(office, fake_slack, receiver, clock):
    env, database = office
    later = (clock.now() + 3 * H).isoformat()  # Monday 12:00: the warning and report are due
    result = run(env, "tick", "--now", later)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "deadline warnings: 1 sent, 0 failed, 0 digest(s)",
        "cards: 1 brought up to date",
        "status messages: 0 brought up to date",
        "messages: 0 posted",
        "weekly report: posted",
        "webhooks: 1 delivered, 0 to retry, 0 given up",
        "purged: 0 old outbox rows, 0 processed events",
    ]
    posts = [c.args for c in fake_slack.calls("chat.postMessage")]
    channels = sorted(p["channel"] for p in posts)
    assert channels == ["C0SLAALERT", "C0SLAALERT", "C0SUPPORT1"]  # warning, report, card
    assert [b["event"] for b in receiver.bodies] == ["ticket.created"]
    with database.transaction() as session:
        assert session.scalars(select(Ticket.card_ts)).one() is not None
        assert session.scalars(select(CardRefresh)).all() == []
        assert session.scalars(select(WebhookDelivery.state)).all() == ["delivered"]
        assert session.scalars(select(ScheduledRun.job)).all() == ["weekly_report"]
    again = run(env, "tick", "--now", later)  # every pass found its work done
    assert again.returncode == 0, again.stderr
    assert "cards: 0 brought up to date" in again.stdout
    assert "deadline warnings: 0 sent" in again.stdout
    assert "weekly report: not due" in again.stdout
    assert len(fake_slack.calls("chat.postMessage")) == 3 and len(receiver.bodies) == 1


def test_tick_purges_what_is_older_than_the_retention(office, fake_slack, clock, tmp_path):
    env, database = office
    config = tmp_path / "ticketbot.yml"
    config.write_text(config.read_text() + "retention_days: 10\n")
    later = clock.now() + 3 * H
    with database.transaction() as session:
        [ticket] = session.scalars(select(Ticket)).unique()
        for age, label in ((11 * DAY, "old"), (9 * DAY, "young")):
            at = later - age
            session.add(
                WebhookDelivery(
                    delivery_id=label, url="https://hooks.example.com/x", event="ticket.created",
                    payload="{}", state="delivered", attempts=1, available_at=at,
                    created_at=at, delivered_at=at,
                )
            )  # fmt: skip
            session.add(
                SlaAlert(
                    ticket_id=ticket.id, kind="breach", step=100, deadline=at, target=label,
                    notify_at=at, available_at=at, state="cancelled", created_at=at,
                )
            )  # fmt: skip
        session.add(ProcessedEvent(event_id="Ev3DAYS", received_at=later - 3 * DAY))
        session.add(ProcessedEvent(event_id="Ev1DAY", received_at=later - DAY))
    database.dispose()

    result = run(env, "tick", "--now", later.isoformat())
    assert result.returncode == 0, result.stderr
    assert "purged: 2 old outbox rows, 1 processed events" in result.stdout.splitlines()
    with database.transaction() as session:
        seeded = WebhookDelivery.delivery_id.in_(["old", "young"])
        assert session.scalars(select(WebhookDelivery.delivery_id).where(seeded)).all() == ["young"]
        # What this tick delivered and posted is young: kept.
        assert session.scalars(select(WebhookDelivery.state).where(~seeded)).all() == ["delivered"]
        targets = session.scalars(select(SlaAlert.target).where(SlaAlert.state != "pending"))
        assert sorted(targets) == ["channel", "young"]
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["Ev1DAY"]


def test_sla_tick_runs_the_deadline_pass_alone(office, fake_slack, receiver, clock):
    env, database = office
    result = run(env, "sla", "tick", "--now", (clock.now() + 3 * H).isoformat())
    assert result.returncode == 0, result.stderr
    assert [c.args["channel"] for c in fake_slack.calls("chat.postMessage")] == ["C0SLAALERT"]
    assert receiver.bodies == []
    with database.transaction() as session:
        assert len(session.scalars(select(CardRefresh)).all()) == 1  # left to `tick`


def test_a_bad_time_is_named(office):
    env, _database = office
    result = run(env, "tick", "--now", "yesterday")
    assert result.returncode == 2 and "--now: 'yesterday' is not an ISO 8601 time" in result.stderr


def _install(database: Database, fake_slack, key: str, team_id: str, name: str) -> None:
    """A workspace installed as Slack's OAuth flow stores it; its token known to the fake."""
    from slack_sdk.oauth.installation_store import Installation

    from ticketbot.store.installations import InstallationStore, Sealer

    number = len(fake_slack.teams) + 1
    fake_slack.teams.setdefault(
        team_id, {"name": name, "bot_user_id": f"UBOT{number:04d}", "bot_id": f"BBOT{number:04d}"}
    )
    token = f"xoxb-{team_id.lower()}-1"
    fake_slack.tokens[token] = team_id
    store = InstallationStore(fake_slack.client_id, database.engine, Sealer(key))
    store.save(
        Installation(
            app_id="A0APP0001", team_id=team_id, team_name=name, user_id="U0ADMIN01",
            bot_token=token, bot_id=f"BBOT{number:04d}", bot_user_id=f"UBOT{number:04d}",
            bot_scopes="chat:write",
        )
    )  # fmt: skip


def test_tick_with_many_workspaces_runs_each_with_its_own_token(office, fake_slack, clock):
    from cryptography.fernet import Fernet

    env, database = office
    key = Fernet.generate_key().decode()
    text = Path(env["TICKETBOT_CONFIG"]).read_text()  # the office's settings: its deadlines
    runtime = Runtime(
        settings=Settings(), config=parse_config(text), database=database, clock=clock
    )
    with database.transaction() as session:
        ticket = make_ticket(
            session, policy=runtime.policy, now=clock.now(), title="VPN down",
            priority="urgent", workspace_id="T0TEAM002",
        )  # fmt: skip
        mark_card(session=session, ticket_id=ticket.id, now=clock.now())
    _install(database, fake_slack, key, "T0TEAM001", "Test")
    _install(database, fake_slack, key, "T0TEAM002", "Second Co")
    database.dispose()
    del env["SLACK_BOT_TOKEN"]
    env |= {"SLACK_CLIENT_ID": fake_slack.client_id, "SLACK_CLIENT_SECRET": "shh",
            "TICKETBOT_SECRET_KEY": key}  # fmt: skip
    later = (clock.now() + 3 * H).isoformat()

    dry = run(env, "sla", "tick", "--dry-run", "--now", later)
    assert dry.returncode == 0, dry.stderr
    assert "Mail server down" in dry.stdout and "in T0TEAM001" in dry.stdout
    assert "VPN down" in dry.stdout and "in T0TEAM002" in dry.stdout
    assert fake_slack.calls() == []

    result = run(env, "tick", "--now", later)
    assert result.returncode == 0, result.stderr
    assert "deadline warnings: 2 sent, 0 failed, 0 digest(s)" in result.stdout
    assert "cards: 2 brought up to date" in result.stdout
    posts = fake_slack.calls("chat.postMessage")
    for team, title, other in (("T0TEAM001", "Mail server down", "VPN down"),
                               ("T0TEAM002", "VPN down", "Mail server down")):  # fmt: skip
        mine = [json.dumps(c.args) for c in posts if c.team == team]
        assert len(mine) == 3  # its warning, its card, its weekly report
        assert any(title in text for text in mine) and not any(other in text for text in mine)
    with database.transaction() as session:
        assert sorted(session.scalars(select(ScheduledRun.job))) == [
            "weekly_report:T0TEAM001",
            "weekly_report:T0TEAM002",
        ]
