"""Under more load than Slack's budget or the work queue can take: every request is still
answered 200, a person hears "busy, try again" rather than nothing, a modal whose trigger
would expire before its turn is not sent dead, and App Home refreshes of one person
coalesce into one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.support.metrics import current
from tests.support.scenario import BOT_TOKEN, start_scenario
from tests.support.steps import AGENT, AGENT_2, texts
from ticketbot.concurrency import WorkQueue
from ticketbot.slack.client import KeepAliveWebClient

BUSY = "very busy right now"


def _home_opened(slack, user_id: str, event_id: str):
    channel = "D" + user_id[1:]
    event = {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": "home"}
    return slack.send.event(event, event_id=event_id)


@pytest.fixture
def narrow(database, fake_slack, clock, config) -> Iterator:
    """The app with one thread and room for three tasks after the ack; `hold()` keeps the
    thread busy until `release` is set."""
    work = WorkQueue(workers=1, capacity=3)
    release = threading.Event()
    for scenario in start_scenario(database, fake_slack, clock, config, work=work):
        scenario.hold = lambda: work.submit(release.wait, 10)
        scenario.release = release
        scenario.work = work
        try:
            yield scenario
        finally:
            release.set()


def test_app_home_opened_by_one_person_many_times_is_published_once(narrow):
    narrow.hold()
    coalesced = current("ticketbot_work_queue_coalesced_total")
    answers = [_home_opened(narrow, AGENT, f"Ev0HOME000{i}").status_code for i in range(4)]
    assert answers == [200] * 4
    assert current("ticketbot_work_queue_coalesced_total") == coalesced + 3
    assert narrow.work.pending == 2  # the held task and one publish
    narrow.release.set()
    narrow.settle()
    [publish] = narrow.fake.calls("views.publish")
    assert publish.args["user_id"] == AGENT
    assert publish.args["view"]["type"] == "home"


def test_each_persons_home_has_its_own_turn_and_a_started_one_is_not_enough(narrow):
    narrow.hold()
    assert _home_opened(narrow, AGENT, "Ev0HOME0001").status_code == 200
    assert _home_opened(narrow, AGENT_2, "Ev0HOME0002").status_code == 200
    narrow.release.set()
    narrow.settle()
    assert _home_opened(narrow, AGENT, "Ev0HOME0003").status_code == 200  # after it ran
    narrow.settle()
    published = [c.args["user_id"] for c in narrow.fake.calls("views.publish")]
    assert sorted(published) == sorted([AGENT, AGENT, AGENT_2])


def test_app_home_opened_with_the_queue_full_is_answered_200_and_skipped(narrow):
    for _ in range(3):
        narrow.hold()  # the queue's room, all taken
    rejected = current("ticketbot_work_queue_rejections_total")
    answer = _home_opened(narrow, AGENT, "Ev0HOME0001")
    assert answer.status_code == 200  # not a 503: Slack keeps showing the last home published
    assert current("ticketbot_work_queue_rejections_total") == rejected + 1
    narrow.release.set()
    narrow.settle()
    assert narrow.fake.calls("views.publish") == []


def test_a_command_with_the_queue_full_is_told_busy_and_nothing_opens(narrow):
    for _ in range(3):
        narrow.hold()
    response = narrow.send.command("new Printer jammed")
    assert response.status_code == 200
    assert BUSY in texts(response.json())
    narrow.release.set()
    narrow.settle()
    assert narrow.fake.calls("views.open") == []


def test_a_modal_whose_turn_would_come_after_its_trigger_expired_is_not_sent(slack):
    """Slack said 429 to views.open with 30 s to wait: the next /ticket new is told at once
    that the bot is busy; no thread sleeps 30 s to send a trigger_id dead since 27."""
    workspace = KeepAliveWebClient(token=BOT_TOKEN).workspace_key
    slack.runtime.pacer.pause(workspace, "views.open", 30)
    waited = slack.runtime.pacer.waited
    response = slack.send.command("new Printer jammed")
    assert response.status_code == 200
    [told] = slack.fake.wait_for("response_url", 1)
    assert BUSY in texts(told.args)
    assert told.args["response_type"] == "ephemeral"
    slack.settle()
    assert slack.fake.calls("views.open") == []
    assert slack.runtime.pacer.waited == waited  # refused before any wait


def test_a_modal_opens_after_a_short_wait_within_its_trigger(slack):
    workspace = KeepAliveWebClient(token=BOT_TOKEN).workspace_key
    slack.runtime.pacer.pause(workspace, "views.open", 1)
    assert slack.send.command("new Printer jammed").status_code == 200
    [opened] = slack.fake.wait_for("views.open", 1)
    assert opened.args["view"]["type"] == "modal"
    slack.settle()
    assert slack.fake.calls("response_url") == []
