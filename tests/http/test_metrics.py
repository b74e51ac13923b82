"""GET /metrics through the running app: what Slack's requests, the Web API and the outboxes
did shows up in Prometheus' text format, read back with prometheus_client's own parser.

The app's values live in this test process (no multiprocess mode here), shared with every
test before: each test compares a scrape after what it did with one before."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import SecretStr

from tests.support.metrics import scrape
from tests.support.scenario import SIGNING_SECRET, start_scenario
from tests.support.slack_requests import SlackSender
from tests.support.steps import (
    AGENT,
    TRIAGE,
    card_action,
    choose,
    create_ticket,
    is_card_update,
    opened,
)
from ticketbot.ids import ActionId
from ticketbot.metrics import ACK_BUCKETS

ACKS = "ticketbot_slack_ack_seconds"
REQUESTS = "ticketbot_slack_requests_total"
CALLS = "ticketbot_slack_api_calls_total"
OWN_SETTINGS = ("SLACK_", "TICKETBOT_", "DATABASE_URL", "SMTP_", "LOG_")


def _open_home(slack) -> dict:
    event = {"type": "app_home_opened", "user": AGENT, "channel": "D0AGT0001", "tab": "home"}
    return opened(slack, lambda: slack.send.event(event), method="views.publish")


def test_acks_are_timed_and_counted_by_kind(slack):
    before = scrape(slack.url)
    create_ticket(slack)  # a slash command, then the form's submission
    card_action(slack, ActionId.STATUS, **choose("in_progress"))  # a click on the card
    _open_home(slack)  # an Events API event
    unsigned = requests.post(f"{slack.url}/slack/events", data=b"x=1", timeout=5)
    assert unsigned.status_code == 401
    slack.settle()
    after = scrape(slack.url)

    kinds = ("slash_command", "view_submission", "block_actions", "event:app_home_opened")
    for kind in kinds:
        timed = after.value(f"{ACKS}_count", kind=kind) - before.value(f"{ACKS}_count", kind=kind)
        assert timed == 1, kind
        answered = after.value(REQUESTS, kind=kind, status="200")
        assert answered - before.value(REQUESTS, kind=kind, status="200") == 1, kind
        # Each ack took some time, within Slack's three seconds.
        assert after.value(f"{ACKS}_sum", kind=kind) > before.value(f"{ACKS}_sum", kind=kind)
        within = after.value(f"{ACKS}_bucket", kind=kind, le="3.0")
        assert within - before.value(f"{ACKS}_bucket", kind=kind, le="3.0") == 1, kind
    assert after.types[ACKS] == "histogram"
    assert after.bounds(ACKS, kind="slash_command") == [
        *(str(bound) for bound in ACK_BUCKETS),
        "+Inf",
    ]
    # A request that failed verification is counted, but it is no ack Slack waits for.
    refused = after.value(REQUESTS, kind="unsigned", status="401")
    assert refused - before.value(REQUESTS, kind="unsigned", status="401") == 1
    assert not after.has(f"{ACKS}_count", kind="unsigned")
    # What the acks started after them: the form, the card, the home tab.
    for method in ("views.open", "chat.postMessage", "chat.update", "views.publish"):
        assert after.value(CALLS, method=method, outcome="ok") > before.value(
            CALLS, method=method, outcome="ok"
        ), method
    assert after.value("ticketbot_work_queue_depth") == before.value("ticketbot_work_queue_depth")


def test_a_rate_limited_call_shows_as_ratelimited_then_ok(slack):
    create_ticket(slack)
    before = scrape(slack.url)
    slack.fake.fail_next("chat.update", status=429, retry_after=0)
    card_action(slack, ActionId.STATUS, **choose("waiting"))
    # The card and the requester's status message: one of them waits out the 429.
    updates = slack.fake.wait_for("chat.update", 3)
    assert sorted(c.status for c in updates) == [200, 200, 429]
    slack.settle()
    after = scrape(slack.url)

    def more(outcome: str) -> float:
        return after.value(CALLS, method="chat.update", outcome=outcome) - before.value(
            CALLS, method="chat.update", outcome=outcome
        )

    assert (more("ratelimited"), more("ok"), more("error")) == (1, 2, 0)


def test_a_card_slack_refused_shows_in_the_outbox_gauges(slack):
    create_ticket(slack)
    before = scrape(slack.url)
    assert before.value("ticketbot_outbox_pending", outbox="card_refreshes") == 0
    slack.fake.fail_next("chat.update", status=200, error="service_unavailable", channel=TRIAGE)
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    slack.fake.wait_for("chat.update", predicate=is_card_update)
    slack.settle()  # the row that remembers the card is written after Slack's answer

    waiting = scrape(slack.url)
    assert waiting.value("ticketbot_outbox_pending", outbox="card_refreshes") == 1
    assert waiting.value("ticketbot_outbox_due", outbox="card_refreshes") == 0  # backing off
    assert waiting.value("ticketbot_outbox_lag_seconds", outbox="card_refreshes") == 0
    error = waiting.value(CALLS, method="chat.update", outcome="error")
    assert error - before.value(CALLS, method="chat.update", outcome="error") == 1
    # The ticket's deadline warnings wait in their own outbox, none due yet.
    assert waiting.value("ticketbot_outbox_pending", outbox="sla_alerts") >= 1
    assert waiting.value("ticketbot_outbox_lag_seconds", outbox="sla_alerts") == 0
    assert waiting.labels("ticketbot_outbox_pending", "outbox") == {
        "sla_alerts",
        "webhook_deliveries",
        "card_refreshes",
        "status_refreshes",
        "outgoing_messages",
    }

    slack.clock.advance(timedelta(minutes=3))  # its retry was due a minute after the failure
    late = scrape(slack.url)
    assert late.value("ticketbot_outbox_due", outbox="card_refreshes") == 1
    assert late.value("ticketbot_outbox_lag_seconds", outbox="card_refreshes") == 120


def test_the_bearer_token_guards_the_metrics(database, fake_slack, clock, config):
    scenario = start_scenario(
        database, fake_slack, clock, config, ticketbot_metrics_token=SecretStr("s3cr3t-m3trics")
    )
    slack = next(scenario)
    try:
        url = f"{slack.url}/metrics"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cr3t-m3trics"}):
            refused = requests.get(url, headers=headers, timeout=5)
            assert refused.status_code == 401, headers
            assert refused.headers["WWW-Authenticate"] == "Bearer"
            assert "ticketbot_" not in refused.text
        page = scrape(slack.url, token="s3cr3t-m3trics")
        assert page.types["ticketbot_slack_requests"] == "counter"
        assert requests.post(url, timeout=5).status_code == 405
    finally:
        scenario.close()


def test_without_a_token_the_metrics_are_open(slack):
    assert requests.get(f"{slack.url}/metrics", timeout=5).status_code == 200
    assert requests.get(f"{slack.url}/metrics/other", timeout=5).status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answered_by(directory: Path) -> dict[int, float]:
    """Signed requests of kind other answered 200, by the process whose file counted them."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):
            for sample in family.samples:
                wanted = {"kind": "other", "status": "200"}
                if sample.name == REQUESTS and sample.labels == wanted and sample.value:
                    counts[int(path.stem.split("_")[1])] = sample.value
    return counts


def test_serve_adds_up_the_counts_of_its_workers_in_one_scrape(tmp_path, fake_slack):
    """The real `ticketbot serve`, gunicorn with two workers: every scrape, whichever worker
    answers it, counts the requests both answered, and still after one of them died."""
    temporary = tmp_path / "tmp"  # where the private metrics directory must appear
    temporary.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = _free_port()
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        TICKETBOT_METRICS_TOKEN="scrape-me",
        TMPDIR=str(temporary),
    )
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, "-m", "ticketbot.cli", *command, "--threads", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # waiting for a process to start, not for the app's clock
            try:
                requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.05)
        [directory] = temporary.glob("ticketbot-metrics-*")
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700

        # Signed requests on connections of their own, until both workers have answered some.
        sender = SlackSender(url, SIGNING_SECRET, response_url=fake_slack.response_url)
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(25):
                answers = list(pool.map(lambda n: sender.url_verification(f"c{n}"), range(8)))
                assert all(a.status_code == 200 for a in answers)
                sent += len(answers)
                if len(_answered_by(directory)) == 2:
                    break
        by_worker = _answered_by(directory)
        assert len(by_worker) == 2 and sum(by_worker.values()) == sent

        for _ in range(4):  # new connections: the scrapes reach either worker
            page = scrape(url, token="scrape-me")
            assert page.value(REQUESTS, kind="other", status="200") == sent
            assert page.value(f"{ACKS}_count", kind="other") == sent
            assert page.value(f"{ACKS}_bucket", kind="other", le="+Inf") == sent
        assert requests.get(f"{url}/metrics", timeout=5).status_code == 401

        # A worker killed: gunicorn starts another; its counts stay, its gauges go.
        gone = min(by_worker)
        os.kill(gone, signal.SIGKILL)
        live_gauges = directory / f"gauge_livesum_{gone}.db"
        for _ in range(300):
            if not live_gauges.exists():
                break
            time.sleep(0.05)
        assert not live_gauges.exists()
        assert (directory / f"counter_{gone}.db").exists()
        assert scrape(url, token="scrape-me").value(REQUESTS, kind="other", status="200") == sent
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "xoxb-test" not in output and "scrape-me" not in output
    assert list(temporary.iterdir()) == []  # the private directory went with the server
