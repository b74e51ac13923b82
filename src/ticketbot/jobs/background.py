"""Work that a request starts early instead of waiting for the next scheduled pass.

`kick()` never blocks the request: it asks for a pass on a thread of the job's own, which
runs passes until one finds nothing more to do and no kick came meanwhile. Best effort: what
it misses (a crash, a full Slack), the scheduled pass does."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ticketbot import metrics

logger = logging.getLogger("ticketbot.jobs")


class Nudged:
    """`work()` is one pass; it returns True when another pass may find more to do."""

    def __init__(self, name: str, work: Callable[[], bool]) -> None:
        self._name, self._work = name, work
        self._state = threading.Condition()
        self._wanted = False
        self._running = False
        self._stopped = False

    def kick(self) -> None:
        with self._state:
            if self._stopped:
                return
            self._wanted = True
            if self._running:
                return  # the running thread passes again before it stops
            self._running = True
        threading.Thread(target=self._loop, name=self._name, daemon=True).start()

    def _loop(self) -> None:
        more = False
        while True:
            with self._state:
                if not (self._wanted or more) or self._stopped:
                    self._running = False
                    self._state.notify_all()
                    return
                self._wanted = False
            try:
                with metrics.busy(self._name):
                    more = self._work()
            except Exception:
                logger.exception("%s pass failed; the scheduled pass retries", self._name)
                more = False

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once no pass runs or is wanted (tests, and shutdown)."""
        with self._state:
            return self._state.wait_for(lambda: not self._running, timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """No more passes; waits for the running one."""
        with self._state:
            self._stopped = True
        return self.wait_idle(timeout)
