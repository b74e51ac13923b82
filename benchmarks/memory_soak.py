"""Memory of `ticketbot serve` over a long mixed load (default 100,000 requests).

The five interactions of `ack_load.py` in turn (`/ticket help`, `/ticket new`, a status
change, a thread reply, `app_home_opened`), closed loop at `--concurrency`, in chunks of
10,000 requests; after each chunk the work after the ack is let finish, then the resident
memory (VmRSS) of every gunicorn worker is read from /proc. The run stops by itself after
`--requests` or `--max-minutes`, whichever comes first. Usage:

    python benchmarks/memory_soak.py [--database sqlite] [--requests 100000] [--max-minutes 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit.client import closed_loop  # noqa: E402
from loadkit.fake_process import FakeSlackProcess  # noqa: E402
from loadkit.payloads import interactions  # noqa: E402
from loadkit.targets import (  # noqa: E402
    POSTGRES,
    SIGNING_SECRET,
    USERGROUPS,
    Counts,
    database,
    seed_cards,
    server_env,
    ticketbot_server,
    workdir,
)

CHUNK = 10_000
WARM_UP = 2_000


def settle(fake, counts: Counts, quiet: float = 1.0, limit: float = 120.0) -> None:
    """Wait until neither the fake Slack nor the database sees anything new for `quiet` s."""
    deadline = time.monotonic() + limit
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = (sum(fake.report()["calls"].values()), counts.comments())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


def mixed(chosen, concurrency: int):
    picks = [interaction.picker(concurrency) for interaction in chosen]
    return lambda client, seq: picks[seq % len(picks)](client, seq)


def mib(rss: dict[int, int]) -> str:
    return " + ".join(f"{kib / 1024:.1f}" for kib in rss.values()) + " MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--max-minutes", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--url", default=POSTGRES)
    args = parser.parse_args()
    began = time.monotonic()
    stop_at = began + args.max_minutes * 60
    with (
        workdir() as tmp,
        FakeSlackProcess(USERGROUPS) as fake,
        database(args.database, Path(tmp), args.url) as url,
    ):
        cards = seed_cards(url, fake, 100)
        pick = mixed(interactions(cards, fake.response_url), args.concurrency)
        counts = Counts(url)
        env = server_env(url, fake.api_url, Path(tmp))
        server = ticketbot_server(env, Path(tmp), workers=args.workers, threads=args.threads)
        with server:
            print(f"workers {server.workers()} at start: {mib(server.rss_kib())}", flush=True)
            warm = closed_loop(
                server.port,
                SIGNING_SECRET,
                pick,
                concurrency=args.concurrency,
                duration=600,
                count=WARM_UP,
            )
            settle(fake, counts)
            baseline = server.rss_kib()
            print(f"after {warm.ok:,} warm-up requests: {mib(baseline)}", flush=True)
            print("| requests | RSS per worker | growth since warm-up | answered/s |")
            print("| --: | --: | --: | --: |")
            done = 0
            rss = baseline
            while done < args.requests and time.monotonic() < stop_at:
                chunk = closed_loop(
                    server.port,
                    SIGNING_SECRET,
                    pick,
                    concurrency=args.concurrency,
                    duration=stop_at - time.monotonic(),
                    count=min(CHUNK, args.requests - done),
                )
                done += chunk.sent
                settle(fake, counts)
                rss = server.rss_kib()
                growth = sum(rss.values()) - sum(baseline.values())
                bad = {str(k): v for k, v in chunk.statuses.items() if k != 200}
                bad.update(chunk.failures)
                print(
                    f"| {done:,} | {mib(rss)} | {growth / 1024:+.1f} MiB | {chunk.rps:.0f}"
                    + (f" (not 200: {bad}) |" if bad else " |"),
                    flush=True,
                )
            if server.workers() != list(rss):
                print(f"workers changed during the run: {list(rss)} -> {server.workers()}")
            report = fake.report()
            problems = [
                line for line in server.log.splitlines() if " ERROR " in line or "WARNING" in line
            ]
            for line in problems[:10]:
                print(f"server log: {line[:200]}")
            log = server.log
            if "Traceback" in log:
                first = log[log.index("Traceback") :].splitlines()[:40]
                print("first traceback in the server log:\n  " + "\n  ".join(first))
        counts.close()
    minutes = (time.monotonic() - began) / 60
    print(
        f"\n{done:,} requests (after {WARM_UP:,} of warm-up) on {args.database} in "
        f"{minutes:.1f} min; fake Slack rejected {report['rejected']} payload(s)"
    )


if __name__ == "__main__":
    main()
