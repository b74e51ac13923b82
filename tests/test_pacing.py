"""Pacing Web API calls to Slack's rate limits: buckets per workspace and method tier, one
post a second per channel, 429 pauses shared by every thread, people before background work,
and each process's share of the budget. Time is a fake monotonic clock: waits are counted,
never slept."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from tests.support.fake_slack import FakeSlack
from ticketbot.config import Settings
from ticketbot.pacing import Pacer, RateLimited, background, trigger_expires
from ticketbot.slack.client import slack_client


class Time:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def time_() -> Time:
    return Time()


def pacer(time_: Time, share: float = 1.0) -> Pacer:
    return Pacer(share, monotonic=time_.monotonic, sleep=time_.sleep)


def test_a_tier_3_method_goes_in_a_burst_then_at_its_rate(time_):
    paced = pacer(time_)
    for _ in range(10):  # Tier 3: a burst of 10
        paced.acquire("T1", "chat.update")
    assert time_.sleeps == []
    paced.acquire("T1", "chat.update")
    paced.acquire("T1", "chat.update")
    assert time_.sleeps == [1.2, 1.2]  # then 50 a minute


def test_workspaces_and_methods_have_buckets_of_their_own(time_):
    paced = pacer(time_)
    for _ in range(10):
        paced.acquire("T1", "chat.update")
    paced.acquire("T2", "chat.update")
    paced.acquire("T1", "views.open")  # Tier 4: another bucket
    assert time_.sleeps == []


def test_socket_modes_connection_is_never_held_back(time_):
    paced = pacer(time_)
    for _ in range(5):  # a connection dropped, and Slack asked the bot to move, in a minute
        assert paced.acquire("T1", "apps.connections.open", max_wait=0) == 0.0
    assert time_.sleeps == []


def test_posts_go_one_a_second_per_channel(time_):
    paced = pacer(time_)
    paced.acquire("T1", "chat.postMessage", channel="C1")
    paced.acquire("T1", "chat.postMessage", channel="C2")
    assert time_.sleeps == []
    paced.acquire("T1", "chat.postMessage", channel="C1")
    assert time_.sleeps == [1.0]


def test_background_work_leaves_the_last_tokens_to_people(time_):
    paced = pacer(time_)
    with background():
        for _ in range(8):  # Tier 3's burst of 10, less its reserve of 2
            paced.acquire("T1", "chat.update")
        assert time_.sleeps == []
        paced.acquire("T1", "chat.update")
        assert time_.sleeps == [1.2]
    waited = len(time_.sleeps)
    paced.acquire("T1", "chat.update")  # a person's update takes the reserve at once
    assert len(time_.sleeps) == waited


def test_a_429_pauses_the_method_for_every_caller(time_):
    paced = pacer(time_)
    paced.pause("T1", "chat.update", 5)
    paced.acquire("T1", "chat.update")
    assert time_.sleeps == [5.0]
    paced.acquire("T1", "views.open")  # other methods go on
    assert time_.sleeps == [5.0]


def test_each_process_takes_its_share(time_):
    paced = pacer(time_, share=0.5)  # two processes
    for _ in range(5):
        paced.acquire("T1", "chat.update")
    paced.acquire("T1", "chat.update")
    assert time_.sleeps == [2.4]
    with pytest.raises(ValueError):
        Pacer(0)


def test_a_caller_that_cannot_wait_is_told_at_once(time_):
    paced = pacer(time_)
    paced.pause("T1", "users.info", 30)
    with pytest.raises(RateLimited):
        paced.acquire("T1", "users.info", max_wait=0.0)
    assert time_.sleeps == []


def test_the_client_paces_its_calls_and_shares_429_pauses(time_):
    """Two clients of one process: the second waits out the Retry-After the first was given,
    without calling Slack meanwhile."""
    paced = pacer(time_)
    with FakeSlack() as fake:
        settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake.api_url)
        first = slack_client(settings, pacer=paced)
        second = slack_client(settings, pacer=paced)
        posted = first.chat_postMessage(channel="C1", text="v1")
        fake.fail_next("chat.update", status=429, retry_after=1)
        first.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")  # retried
        assert time_.sleeps == []
        second.chat_update(channel=posted["channel"], ts=posted["ts"], text="v3")
        # Paced by the pause (then by a bucket Slack had emptied), not by another 429.
        assert time_.sleeps[0] == 1.0 and sum(time_.sleeps) < 1.5
        assert [c.status for c in fake.calls("chat.update")] == [429, 200, 200]
        quick = slack_client(settings, pacer=paced, quick=True)
        paced.pause(quick._workspace, "users.info", 30)
        with pytest.raises(Exception, match="paced"):
            quick.users_info(user="U0REQ0001")
        assert fake.calls("users.info") == []


def test_the_seconds_waited_are_counted_for_the_metrics(time_):
    from tests.support.metrics import current

    paced = pacer(time_)
    before = current("ticketbot_slack_pacer_wait_seconds_total", method="views.update")
    for _ in range(22):  # Tier 4: a burst of 20, then one every 0.6 s
        paced.acquire("T1", "views.update")
    waited = current("ticketbot_slack_pacer_wait_seconds_total", method="views.update") - before
    assert waited == pytest.approx(1.2) and waited == pytest.approx(paced.waited)


def test_waiting_for_a_turn_leaves_the_token_to_the_call(time_):
    """A deliverer waits for its turn, then renders and calls: the call takes the token the
    wait saw, without waiting a second time."""
    paced = pacer(time_)
    for _ in range(9):
        paced.acquire("T1", "chat.update")
    assert paced.wait_turn("T1", "chat.update") == 0  # the burst's last token is still there
    assert paced.acquire("T1", "chat.update") == 0
    assert paced.wait_turn("T1", "chat.update") == pytest.approx(1.2)  # 50 a minute
    assert paced.acquire("T1", "chat.update") == 0  # the token the wait saw
    assert paced.wait_turn("T1", "chat.update") == pytest.approx(1.2)
    assert paced.wait_turn("T1", "apps.connections.open") == 0


def test_ready_counts_the_calls_that_could_go_at_once(time_):
    """What a deliverer claims in one pass: what it may send now, so that the cards it
    cannot send yet stay for the other processes' shares."""
    paced = pacer(time_, share=0.5)  # two workers: a burst of 5 chat.update each
    assert paced.ready("T1", "chat.update") == 5
    with background():
        assert paced.ready("T1", "chat.update") == 4  # the last one stays for people
    for _ in range(5):
        paced.acquire("T1", "chat.update")
    assert paced.ready("T1", "chat.update") == 0
    time_.now += 2.4  # 25 a minute
    assert paced.ready("T1", "chat.update") == 1
    paced.pause("T1", "chat.update", 10)
    assert paced.ready("T1", "chat.update") == 0


def _spend(paced: Pacer, method: str, calls: int) -> None:
    for _ in range(calls):
        paced.acquire("T1", method)


def test_a_modal_waits_for_its_turn_only_while_its_trigger_lives(time_):
    """The trigger_id of a click is honoured three seconds: `views.open` waits a turn that
    comes before, and is refused at once (no sleep) when Slack paused the method longer; a
    card update of the same request is not held to the trigger."""
    paced = pacer(time_)
    _spend(paced, "views.open", 20)  # Tier 4's burst

    def in_request():
        trigger_expires(time.monotonic() + 2.5)
        paced.acquire("T1", "views.open")  # the next token in 0.6 s
        assert time_.sleeps == [0.6]
        paced.pause("T1", "views.open", 30)
        with pytest.raises(RateLimited):
            paced.acquire("T1", "views.open")
        assert time_.sleeps == [0.6]
        paced.pause("T1", "chat.update", 30)
        paced.acquire("T1", "chat.update")
        assert time_.sleeps == [0.6, 30.0]

    contextvars.copy_context().run(in_request)
    paced.acquire("T1", "views.open")  # outside a request: no trigger to outlive
    assert time_.sleeps[-1] > 2.5


def test_a_caller_that_may_wait_a_little_counts_those_asleep_before_it():
    """One caller already sleeps until the next views.open token: the token after it is 1.2 s
    away, beyond a second's wait, so the second caller is refused at once."""
    asleep, wake = threading.Event(), threading.Event()
    now = [1000.0]

    def sleep(seconds: float) -> None:
        asleep.set()
        wake.wait(5)
        now[0] += seconds

    paced = Pacer(monotonic=lambda: now[0], sleep=sleep)
    _spend(paced, "views.open", 20)
    first = threading.Thread(target=paced.acquire, args=("T1", "views.open"))
    first.start()
    assert asleep.wait(5)
    try:
        with pytest.raises(RateLimited, match=r"1\.2 s"):
            paced.acquire("T1", "views.open", max_wait=1.0)
    finally:
        wake.set()
        first.join(5)
    assert paced.acquire("T1", "views.open", max_wait=1.0) <= 1.0  # alone again: it waits
