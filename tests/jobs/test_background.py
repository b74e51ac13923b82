"""Work woken by changes (the card deliverer, the webhook dispatcher) shows when it is busy."""

from __future__ import annotations

import threading

from tests.support.metrics import current
from ticketbot.jobs.background import Nudged


def test_a_running_pass_shows_as_busy_and_its_time_is_counted():
    entered, release = threading.Event(), threading.Event()

    def work() -> bool:
        entered.set()
        release.wait(5)
        return False

    nudged = Nudged("metrics-test", work)
    busy_seconds = current("ticketbot_background_busy_seconds_total", job="metrics-test")
    nudged.kick()
    assert entered.wait(5)
    assert current("ticketbot_background_busy", job="metrics-test") == 1
    release.set()
    assert nudged.wait_idle(5)
    assert current("ticketbot_background_busy", job="metrics-test") == 0
    assert current("ticketbot_background_busy_seconds_total", job="metrics-test") > busy_seconds
