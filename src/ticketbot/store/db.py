"""Engine and transactions: one place decides how we talk to SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

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
        # SQLite has one writer at a time. Threads that find the write lock taken wait in
        # SQLite's busy handler, which sleeps 1, 2, 5 ... 100 ms between tries: under load
        # the lock sits free while they sleep, and a later change can overtake an earlier
        # one. Queueing this process's writers here wakes the next one as soon as the lock
        # is released, so only the other processes' writers still meet the busy handler.
        self._writer = threading.RLock() if self.url.get_backend_name() == "sqlite" else None

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
        with self._writer or nullcontext(), self._sessions() as session, session.begin():
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
