"""Faults from outside `ticketbot serve`: is what was acknowledged kept, and told in time?

a. kill:      200 interactions that store something (Comment modal submissions and thread
              replies), one gunicorn worker SIGKILLed in the middle; events that got no 200
              are sent again as Slack does. Target: 0 acknowledged and lost.
b. outage:    a 5 s database outage during a burst of thread replies and status changes
              (PostgreSQL refuses and ends the app's connections; SQLite's write lock held
              by another process). Each request is stored, or told: events answered 5xx and
              sent again after (X-Slack-Retry-Num) are stored exactly once, status changes
              that could not be stored are told "try again". Target: 0 acknowledged and lost.
c. locked:    ack latency while another process holds SQLite's write lock (PostgreSQL:
              another session holds every ticket row FOR UPDATE). Target: every ack in 3 s.
d. duplicates: two `ticketbot serve` replicas on one database, the fake Slack answering
              some chat.postMessage late or not at all after posting, SLA passes run from
              both replicas at once. Target: one card per ticket, one warning per threshold.

SQLite and PostgreSQL (a private schema, dropped after) unless --db says one; a few minutes
in all (d is the longest).

    python benchmarks/faults.py [--db sqlite|postgresql] [--scenarios a,b,c,d] [--log DIR]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit import duplicates  # noqa: E402
from loadkit.burst import Burst, Request, percentile  # noqa: E402
from loadkit.faultkit import (  # noqa: E402
    Bench,
    bench,
    command,
    comment_submission,
    comment_views,
    event,
    resend,
    settle,
    status_change,
    statuses,
    stored_markers,
    thread_reply,
)
from loadkit.outages import PostgresOutage, PostgresRowLocks, SqliteWriteLock, hold  # noqa: E402
from loadkit.payloads import AGENTS, REQUESTER  # noqa: E402
from loadkit.targets import POSTGRES  # noqa: E402

from tests.support.slack_requests import JSON  # noqa: E402

ACK_LIMIT = 3.0  # Slack's wait for an answer
TOLD = ("Nothing was changed", "try again")


def _finished(b: Bench, args, name: str, row: dict) -> dict:
    """The row with the tracebacks of the server's log; the log kept if asked."""
    row["tracebacks"] = b.tracebacks()
    if args.log:
        (args.log / f"faults-{name}-{b.kind}.log").write_text(b.server.log)
    return row


def _wait_workers(b: Bench, gone: int, limit: float = 60.0) -> None:
    """Until gunicorn has all its workers again, `gone` not among them."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        workers = b.server.workers()
        if gone not in workers and len(workers) >= b.server.expected_workers:
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not replace the killed worker")


def _redeliver(b: Bench, outcomes: list, rounds: int = 3) -> tuple[int, int]:
    """Send again, as Slack does, each event that got no 200 (up to 3 retries).
    Returns (retries sent, events never answered 200)."""
    pending = [o.request for o in outcomes if o.status != 200 and o.request.content_type == JSON]
    sent = 0
    for number in range(1, rounds + 1):
        if not pending:
            break
        time.sleep(1.0)
        again = b.send([resend(r, number) for r in pending], concurrency=10)
        sent += len(again)
        pending = [o.request for o in again if o.status != 200]
    return sent, len(pending)


def _stored_twice(b: Bench) -> int:
    return sum(1 for count in stored_markers(b.database).values() if count > 1)


# --- a. a worker killed mid-burst ---------------------------------------------------------


def killed_worker(kind: str, args) -> dict:
    with bench(kind, cards=20, admin_url=args.url, threads=args.threads) as b:
        views = comment_views(b, 10)
        requests = []
        for n in range(200):
            if n % 2:
                card, view = views[n // 2 % len(views)]
                requests.append(comment_submission(b.build, view, f"kc-{n:06d}"))
            else:
                card = b.cards[n % len(b.cards)]
                requests.append(thread_reply(b.build, card, f"kr-{n:06d}", 100_000 + n))
        victim = b.server.workers()[0]
        killed: list[float] = []

        def kill_half_way(answered: int) -> None:
            if answered == len(requests) // 2 and not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(time.monotonic())

        outcomes = b.send(requests, concurrency=10, rate=50, after=kill_half_way)
        _wait_workers(b, victim)
        retried, never = _redeliver(b, outcomes)
        settle(b)
        stored = stored_markers(b.database)
        acked = [o for o in outcomes if o.status == 200]
        silent = [o for o in outcomes if o.status != 200]
        forms = [o for o in silent if o.request.tag.startswith("kc-")]
        events = [o for o in silent if o.request.tag.startswith("kr-")]
        row = {
            "db": kind,
            "sent (forms + events)": f"{len(outcomes)} (100 + 100)",
            "acked": len(acked),
            "no answer: forms / events": f"{len(forms)} / {len(events)}",
            "no answer but stored: forms / events": (
                f"{sum(1 for o in forms if stored[o.request.tag])} / "
                f"{sum(1 for o in events if stored[o.request.tag])}"
            ),
            "events re-sent": retried,
            "acked and lost": sum(1 for o in acked if not stored[o.request.tag]),
            "stored twice": _stored_twice(b),
            "events never acked": never,
        }
        return _finished(b, args, "kill", row)


# --- b. a 5-second database outage --------------------------------------------------------


def outage(kind: str, args) -> dict:
    with bench(kind, cards=60, admin_url=args.url, own_role=True, threads=args.threads) as b:
        requests: list[Request] = []
        for n in range(300):
            if n % 5 == 0:
                card = b.cards[n // 5]
                requests.append(status_change(b.build, card, "in_progress", f"os-{n:06d}"))
            else:
                card = b.cards[n % len(b.cards)]
                requests.append(thread_reply(b.build, card, f"or-{n:06d}", 200_000 + n))
        trouble = SqliteWriteLock(b.url) if kind == "sqlite" else PostgresOutage(b.url, args.url)
        held = hold(trouble, after=2.5, seconds=5.0)
        outcomes = b.send(requests, concurrency=30, rate=30)
        held.join()
        retried, never = _redeliver(b, outcomes)
        settle(b)
        stored = stored_markers(b.database)
        now = statuses(b.database)
        clicks = [(o, card) for o, card in zip(outcomes[::5], b.cards, strict=False)]
        told = b.fake.told([o.request.tag for o, _card in clicks])
        row = {"db": kind, "sent": len(outcomes)}
        row["answered 200 / 5xx / none"] = _split(outcomes)
        events = [o for o in outcomes if o.request.tag.startswith("or-")]
        row["events re-sent"] = retried
        row["events stored once / twice / never"] = (
            f"{sum(1 for o in events if stored[o.request.tag] == 1)} / "
            f"{sum(1 for o in events if stored[o.request.tag] > 1)} / "
            f"{sum(1 for o in events if not stored[o.request.tag])}"
        )
        changed = {o.request.tag for o, card in clicks if now[card.number] == "in_progress"}
        said = {tag for tag, bodies in told.items() if any(t in b for b in bodies for t in TOLD)}
        acked_clicks = [o for o, _card in clicks if o.status == 200]
        row["status changes stored / told to try again"] = f"{len(changed)} / {len(said)}"
        row["told but stored"] = len(said & changed)
        lost_events = sum(1 for o in events if o.status == 200 and not stored[o.request.tag])
        lost_clicks = sum(1 for o in acked_clicks if o.request.tag not in changed | said)
        row["acked and lost"] = lost_events + lost_clicks
        row["slowest answer"] = f"{max(o.seconds for o in outcomes) * 1000:.0f} ms"
        row["events never acked"] = never
        return _finished(b, args, "outage", row)


def _split(outcomes) -> str:
    ok = sum(1 for o in outcomes if o.status == 200)
    server = sum(1 for o in outcomes if o.status is not None and o.status >= 500)
    return f"{ok} / {server} / {sum(1 for o in outcomes if o.status is None)}"


# --- c. ack latency under a held lock -----------------------------------------------------


def locked(kind: str, args) -> dict:
    with bench(kind, cards=40, admin_url=args.url, threads=args.threads) as b:
        views = comment_views(b, 5)
        requests: list[Request] = []
        for n in range(240):
            card = b.cards[n % len(b.cards)]
            shape = n % 5
            if shape == 0:
                value = "in_progress" if n // 5 % 2 == 0 else "open"
                requests.append(status_change(b.build, card, value, f"ls-{n:06d}"))
            elif shape == 1:
                requests.append(thread_reply(b.build, card, f"lr-{n:06d}", 300_000 + n))
            elif shape == 2:
                requests.append(comment_submission(b.build, views[n % 5][1], f"lc-{n:06d}"))
            elif shape == 3:
                fields = b.build.command("help", user_id=REQUESTER)
                requests.append(command(fields, tag=f"lh-{n:06d}"))
            else:
                home = {"type": "app_home_opened", "user": AGENTS[n % 4], "tab": "home"}
                home["channel"] = "D0HOME0001"
                envelope = b.build.event(home, event_id=f"EvL{n:09d}")
                requests.append(event(envelope, tag=f"lo-{n:06d}"))
        locker = SqliteWriteLock if kind == "sqlite" else PostgresRowLocks
        held = hold(locker(b.url), after=2.0, seconds=6.0)
        result = Burst(b.send(requests, concurrency=40, rate=20))
        held.join()
        # Then six changes of one ticket at once, the lock held again: one queue of waiters.
        same = [status_change(b.build, b.cards[0], "open", f"lp-{n:06d}") for n in range(6)]
        with locker(b.url):
            together = sorted(o.seconds for o in b.send(same, concurrency=6))
        settle(b)
        during = result.latencies(lambda o: held.during(o.sent_at))
        every = result.latencies()
        row = {
            "db": kind,
            "lock": "write lock (BEGIN IMMEDIATE)"
            if kind == "sqlite"
            else "ticket rows FOR UPDATE",
            "sent": len(result.outcomes),
            "sent while locked": len(during),
            "answers": ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses().items())),
            "p50 / p99 / max while locked": _ms(during),
            "p50 / p99 / max overall": _ms(every),
            f"over {ACK_LIMIT:.0f} s": sum(1 for s in every if s > ACK_LIMIT),
            "of which": _kinds(o for o in result.outcomes if o.seconds > ACK_LIMIT),
            "6 changes of one ticket at once": " / ".join(f"{s:.2f}" for s in together) + " s",
        }
        return _finished(b, args, "locked", row)


KINDS = {"ls": "status", "lr": "reply", "lc": "comment", "lh": "/ticket help", "lo": "home"}


def _kinds(outcomes) -> str:
    counted = Counter(KINDS[o.request.tag[:2]] for o in outcomes)
    return ", ".join(f"{kind}: {n}" for kind, n in counted.most_common()) or "-"


def _ms(ordered: list[float]) -> str:
    if not ordered:
        return "-"
    return (
        f"{percentile(ordered, 50):.0f} / {percentile(ordered, 99):.0f} / "
        f"{ordered[-1] * 1000:.0f} ms"
    )


# --- the table ------------------------------------------------------------------------------

SCENARIOS = {
    "a": ("a. worker killed mid-burst (SIGKILL after 100 of 200 answers)", killed_worker),
    "b": ("b. 5 s database outage during 300 requests at 30/s", outage),
    "c": ("c. ack latency, lock held 6 s during 240 requests at 20/s", locked),
    "d": ("d. duplicates: two replicas, lost and late answers from Slack", duplicates.run),
}


def table(rows: list[dict]) -> str:
    names = list(rows[0])
    lines = ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]
    lines += ["| " + " | ".join(str(row.get(n, "")) for n in names) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="default: both")
    parser.add_argument("--scenarios", default="a,b,c,d", help="comma-separated, of a,b,c,d")
    parser.add_argument("--url", default=POSTGRES, help="PostgreSQL to make schemas in")
    parser.add_argument(
        "--threads", type=int, default=8, help="threads per worker of serve (its default: 8)"
    )
    parser.add_argument("--log", type=Path, help="keep the servers' logs in this directory")
    args = parser.parse_args()
    if args.log:
        args.log.mkdir(parents=True, exist_ok=True)
    kinds = [args.db] if args.db else ["sqlite", "postgresql"]
    began = time.monotonic()
    for key in args.scenarios.split(","):
        title, scenario = SCENARIOS[key.strip()]
        rows = []
        for kind in kinds:
            started = time.monotonic()
            rows.append(scenario(kind, args))
            rows[-1]["run"] = f"{time.monotonic() - started:.0f} s"
        print(f"\n{title}\n\n{table(rows)}", flush=True)
    print(f"\n{(time.monotonic() - began) / 60:.1f} min in all")


if __name__ == "__main__":
    main()
