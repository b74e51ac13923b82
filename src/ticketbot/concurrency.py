"""Thread pools that carry the caller's context variables into their tasks."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor


class ContextExecutor(ThreadPoolExecutor):
    """Bolt runs each listener on a pool thread after the ack. Tasks run here in a copy of the
    submitting thread's context, so what a middleware chose for the request (the language it
    is answered in) still holds on that thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
