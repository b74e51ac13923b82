"""A burst of distinct requests, each with its own outcome, for the fault scripts.

`client.closed_loop` counts answers; here every request is kept apart (its status, or the
failure that stood for it, when it was sent, how long its answer took), because the fault
scripts compare what each request was told with what the database holds afterwards. The
requests go out on `concurrency` keep-alive connections, as fast as they are answered or on
a schedule of `rate` a second (Slack does not wait for one answer before the next request).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from loadkit.client import REQUEST_TIMEOUT, _Connection, _request


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()  # e.g. X-Slack-Retry-Num
    tag: str = ""  # what the script needs to find it again (a marker, a ticket number)


@dataclass
class Outcome:
    request: Request
    status: int | None = None  # None: no answer (connection reset, timeout)
    failure: str | None = None
    sent_at: float = 0.0  # time.monotonic() of the first byte
    seconds: float = 0.0


@dataclass
class Burst:
    outcomes: list[Outcome] = field(default_factory=list)

    def statuses(self) -> Counter[str]:
        return Counter(str(o.status) if o.status is not None else o.failure for o in self.outcomes)

    def latencies(self, keep: Callable[[Outcome], bool] = lambda o: True) -> list[float]:
        return sorted(o.seconds for o in self.outcomes if o.status is not None and keep(o))


async def _burst(
    port: int,
    secret: bytes,
    requests: Sequence[Request],
    concurrency: int,
    rate: float | None,
    after: Callable[[int], None] | None,
) -> Burst:
    result = Burst([Outcome(r) for r in requests])
    indices = iter(range(len(requests)))
    started = time.monotonic()
    answered = 0

    async def client() -> None:
        nonlocal answered
        connection = _Connection("127.0.0.1", port)
        try:
            for index in indices:
                if rate:
                    await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
                outcome = result.outcomes[index]
                request = outcome.request
                raw = _request(
                    "127.0.0.1",
                    port,
                    "/slack/events",
                    secret,
                    request.body,
                    request.content_type,
                    headers=request.headers,
                )
                outcome.sent_at = time.monotonic()
                try:
                    outcome.status = await asyncio.wait_for(
                        connection.exchange(raw), REQUEST_TIMEOUT
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                    outcome.failure = type(error).__name__
                    connection.close()
                outcome.seconds = time.monotonic() - outcome.sent_at
                answered += 1
                if after is not None:
                    after(answered)
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return result


def burst(
    port: int,
    secret: str,
    requests: Sequence[Request],
    *,
    concurrency: int = 10,
    rate: float | None = None,
    after: Callable[[int], None] | None = None,
) -> Burst:
    """Send every request once; `after(n)` runs when the n-th answer (or failure) is in."""
    return asyncio.run(_burst(port, secret.encode(), requests, concurrency, rate, after))


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank of sorted seconds, in milliseconds (0 when there are none)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1] * 1000
