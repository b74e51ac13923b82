"""Engine and transactions: one place decides how we talk to SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone orders the processes
    fcntl = None

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE below applies.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # WAL readers see the last commit without taking (or waiting for) the write lock.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that later writes fails at once with "database is locked"
        # when another writer got there first; taking the write lock up front makes it wait.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY = "ticketbot_read_only"


class _SqliteWriters:
    """One writer at a time on a SQLite file, queued rather than polling.

    SQLite has one writer at a time. Writers that find the write lock taken wait in SQLite's
    busy handler, which sleeps 1, 2, 5 ... 100 ms between tries: under load the lock sits
    free while they sleep, and a later change can overtake an earlier one. Here the threads
    of a process queue on a lock, and the processes (gunicorn workers, the scheduler) on an
    flock of a file beside the database, so the next writer wakes as soon as one is done."""

    def __init__(self, database_path: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # nested transactions of the thread holding the lock
        self._path = f"{database_path}.writer" if database_path and fcntl else None
        self._file: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        # A forked worker must not share its parent's open file: an flock belongs to it.
        if self._file is None or self._pid != os.getpid():
            self._file = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._file

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._threads:
            first = self._depth == 0
            if first and self._path:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if first and self._path:
                    fcntl.flock(self._descriptor(), fcntl.LOCK_UN)


class Database:
    """The engine, its sessions, and the one transaction helper every caller uses."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite":
            self.engine = create_engine(
                self.url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": 30},
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                self.url,
                echo=echo,
                pool_pre_ping=True,  # a restarted server leaves dead connections in the pool
                pool_size=pool_size,
                max_overflow=pool_size,
            )
        # Copied into every new session's `info`: how request-wide collaborators (the
        # webhook outbox, see services/webhooks.py) reach services without a parameter.
        self.session_info: dict[str, object] = {}
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            info=self.session_info,
        )
        self._writer = None
        if self.url.get_backend_name() == "sqlite":
            path = self.url.database
            self._writer = _SqliteWriters(path if path and path != ":memory:" else None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        `read_only=True` for blocks that only read: on SQLite they then neither wait for nor
        hold the write lock. Such a block must not write: a deferred transaction that starts
        writing while another holds the lock fails at once with "database is locked"."""
        if read_only:
            with self._read_sessions() as session, session.begin():
                yield session
            return
        writing = self._writer() if self._writer else nullcontext()
        with writing, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A session whose work is always rolled back: for looking without touching."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
