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
import sys
import threading
import time
from collections import Counter, deque
from typing import Any

from tests.support import blockkit
from tests.support.fake_slack import FakeSlack, _Answer

KEEP_ERRORS = 20
MAX_VERDICTS = 50_000
KEEP_VIEWS = 2000  # a long run opens a modal per request: keep the fake's memory bounded
KEEP_RESPONSES = 50_000  # response_url names whose posts are kept for `told()`


class CountingFake(FakeSlack):
    """Counts calls per method instead of keeping every payload of a long run."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.dropped_errors = 0
        self.responses: dict[str, list[str]] = {}  # response_url name -> bodies posted
        self.clock_offset = 0.0
        self._last_ts = 0.0
        self._late: dict[str, deque[float]] = {}
        self.faults_met: Counter[str] = Counter()  # planned faults that calls ran into
        self._answer_after = threading.local()

    def _make_server(self):
        server = super()._make_server()
        report = server.handle_error

        def handle_error(request, client_address) -> None:
            # A worker killed on purpose resets its kept connections: not worth a traceback.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                report(request, client_address)

        server.handle_error = handle_error
        return server

    def next_ts(self) -> str:
        # Slack's ts is when it stored the message; the base class counts from a fixed epoch.
        self._last_ts = max(time.time() + self.clock_offset, self._last_ts + 0.0001)
        return f"{self._last_ts:.6f}"

    def plan(self, method: str, outcomes: list[tuple[float, bool, float]]) -> None:
        """The next calls of `method`, one (delay, drop, late) each: wait `delay` s before doing
        it (the harness's `fail_next(delay=...)`), do it but never answer (`drop`), or do it
        and answer `late` s later. (0, False, 0) is a call answered as usual."""
        with self._lock:
            for delay, drop, late in outcomes:
                self.fail_next(method, status=200, delay=delay, drop=drop)
                self._late.setdefault(method, deque()).append(late)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._late.clear()

    def _take_fault(self, method, args):
        # Taken with the harness's fault of the same call, under the same lock: the two
        # queues stay in step whatever the order of concurrent calls.
        with self._lock:
            fault = super()._take_fault(method, args)
            late = self._late.get(method)
            after = self._answer_after.seconds = late.popleft() if fault is not None and late else 0
            if fault is not None and fault.drop:
                self.faults_met[f"{method}: answer lost"] += 1
            elif after:
                self.faults_met[f"{method}: answered {after:g} s late"] += 1
            elif fault is not None and fault.delay:
                self.faults_met[f"{method}: done {fault.delay:g} s late"] += 1
            return fault

    def _answer(self, verb, raw_path, headers, body):
        self._answer_after.seconds = 0.0
        answer = super()._answer(verb, raw_path, headers, body)
        if self._answer_after.seconds:
            time.sleep(self._answer_after.seconds)  # done already; the answer comes late
        return answer

    def _finish(self, method, args, path, answer, *, status=200, headers=None, team=None):
        # The base class also keeps a deep copy of every call for tests to inspect; here
        # only counts are read, and that copy was a tenth of the fake's CPU.
        with self._lock:
            self.counts[method] += 1
            if method == "response_url" and len(self.responses) < KEEP_RESPONSES:
                name = path.removeprefix("/response/")
                self.responses.setdefault(name, []).append(json.dumps(args)[:4000])
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
                "faults": dict(self.faults_met),
            }

    def posted(self, channel: str | None, everything: bool = False) -> list[dict[str, Any]]:
        """Every message posted with metadata (or any: `everything`) to `channel`, or anywhere."""
        with self._lock:
            return [
                {"channel": c, "ts": ts, "metadata": m.get("metadata"), "text": m.get("text", "")}
                for (c, ts), m in self.messages.items()
                if (everything or m.get("metadata")) and (channel is None or c == channel)
            ]

    def latest_view(self, callback_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = [v for v in self.views.values() if v.get("callback_id") == callback_id]
            return json.loads(json.dumps(found[-1])) if found else None

    def told(self, names: list[str]) -> dict[str, list[str]]:
        with self._lock:
            return {name: list(self.responses.get(name, [])) for name in names}


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


def _serve(connection, usergroups: dict[str, list[str]], nice: int, tiers: bool) -> None:
    # Slack's servers do their work on other machines. On the two cores shared with the app,
    # the fake yields to the process under test instead of taking CPU on equal terms.
    os.nice(nice)
    _remember_sdk_verdicts()
    if tiers:
        from loadkit.tiers import TieredFake

        fake: CountingFake = TieredFake()
    else:
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
            elif command in ("posted", "latest_view", "told", "tier_report", "messages_of"):
                connection.send(getattr(fake, command)(*args))
            elif command == "fail_next":
                method, options = args
                fake.fail_next(method, **options)
                connection.send(None)
            elif command == "plan":
                fake.plan(*args)
                connection.send(None)
            elif command == "clear_faults":
                fake.clear_faults()
                connection.send(None)
            elif command in ("enforce", "start_window"):
                getattr(fake, command)(*args)
                connection.send(None)
            elif command == "clock_offset":
                fake.clock_offset = args[0]
                connection.send(None)
    finally:
        fake.stop()
        connection.close()


class FakeSlackProcess:
    """`with FakeSlackProcess(usergroups) as fake:` then `fake.api_url`, `fake.report()`.

    `tiers`: the fake enforces Slack's rate-limit tiers once told to (`enforce(True)`), see
    loadkit/tiers.py."""

    def __init__(
        self,
        usergroups: dict[str, list[str]] | None = None,
        nice: int = 10,
        *,
        tiers: bool = False,
    ) -> None:
        self._usergroups = usergroups or {}
        self._nice = nice
        self._tiers = tiers
        self._connection = None
        self._process = None
        self.base_url = ""

    def __enter__(self) -> FakeSlackProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, self._usergroups, self._nice, self._tiers),
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

    def posted(self, channel: str | None = None, everything: bool = False) -> list[dict]:
        """Messages posted with metadata (or all): [{"channel", "ts", "metadata", "text"}]."""
        return self._ask("posted", channel, everything)

    def latest_view(self, callback_id: str) -> dict | None:
        """The last view opened, pushed, updated or published with this callback_id."""
        return self._ask("latest_view", callback_id)

    def told(self, names: list[str]) -> dict[str, list[str]]:
        """What was posted to each of these response_url names (JSON bodies)."""
        return self._ask("told", list(names))

    def fail_next(self, method: str, **options: Any) -> None:
        """The harness's FakeSlack.fail_next, in the fake's process."""
        self._ask("fail_next", method, options)

    def plan(self, method: str, outcomes: list[tuple[float, bool, float]]) -> None:
        """The next calls of `method`, one (delay, drop, late) each: see CountingFake.plan."""
        self._ask("plan", method, [tuple(o) for o in outcomes])

    def clear_faults(self) -> None:
        """Forget the faults planned and not yet met."""
        self._ask("clear_faults")

    def clock_offset(self, seconds: float) -> None:
        """Message ts from now on are the wall clock plus `seconds`."""
        self._ask("clock_offset", seconds)

    def enforce(self, on: bool = True) -> None:
        """Slack's rate limits on (each with its whole burst) or off (tiers=True only)."""
        self._ask("enforce", on)

    def start_window(self) -> None:
        """Zero the counts of tier_report()."""
        self._ask("start_window")

    def tier_report(self) -> dict[str, Any]:
        """{"api_calls", "limited" (429s): per method; "connections" opened; "asked_close"}."""
        return self._ask("tier_report")

    def messages_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """{(channel, ts): {"text", "blocks"}} as each message shows now."""
        return self._ask("messages_of", [tuple(k) for k in keys])

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None
