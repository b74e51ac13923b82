"""GET /metrics through the running app: what Slack's requests, the Web API and the outboxes
did shows up in Prometheus' text format, read back with prometheus_client's own parser.

The app's values live in this test process (no multiprocess mode here), shared with every
test before: each test compares a scrape after what it did with one before."""

from __future__ import annotations

from datetime import timedelta

import requests
from pydantic import SecretStr

from tests.support.metrics import scrape
from tests.support.scenario import start_scenario
from tests.support.steps import AGENT, card_action, choose, create_ticket, opened
from ticketbot.ids import ActionId
from ticketbot.metrics import ACK_BUCKETS

ACKS = "ticketbot_slack_ack_seconds"
REQUESTS = "ticketbot_slack_requests_total"
CALLS = "ticketbot_slack_api_calls_total"


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
    assert [c.status for c in slack.fake.wait_for("chat.update", 2)] == [429, 200]
    slack.settle()
    after = scrape(slack.url)

    def more(outcome: str) -> float:
        return after.value(CALLS, method="chat.update", outcome=outcome) - before.value(
            CALLS, method="chat.update", outcome=outcome
        )

    assert (more("ratelimited"), more("ok"), more("error")) == (1, 1, 0)


def test_a_card_slack_refused_shows_in_the_outbox_gauges(slack):
    create_ticket(slack)
    before = scrape(slack.url)
    assert before.value("ticketbot_outbox_pending", outbox="card_refreshes") == 0
    slack.fake.fail_next("chat.update", status=200, error="service_unavailable")
    card_action(slack, ActionId.STATUS, **choose("in_progress"))
    slack.fake.wait_for("chat.update")
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
