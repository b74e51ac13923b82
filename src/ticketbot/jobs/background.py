"""Work that a request starts early instead of waiting for the next scheduled pass.

`kick()` never blocks the request: it asks for a pass on a thread of the job's own, which
runs passes until one finds nothing more to do and no kick came meanwhile. Best effort: what
it misses (a crash, a full Slack), the scheduled pass does."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ticketbot import metrics
from ticketbot.store.db import DatabaseBusy

logger = logging.getLogger("ticketbot.jobs")
# What a database that is down, restarting, refusing us or locked raises: not a bug.
OUTAGES = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, DatabaseBusy)


class OutageLog:
    """A database outage told once, as requests tell theirs: one WARNING line when a pass
    first fails for it and one INFO line when a pass gets through again, whichever passes
    and however many times they try meanwhile. Any other error is a bug: logged with its
    traceback, every time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False

    def failed(self, name: str, error: Exception, then: str) -> None:
        if not isinstance(error, OUTAGES):
            logger.error("%s pass failed; %s", name, then, exc_info=error)
            return
        with self._lock:
            first, self._down = not self._down, True
        if first:
            logger.warning(
                "database unavailable for the %s pass (%s); %s",
                name,
                error.__class__.__name__,
                then,
            )

    def passed(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            logger.info("database answers the scheduled work again")


# One per process: its passes all talk to the one database.
database_outage = OutageLog()


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
            except Exception as error:
                database_outage.failed(self._name, error, "the scheduled pass retries")
                more = False
            else:
                database_outage.passed()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once no pass runs or is wanted (tests, and shutdown)."""
        with self._state:
            return self._state.wait_for(lambda: not self._running, timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """No more passes; waits for the running one."""
        with self._state:
            self._stopped = True
        return self.wait_idle(timeout)
