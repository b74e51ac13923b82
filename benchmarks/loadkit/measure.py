"""One measurement: warm up, drive a closed loop, then wait until the work after the ack is
done, so throughput counts finished interactions and not just acknowledgements."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from loadkit.client import RunStats, closed_loop
from loadkit.payloads import Interaction
from loadkit.targets import (
    SIGNING_SECRET,
    Counts,
    Server,
    cpu_seconds,
    machine_cpu,
    postgres_pids,
)

EFFECT_TIMEOUT = 120.0


@dataclass
class Result:
    target: str  # "bare", "sqlite" or "postgresql"
    interaction: str
    concurrency: int
    requests: int
    answered_200: int
    ack_rps: float  # answers per second during the load
    done_rps: float  # interactions whose work (card update, modal, comment...) was done, per s
    p50: float
    p95: float
    p99: float
    max: float
    seconds: float
    problems: list[str] = field(default_factory=list)
    writes: int | None = None  # history lines written (status changes)
    # CPU milliseconds per answered request, by process group: where the two cores went.
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _effects(fake, counts: Counts | None, effect: str | None) -> Callable[[], int] | None:
    if effect is None:
        return None
    if effect == "comments":
        assert counts is not None
        return counts.comments
    if effect == "history":
        assert counts is not None
        return counts.history
    return lambda: fake.calls(effect)


def _wait(read: Callable[[], int], target: int) -> tuple[float, int]:
    """When the effect count reached `target` (perf_counter time), and the count then."""
    deadline = time.perf_counter() + EFFECT_TIMEOUT
    while True:
        now = time.perf_counter()
        seen = read()
        if seen >= target or now > deadline:
            return now, seen
        time.sleep(0.01)


def run(
    server: Server,
    interaction: Interaction,
    concurrency: int,
    *,
    target: str,
    fake,
    counts: Counts | None,
    warmup: float,
    duration: float,
    count: int | None = None,
    postgres_application: str | None = None,
) -> Result:
    bare = target == "bare"
    read = None if bare else _effects(fake, counts, interaction.effect)
    pick = interaction.picker(concurrency)

    def load(seconds: float, limit: int | None = None) -> tuple[RunStats, float, list[str]]:
        before = read() if read else 0
        rejected_before = fake.report()["rejected"]
        stats = closed_loop(
            server.port,
            SIGNING_SECRET,
            pick,
            concurrency=concurrency,
            duration=seconds,
            count=limit,
        )
        problems = []
        done = stats.finished
        if read is not None:
            done, seen = _wait(read, before + stats.ok)
            if seen < before + stats.ok:
                problems.append(
                    f"only {seen - before} of {stats.ok} {interaction.effect} seen "
                    f"after {EFFECT_TIMEOUT:.0f} s"
                )
        rejected = fake.report()["rejected"] - rejected_before
        if rejected:
            problems.append(f"fake Slack rejected {rejected} payload(s)")
        if stats.ok != stats.sent:
            other = {**{str(k): v for k, v in stats.statuses.items() if k != 200}}
            problems.append(f"not 200: {dict(other, **stats.failures)}")
        return stats, done, problems

    if warmup:
        load(warmup)
    history_before = counts.history() if counts is not None else 0
    groups = {
        "server": [server.pid, *server.workers()],
        "fake": [fake.pid],
        "load": [os.getpid()],
        "postgres": postgres_pids(postgres_application) if postgres_application else [],
    }
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    busy_before, total_before = machine_cpu()
    stats, done, problems = load(duration, count)
    busy, total = machine_cpu()
    used = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
    per_request = 1000 / max(stats.ok, 1)
    cpu = {name: seconds * per_request for name, seconds in used.items()}
    # Whatever else ran on the machine meanwhile (other test suites...), in cores.
    wall = max((total - total_before) / (os.cpu_count() or 1), 1e-9)
    background = max(0.0, (busy - busy_before) - sum(used.values()))
    cpu["others_cores"] = background / wall
    writes = None
    if counts is not None and interaction.name == "status":
        writes = counts.history() - history_before
    return Result(
        target=target,
        interaction=interaction.name,
        concurrency=concurrency,
        requests=stats.sent,
        answered_200=stats.ok,
        ack_rps=stats.rps,
        done_rps=stats.ok / max(done - stats.started, 1e-9),
        p50=stats.percentile(50),
        p95=stats.percentile(95),
        p99=stats.percentile(99),
        max=stats.percentile(100),
        seconds=done - stats.started,
        problems=problems,
        writes=writes,
        cpu_ms=cpu,
    )
