"""The queue of work after the ack, as the metrics see it: depth while tasks wait or run, and
every "busy, try again" counted."""

from __future__ import annotations

import threading

import pytest

from tests.support.metrics import current
from ticketbot.concurrency import Busy, WorkQueue


def test_depth_and_rejections_of_the_work_queue_are_counted():
    queue = WorkQueue(workers=1, capacity=2)
    release = threading.Event()
    depth = current("ticketbot_work_queue_depth")
    rejected = current("ticketbot_work_queue_rejections_total")
    try:
        queue.submit(release.wait, 5)  # runs, holding the only worker
        queue.submit(release.wait, 5)  # waits its turn
        assert current("ticketbot_work_queue_depth") == depth + 2
        with pytest.raises(Busy):
            queue.submit(release.wait, 5)
        assert current("ticketbot_work_queue_rejections_total") == rejected + 1
        assert queue.rejected == 1
    finally:
        release.set()
        assert queue.wait_idle(5)
        queue.shutdown()
    assert current("ticketbot_work_queue_depth") == depth


def test_a_task_waiting_its_turn_takes_the_place_of_the_same_keys_next():
    queue = WorkQueue(workers=1, capacity=5)
    release, ran = threading.Event(), []
    coalesced = current("ticketbot_work_queue_coalesced_total")
    try:
        queue.submit(release.wait, 5)
        assert queue.submit_once("home:U1", ran.append, "first") is not None
        assert queue.submit_once("home:U1", ran.append, "second") is None  # left to the first
        assert queue.submit_once("home:U2", ran.append, "other") is not None
        assert queue.pending == 3
        assert current("ticketbot_work_queue_coalesced_total") == coalesced + 1
    finally:
        release.set()
        assert queue.wait_idle(5)
    assert ran == ["first", "other"]
    started, finish = threading.Event(), threading.Event()
    running = queue.submit_once("home:U1", lambda: (started.set(), finish.wait(5)))
    assert started.wait(5)
    assert queue.submit_once("home:U1", ran.append, "after") is not None  # one started: queue
    finish.set()
    assert running is not None and queue.wait_idle(5)
    assert ran == ["first", "other", "after"]
    queue.shutdown()
