"""Thread pools for the work that follows an answer to Slack.

A request is answered (acked) on its own thread; what it starts after that (opening a modal,
updating a card, a direct message) runs here, in a copy of the request's context variables
(the language it is answered in), on a bounded queue: when the queue is full, `submit` says
so at once (`Busy`) instead of letting memory grow with a burst."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ticketbot import metrics


class Busy(Exception):
    """The queue of work after the ack is full: the person should try again in a moment."""


class ContextExecutor(ThreadPoolExecutor):
    """Tasks run in a copy of the submitting thread's context, so what a middleware chose for
    the request (the language it is answered in) still holds on the pool's thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class WorkQueue:
    """`workers` threads and room for `capacity` tasks waiting or running.

    `forget`: context variables that belong to the request only (its database deadline):
    tasks start with them unset."""

    def __init__(
        self,
        *,
        workers: int,
        capacity: int,
        name: str = "after-ack",
        forget: Iterable[contextvars.ContextVar] = (),
    ) -> None:
        self.capacity = capacity
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._forget = tuple(forget)
        self._state = threading.Condition()
        self._pending = 0
        self._keys: set[object] = set()  # of `submit_once` tasks not started yet
        self.rejected = 0

    @property
    def pending(self) -> int:
        with self._state:
            return self._pending

    def full(self) -> bool:
        with self._state:
            return self._pending >= self.capacity

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._submit(None, fn, args, kwargs)  # type: ignore[return-value]

    def submit_once(self, key: object, fn: Callable[..., Any], /, *args: Any, **kwargs: Any):
        """`submit`, unless a task of the same `key` waits its turn: that one, not started yet,
        will do what this one would (a refresh rendered when it runs), and None is returned.
        Once a task has started, the next of its key queues again: it may show more."""
        return self._submit(key, fn, args, kwargs)

    def _submit(self, key: object, fn: Callable[..., Any], args: tuple, kwargs: dict):
        with self._state:
            if key is not None and key in self._keys:
                metrics.WORK_QUEUE_COALESCED.inc()
                return None
            if self._pending >= self.capacity:
                self.rejected += 1
                metrics.WORK_QUEUE_REJECTIONS.inc()
                raise Busy(f"{self._pending} tasks already wait")
            self._pending += 1
            metrics.WORK_QUEUE_DEPTH.inc()
            if key is not None:
                self._keys.add(key)
        context = contextvars.copy_context()
        try:
            future = self._pool.submit(context.run, self._run, key, fn, args, kwargs)
        except RuntimeError:  # shut down
            with self._state:
                self._keys.discard(key)
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _run(self, key: object, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        if key is not None:
            with self._state:
                self._keys.discard(key)
        for variable in self._forget:
            variable.set(None)
        return fn(*args, **kwargs)

    def _done(self, _future: Future | None) -> None:
        with self._state:
            self._pending -= 1
            metrics.WORK_QUEUE_DEPTH.dec()
            self._state.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing waits or runs (tests; shutdown)."""
        with self._state:
            return self._state.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
