"""Engine and transactions: one place decides how we talk to SQLite and PostgreSQL.

A request from Slack must be answered within three seconds, whatever the database does. While
a request holds a deadline (`set_deadline()`, set by the app for the work done before the ack,
counted from when the request reached the process: `request_arrived()`), a writing
transaction waits for the write lock, and for locked rows, only until that deadline: on
SQLite through the writers' queue and the busy timeout, on PostgreSQL through `SET LOCAL
lock_timeout` and `statement_timeout`. It then fails with `DatabaseBusy` (or the driver's
timeout error), which the one error handler turns into "try again" for a person and a 503 for
an event that Slack should send again; nothing of that transaction is written."""

from __future__ import annotations

import contextvars
import os
import queue
import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone orders the processes
    fcntl = None

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ticketbot import metrics

# When the current request's database work must be done (time.monotonic()), or None.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ticketbot_database_deadline", default=None
)
# When the current request reached this process (time.monotonic()), if the server says.
_ARRIVED: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ticketbot_request_arrived", default=None
)
SQLITE_BUSY_MS = 30_000  # without a deadline: jobs and the command line wait their turn
# No transaction of ours waits longer for a row lock, on the request path or not.
LOCK_OPTION = "-c lock_timeout=2500ms"


class DatabaseBusy(SQLAlchemyError):
    """The database could not be had before the request's deadline: nothing was written."""


def dialect_insert(session: Session, model):
    """An INSERT of the session's dialect (PostgreSQL or SQLite), for ON CONFLICT clauses."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (None: no deadline)."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Database work inside the block gives up `seconds` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def request_arrived(at: float | None) -> None:
    """For the HTTP server, in a context of the request's own (see http/web.py): when the
    request reached the process, so that its time queued for a thread counts in its budget."""
    _ARRIVED.set(at)


def set_deadline(seconds: float | None) -> None:
    """For the app's middleware, in a context of the request's own (see http/web.py): the
    deadline, `seconds` after the request arrived (else from now), holds until the request
    is answered."""
    arrived = _ARRIVED.get()
    start = time.monotonic() if arrived is None else arrived
    _DEADLINE.set(None if seconds is None else start + seconds)


def _milliseconds_left() -> int | None:
    """What is left of the deadline in whole milliseconds (at least 1), None without one."""
    left = remaining()
    return None if left is None else max(int(left * 1000), 1)


DEADLINE_VARIABLE = _DEADLINE  # work run after the answer starts without it


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE below applies.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # WAL readers see the last commit without taking (or waiting for) the write lock.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that later writes fails at once with "database is locked"
        # when another writer got there first; taking the write lock up front makes it wait,
        # but no longer than the request's deadline (set on the driver's connection, so the
        # statement counts of an interaction stay what its work costs).
        left = _milliseconds_left()
        busy = SQLITE_BUSY_MS if left is None else left
        connection.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={busy}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY = "ticketbot_read_only"


def _closed_by_server(dbapi_connection) -> bool:
    """Whether the server has gone from an idle connection, seen without asking it anything.

    A connection resting in the pool has no query in flight, so the server has nothing to say
    on it: a socket that reads as ready holds the server's goodbye (a restart, a terminated
    backend, an idle timeout: its error message, then the end of the stream), or at worst a
    notice, and the connection is replaced either way. A round trip to ask (the pool's
    pre-ping, a SELECT 1 on every checkout) was one more statement on every transaction."""
    if dbapi_connection.closed:
        return True
    try:
        ready, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(ready)


def _configure_postgresql(engine: Engine) -> None:
    import psycopg
    from psycopg import pq

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, proxy) -> None:
        # Raised here, the pool drops this connection and hands out another (or a new one).
        if _closed_by_server(dbapi_connection):
            raise DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        left = _milliseconds_left()
        if left is None or connection.get_execution_options().get(READ_ONLY):
            return  # jobs, the command line and plain reads: the connection's lock_timeout
        # lock_timeout bounds each lock acquisition, and a row wanted by two requests is two
        # acquisitions (the tuple lock, then the row): statement_timeout bounds them together.
        # SET LOCAL ends with the transaction. Sent on the driver's connection, so the
        # statement counts of an interaction stay what its work costs.
        timeouts = f"SET LOCAL lock_timeout = {left}; SET LOCAL statement_timeout = {left}"
        driver = connection.connection.dbapi_connection
        if driver.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            driver.execute(timeouts)  # a transaction the driver opened already
            return
        # With the BEGIN, in one round trip: psycopg would send its BEGIN on its own first,
        # and on loopback each round trip costs both processes more CPU than these commands.
        # libpq's PQexec, which lets go of the GIL while it waits; psycopg then sees the
        # transaction open and neither begins another nor skips the COMMIT.
        result = driver.pgconn.exec_(f"BEGIN; {timeouts}".encode())
        if result.status != pq.ExecStatus.COMMAND_OK:
            message = result.error_message.decode("utf-8", "replace").strip()
            raise psycopg.OperationalError(message or "BEGIN failed")


class _Ask:
    """One thread's request for the file lock, granted or given up."""

    def __init__(self) -> None:
        self.granted = threading.Event()
        self.settled = threading.Lock()
        self.taken = False
        self.abandoned = False


class _FileLock:
    """An exclusive flock of a file beside the database, waited for no longer than a timeout.

    flock has no timeout, and polling it leaves the lock free between tries while the next
    writer sleeps (under load: a worker's writes waited up to 20 ms each for a lock nobody
    held, and the p99 of a status change on SQLite went from 62 to 370 ms). So a thread of the
    process's own waits in a blocking flock, which takes the lock the moment it is free, while
    the thread that asked waits for it until its deadline; a lock taken after its asker gave up
    is let go at once. One thread of a process asks at a time (the writers' thread lock)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._file: int | None = None
        self._asks: queue.SimpleQueue[_Ask] | None = None
        self._pid = 0
        # Asks the process's thread has not settled yet (one waiting, or one given up whose
        # flock it still waits for): while there is none, it is not in an flock.
        self._unsettled = 0
        self._counting = threading.Lock()

    def _own(self) -> tuple[int, queue.SimpleQueue[_Ask]]:
        # A forked worker must not share its parent's open file (an flock belongs to it), and
        # has none of its threads.
        if self._file is None or self._asks is None or self._pid != os.getpid():
            self._file = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._asks = queue.SimpleQueue()
            self._pid = os.getpid()
            self._unsettled = 0
            self._counting = threading.Lock()  # not one a thread of the parent held
            threading.Thread(
                target=self._take_for_askers,
                args=(self._file, self._asks),
                name="sqlite-writer-lock",
                daemon=True,
            ).start()
        return self._file, self._asks

    def _take_for_askers(self, descriptor: int, asks: queue.SimpleQueue[_Ask]) -> None:
        while True:
            ask = asks.get()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            with ask.settled:
                if ask.abandoned:
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
                else:
                    ask.taken = True
                # Counted down only once let go: a writer that saw no ask left and took the
                # lock here before that LOCK_UN would have lost it to it.
                with self._counting:
                    self._unsettled -= 1
            if ask.taken:
                ask.granted.set()

    def acquire(self, timeout: float | None) -> None:
        """`timeout` None: as long as it takes. A free lock is taken here at once, without the
        process's thread, but only while that thread has no ask left to settle: taken here
        while it still waited for an abandoned ask (on the same open file, where a second
        flock succeeds at once), it would be let go by that thread in the middle of this
        writer's transaction. Only the one asking thread of the process (the writers' thread
        lock) adds asks, so none can start between the check and the flock."""
        descriptor, asks = self._own()
        with self._counting:
            idle = self._unsettled == 0
        if idle:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return  # free: no thread handing it over (most writes under light load)
            except BlockingIOError:
                pass  # another process holds it: wait for it below
        ask = _Ask()
        with self._counting:  # before the put: the thread counts it down once settled
            self._unsettled += 1
        asks.put(ask)
        if ask.granted.wait(None if timeout is None else max(timeout, 0.0)):
            return
        with ask.settled:
            if ask.taken:
                return  # taken as the wait ended
            ask.abandoned = True
        raise DatabaseBusy("another process held the write lock too long")

    def release(self) -> None:
        fcntl.flock(self._own()[0], fcntl.LOCK_UN)


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
        path = f"{database_path}.writer" if database_path and fcntl else None
        self._file = _FileLock(path) if path else None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        left = remaining()
        if left is None:
            self._threads.acquire()
        elif left <= 0 or not self._threads.acquire(timeout=left):
            raise DatabaseBusy("the write lock was not free before the deadline")
        try:
            first = self._depth == 0
            if first and self._file:
                self._file.acquire(remaining())
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if first and self._file:
                    self._file.release()
        finally:
            self._threads.release()


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
            given = self.url.query.get("options") or ""  # the URL's own, e.g. a search_path
            options = " ".join([*([given] if isinstance(given, str) else given), LOCK_OPTION])
            self.engine = create_engine(
                self.url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                # A request must be answered in three seconds: a server that does not answer,
                # a full pool or a locked row fail in time instead.
                pool_timeout=2,
                connect_args={"connect_timeout": 2, "options": options.strip()},
            )
            _configure_postgresql(self.engine)
        metrics.watch_pool(self.engine)
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
        left = remaining()
        if left is not None and left <= 0:
            raise DatabaseBusy("the request's time for the database is spent")
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
        """Whether the database answers: a read, which on SQLite neither takes nor waits for
        the write lock."""
        try:
            with self._read_sessions() as session, session.begin():
                session.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
