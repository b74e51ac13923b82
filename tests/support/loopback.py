"""A server of the test harness, running on a thread of its own on 127.0.0.1."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self


class LoopbackServer:
    """`start()`/`stop()`, or `with Server() as server:`. Subclasses build the server in
    `_make_server()`; anything with `serve_forever()` and `shutdown()` will do."""

    # How often a socketserver looks for shutdown (its default, 0.5 s, is each test's wait).
    poll_interval: float | None = 0.05

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> Any:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = self._make_server()
        options = {} if self.poll_interval is None else {"poll_interval": self.poll_interval}
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs=options, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            close = getattr(self._server, "server_close", None)
            if close is not None:
                close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _started(self) -> Any:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server
