"""A closed-loop HTTP/1.1 load generator on asyncio, cheap enough to share two cores.

Each of `concurrency` clients keeps one keep-alive connection to 127.0.0.1 and sends its next
request as soon as the previous answer arrives. Latency is from the first byte written to the
last byte of the answer read: what Slack waits for before its 3-second deadline. A run stops
by itself after `duration` seconds or `count` requests, whichever comes first.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from loadkit.payloads import Template

REQUEST_TIMEOUT = 10.0
# One sequence for the whole process: event ids and message ts stay unique from run to run.
_SEQUENCE = itertools.count(1)
SLACK_AGENT = b"Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass
class RunStats:
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # timeouts, resets
    started: float = 0.0
    finished: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + sum(self.failures.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def elapsed(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile(self, p: float) -> float:
        """Nearest rank, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000


def _sign(secret: bytes, timestamp: bytes, body: bytes) -> bytes:
    mac = hmac.new(secret, b"v0:" + timestamp + b":" + body, hashlib.sha256)
    return b"v0=" + mac.hexdigest().encode()


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            await self.reader.read()  # no length: the body ends with the connection
            close = True
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _request(
    host: str,
    port: int,
    path: str,
    secret: bytes,
    body: bytes,
    ctype: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    timestamp = str(int(time.time())).encode()
    head = [
        b"POST " + path.encode() + b" HTTP/1.1",
        b"Host: " + f"{host}:{port}".encode(),
        b"User-Agent: " + SLACK_AGENT,
        b"Content-Type: " + ctype.encode(),
        b"Content-Length: " + str(len(body)).encode(),
        b"X-Slack-Request-Timestamp: " + timestamp,
        b"X-Slack-Signature: " + _sign(secret, timestamp, body),
        *(f"{name}: {value}".encode() for name, value in headers),
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def _closed_loop(
    port: int,
    secret: bytes,
    pick: Callable[[int, int], Template],
    concurrency: int,
    duration: float,
    count: int | None,
    path: str,
) -> RunStats:
    stats = RunStats()
    budget = itertools.count(1)
    stats.started = time.perf_counter()
    deadline = stats.started + duration

    async def client(number: int) -> None:
        connection = _Connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline and (count is None or next(budget) <= count):
                seq = next(_SEQUENCE)
                template = pick(number, seq)
                body = template.render(seq)
                request = _request("127.0.0.1", port, path, secret, body, template.content_type)
                began = time.perf_counter()
                try:
                    status = await asyncio.wait_for(connection.exchange(request), REQUEST_TIMEOUT)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                    stats.failures[type(error).__name__] += 1
                    connection.close()
                    continue
                stats.latencies.append(time.perf_counter() - began)
                stats.statuses[status] += 1
        finally:
            connection.close()

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    stats.finished = time.perf_counter()
    return stats


def closed_loop(
    port: int,
    secret: str,
    pick: Callable[[int, int], Template],
    *,
    concurrency: int,
    duration: float,
    count: int | None = None,
    path: str = "/slack/events",
) -> RunStats:
    """`pick(client, seq)` chooses the request each client sends next."""
    return asyncio.run(
        _closed_loop(port, secret.encode(), pick, concurrency, duration, count, path)
    )
