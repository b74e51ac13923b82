"""Production HTTP serving: gunicorn with threaded workers, each building its own app; the
metrics alone on a port of their own for Socket Mode."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from ticketbot.config import ConfigError
from ticketbot.http.arrival import arrived

logger = logging.getLogger("ticketbot.server")


def metrics_directory() -> str | None:
    """Where the worker processes keep their metrics for GET /metrics to add up
    (prometheus_client's multiprocess mode), chosen before prometheus_client is imported.
    The operator's PROMETHEUS_MULTIPROC_DIR is used as given, emptied of a previous run's
    files; without it, a private temporary directory, returned to be removed on exit."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not given:
        created = tempfile.mkdtemp(prefix="ticketbot-metrics-")  # only we may read it
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = created
        return created
    try:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
    except OSError as error:
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR: {error}") from None
    return None


class TicketbotWorker(ThreadWorker):
    """gunicorn's threaded worker, telling the app when each request was handed to the pool:
    a request that waited there for a free thread has that much less time for the database
    before Slack's three seconds are up."""

    def enqueue_req(self, conn) -> None:
        conn.ticketbot_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn):
        arrived(getattr(conn, "ticketbot_queued_at", None))
        try:
            return super().handle(conn)
        finally:
            arrived(None)


class TicketbotServer(BaseApplication):
    """Each worker process builds its own Runtime and Bolt app after the fork, so no database
    connection or thread is shared across processes."""

    def __init__(self, load_wsgi: Callable[[], Callable], options: dict) -> None:
        self._load_wsgi = load_wsgi
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Callable:
        return self._load_wsgi()


# How long an idle kept connection stays open. Longer than the idle timeout of the client or
# proxy in front (Slack's, nginx's and load balancers' 60 s): the client closes first. A
# server that closes first races a request sent just then, which the client sees as a reset.
KEEPALIVE_SECONDS = 75


def serve(
    load_wsgi: Callable[[], Callable],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    on_worker_start: Callable[[], None] | None = None,
    on_worker_exit: Callable[[], None] | None = None,
    on_child_exit: Callable[[int], None] | None = None,
) -> None:
    """`on_worker_exit` runs in a worker as it stops; `on_child_exit(pid)` in the master once
    a worker is gone, however it ended."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": TicketbotWorker,  # gthread
        "threads": threads,
        # In-flight requests finish on SIGTERM before the worker exits.
        "graceful_timeout": 25,
        "timeout": 60,
        "keepalive": KEEPALIVE_SECONDS,
        "accesslog": None,
        "post_worker_init": (lambda worker: on_worker_start()) if on_worker_start else None,
        "worker_exit": (lambda server, worker: on_worker_exit()) if on_worker_exit else None,
        "child_exit": (lambda server, worker: on_child_exit(worker.pid)) if on_child_exit else None,
    }
    TicketbotServer(load_wsgi, options).run()


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:
        pass  # a scrape every few seconds is no news


def serve_metrics(metrics_wsgi: Callable, *, host: str, port: int) -> WSGIServer:
    """GET /metrics alone, on a thread of its own (`ticketbot socket` has no other HTTP):
    a scrape is small and rare, the standard library's server is enough. `shutdown()` it."""
    server = make_server(
        host, port, metrics_wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
