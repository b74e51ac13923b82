"""The fake Slack Web API in a process of its own.

FakeSlack checks every message and view it receives against Block Kit's rules. That costs
CPU, and in the load generator's interpreter it would be paid under the same GIL as the
timing of the requests; in a process of its own it only competes for the cores, as a real
network peer would not at all. The parent talks to it over a pipe: counts of calls per
method, a stored message, stop.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from typing import Any

from tests.support import blockkit
from tests.support.fake_slack import FakeSlack, _Answer

KEEP_ERRORS = 20
MAX_VERDICTS = 50_000
KEEP_VIEWS = 2000  # a long run opens a modal per request: keep the fake's memory bounded


class CountingFake(FakeSlack):
    """Counts calls per method instead of keeping every payload of a long run."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.dropped_errors = 0

    def _finish(self, method, args, path, answer, *, status=200, headers=None):
        # The base class also keeps a deep copy of every call for tests to inspect; here
        # only counts are read, and that copy was a tenth of the fake's CPU.
        with self._lock:
            self.counts[method] += 1
            if status != 200 or not answer.get("ok"):
                self.failures[method] += 1
            if len(self.views) > KEEP_VIEWS:
                for view_id in list(self.views)[: KEEP_VIEWS // 2]:
                    del self.views[view_id]
            if len(self.errors) > KEEP_ERRORS:  # the first ones stay readable in report()
                self.dropped_errors += len(self.errors) - KEEP_ERRORS
                del self.errors[KEEP_ERRORS:]
        body = json.dumps(answer).encode("utf-8")
        return _Answer(
            status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        )

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.counts),
                "failures": dict(self.failures),
                "rejected": self.dropped_errors + len(self.errors),
                "errors": list(self.errors[:5]),
            }


def _remember_sdk_verdicts() -> None:
    """Validate each distinct block once.

    Most of the fake's CPU goes to slack_sdk parsing every block back and forth, and under
    load the same blocks come again and again (the same card, the same modal). A block's
    verdict depends only on its JSON, so it is kept: every distinct block is still checked,
    the cheap hand-written checks still run on every payload."""
    check = blockkit._Checker.sdk_round_trip
    verdicts: dict[tuple[str, str, str], list] = {}

    def remembered(self, block, path):
        key = (self.code, path, json.dumps(block, sort_keys=True))
        found = verdicts.get(key)
        if found is None:
            before = len(self.problems)
            check(self, block, path)
            found = verdicts[key] = self.problems[before:]
            if len(verdicts) > MAX_VERDICTS:
                verdicts.clear()
        else:
            self.problems.extend(found)

    blockkit._Checker.sdk_round_trip = remembered


def _serve(connection, usergroups: dict[str, list[str]], nice: int) -> None:
    # Slack's servers do their work on other machines. On the two cores shared with the app,
    # the fake yields to the process under test instead of taking CPU on equal terms.
    os.nice(nice)
    _remember_sdk_verdicts()
    fake = CountingFake()
    fake.usergroups.update(usergroups)
    fake.start()
    connection.send(fake.base_url)
    try:
        while True:
            command, args = connection.recv()
            if command == "stop":
                break
            if command == "report":
                connection.send(fake.report())
            elif command == "message":
                connection.send(fake.message(*args))
    finally:
        fake.stop()
        connection.close()


class FakeSlackProcess:
    """`with FakeSlackProcess(usergroups) as fake:` then `fake.api_url`, `fake.report()`."""

    def __init__(self, usergroups: dict[str, list[str]] | None = None, nice: int = 10) -> None:
        self._usergroups = usergroups or {}
        self._nice = nice
        self._connection = None
        self._process = None
        self.base_url = ""

    def __enter__(self) -> FakeSlackProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, self._usergroups, self._nice),
            name="fake-slack",
            daemon=True,
        )
        self._process.start()
        self._connection = parent
        if not parent.poll(30):
            raise RuntimeError("the fake Slack did not start within 30 s")
        self.base_url = parent.recv()
        return self

    def __exit__(self, *exc) -> None:
        if self._connection is not None:
            self._connection.send(("stop", ()))
        if self._process is not None:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}response/{name}"

    def _ask(self, command: str, *args: Any) -> Any:
        self._connection.send((command, args))
        return self._connection.recv()

    def report(self) -> dict[str, Any]:
        return self._ask("report")

    def calls(self, method: str) -> int:
        return self.report()["calls"].get(method, 0)

    def message(self, channel: str, ts: str) -> dict:
        return self._ask("message", channel, ts)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None
