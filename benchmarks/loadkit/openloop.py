"""An open-loop load: requests arrive on a fixed schedule, whatever the answers do.

A closed loop (client.py) sends its next request when the previous answer is in, so a slow
server is sent less and its slowness hides (coordinated omission). Slack does not wait: at
50 interactions a second, the next one comes 20 ms after the last however long that one
takes. Here every request has its arrival time, goes out on an idle keep-alive connection
(a new one when all are busy, as Slack opens more), and its latency counts from its arrival
time, so a request that had to wait for a connection or for the generator counts that too.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from loadkit.burst import Request
from loadkit.client import REQUEST_TIMEOUT, _Connection, _request


@dataclass
class Arrival:
    request: Request
    at: float  # seconds after the start it was due
    status: int | None = None  # None: no answer (reset, timeout)
    failure: str | None = None
    seconds: float = 0.0  # from when it was due to the last byte of its answer
    late: float = 0.0  # how late the generator sent it (its own lag, in `seconds` too)


@dataclass
class OpenLoop:
    arrivals: list[Arrival] = field(default_factory=list)
    connections: int = 0  # opened by the generator

    def statuses(self) -> Counter[str]:
        return Counter(str(a.status) if a.status is not None else a.failure for a in self.arrivals)

    def latencies(self, tag: str | None = None) -> list[float]:
        return sorted(
            a.seconds
            for a in self.arrivals
            if a.status is not None and (tag is None or a.request.tag == tag)
        )


async def _run(port: int, secret: bytes, requests: Sequence[Request], rate: float) -> OpenLoop:
    result = OpenLoop([Arrival(r, index / rate) for index, r in enumerate(requests)])
    idle: list[_Connection] = []
    started = time.monotonic()

    async def one(arrival: Arrival) -> None:
        connection = idle.pop() if idle else None
        if connection is None:
            connection = _Connection("127.0.0.1", port)
            result.connections += 1
        request = arrival.request
        raw = _request(
            "127.0.0.1",
            port,
            "/slack/events",
            secret,
            request.body,
            request.content_type,
            headers=request.headers,
        )
        arrival.late = time.monotonic() - started - arrival.at
        try:
            arrival.status = await asyncio.wait_for(connection.exchange(raw), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            arrival.failure = type(error).__name__
            connection.close()
        arrival.seconds = time.monotonic() - started - arrival.at
        if connection.writer is not None:
            idle.append(connection)

    tasks = []
    for arrival in result.arrivals:
        delay = started + arrival.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(arrival)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return result


def open_loop(port: int, secret: str, requests: Sequence[Request], *, rate: float) -> OpenLoop:
    """Send `requests` in order, one every 1/`rate` seconds, each as it falls due."""
    return asyncio.run(_run(port, secret.encode(), requests, rate))
