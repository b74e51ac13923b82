"""Database trouble made from outside the app, for `faults.py`.

- `SqliteWriteLock`: another process takes SQLite's write lock (`BEGIN IMMEDIATE`) and keeps
  it, as a long `ticketbot backup`, a migration or an operator's `sqlite3` shell would.
- `PostgresOutage`: PostgreSQL refuses the app's connections and ends the ones it has, as a
  restart or failover does: `ALTER ROLE ... CONNECTION LIMIT 0` on the run's own role (see
  `targets.database(own_role=True)`), then `pg_terminate_backend` on its backends. Only that
  role is refused: the server and its other users carry on. (`pg_ctl stop` would do the
  same to everyone on the shared server.)
- `PostgresRowLocks`: another session holds every ticket row `FOR UPDATE`.

Each is a context manager; `hold(outage, after, seconds)` runs one in a thread, so that it
starts and ends while a burst is being sent."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from contextlib import AbstractContextManager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loadkit.targets import POSTGRES, end_sessions

_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    connection.execute("BEGIN IMMEDIATE")
    print("held", flush=True)
    sys.stdin.readline()  # until the parent says so
    connection.execute("ROLLBACK")
    """
)


class SqliteWriteLock(AbstractContextManager):
    """Another process holds the write lock of the SQLite file at `url` inside the block."""

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> SqliteWriteLock:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "held":  # waits for the lock itself
            raise RuntimeError("the lock holder did not get SQLite's write lock")
        return self

    def __exit__(self, *exc) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write("\n")
        self._process.stdin.close()
        self._process.wait(timeout=30)


class PostgresOutage(AbstractContextManager):
    """PostgreSQL refuses and ends every connection of the app's own role inside the block."""

    def __init__(self, url: str, admin_url: str = POSTGRES) -> None:
        self.role = make_url(url).username
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.ended = 0

    def __enter__(self) -> PostgresOutage:
        with self._admin.connect() as connection:
            connection.execute(text(f'ALTER ROLE "{self.role}" CONNECTION LIMIT 0'))
            self.ended = end_sessions(connection, self.role)
        return self

    def __exit__(self, *exc) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'ALTER ROLE "{self.role}" CONNECTION LIMIT -1'))
        self._admin.dispose()


class PostgresRowLocks(AbstractContextManager):
    """Another session holds every row of `tickets` FOR UPDATE inside the block."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)
        self._connection = None

    def __enter__(self) -> PostgresRowLocks:
        self._connection = self._engine.connect()
        self._connection.execute(text("SELECT id FROM tickets FOR UPDATE")).all()
        return self

    def __exit__(self, *exc) -> None:
        assert self._connection is not None
        self._connection.rollback()
        self._connection.close()
        self._engine.dispose()


class Held:
    """When the outage really started and ended (time.monotonic()), once the thread is done."""

    def __init__(self) -> None:
        self.began = self.ended = 0.0
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def join(self) -> Held:
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self

    def during(self, moment: float) -> bool:
        return self.began <= moment <= self.ended


def hold(outage: AbstractContextManager, *, after: float, seconds: float) -> Held:
    """Start `outage` `after` s from now, in a thread, and end it `seconds` later."""
    held = Held()

    def run() -> None:
        time.sleep(after)
        try:
            with outage:
                held.began = time.monotonic()
                time.sleep(seconds)
                held.ended = time.monotonic()
        except BaseException as error:  # shown by join() in the main thread
            held.error = error

    held.thread = threading.Thread(target=run, name="outage", daemon=True)
    held.thread.start()
    return held
