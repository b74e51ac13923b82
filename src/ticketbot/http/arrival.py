"""When the request being handled on this thread reached the process, handed from the server
(http/server.py) to the app (http/web.py): a request that waited for a free thread has that
much less of Slack's three seconds left for its database work. Imports nothing, so that the
server can use it before the metrics' library is loaded."""

from __future__ import annotations

import threading

_arrival = threading.local()


def arrived(at: float | None) -> None:
    """For the server, on the thread about to handle a request: time.monotonic() when the
    request was handed over to be handled (None: unknown)."""
    _arrival.at = at


def take() -> float | None:
    """For the app: when the request on this thread arrived, once (None: unknown)."""
    at, _arrival.at = getattr(_arrival, "at", None), None
    return at
