"""Production HTTP serving: gunicorn with threaded workers, each building its own app."""

from __future__ import annotations

import logging
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

logger = logging.getLogger("ticketbot.server")


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


def serve(
    load_wsgi: Callable[[], Callable],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    on_worker_start: Callable[[], None] | None = None,
    on_worker_exit: Callable[[], None] | None = None,
) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # In-flight requests finish on SIGTERM before the worker exits.
        "graceful_timeout": 25,
        "timeout": 60,
        "accesslog": None,
        "post_worker_init": (lambda worker: on_worker_start()) if on_worker_start else None,
        "worker_exit": (lambda server, worker: on_worker_exit()) if on_worker_exit else None,
    }
    TicketbotServer(load_wsgi, options).run()
