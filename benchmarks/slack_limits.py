"""ticketbot against a Slack that enforces its published rate limits (issue 18).

The fake Slack of loadkit/tiers.py answers 429 with Retry-After beyond Slack's tiers
(`chat.update` Tier 3: 50 a minute per workspace with a short burst; `views.publish`,
`views.open`, `users.info` Tier 4: 100 a minute; `chat.postMessage` about one a second per
channel). Against it, the real `ticketbot serve` (gunicorn, 2 workers by default):

burst   300 status changes over 30 tickets in 30 seconds (10 a second, open loop, each
        ticket changed every 3 s through open / in progress / waiting). Measured: ack p50/p99
        during the burst, every request answered, when every card shows its ticket's final
        state (target: within 60 s of the burst's end), the share of Web API calls answered
        429 (target < 5 %), the tickets' status and history lines in the database (nothing
        lost), then a few `/ticket help` to see that the bot still answers.
open    50 mixed interactions a second for 60 seconds (`/ticket help`, `/ticket new`, a
        status change, a thread reply, `app_home_opened`, in turn), open loop: ack p99
        (target < 50 ms) per kind and in all, what /metrics says was refused or paced, and
        the Web API connections the bot opened per 100 interactions (target: a handful).

    python benchmarks/slack_limits.py                        # both, both databases, ~8 min
    python benchmarks/slack_limits.py --scenarios burst --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit.burst import Request, percentile  # noqa: E402
from loadkit.fake_process import FakeSlackProcess  # noqa: E402
from loadkit.openloop import OpenLoop, open_loop  # noqa: E402
from loadkit.payloads import Card, interactions, status_click  # noqa: E402
from loadkit.targets import (  # noqa: E402
    POSTGRES,
    SIGNING_SECRET,
    USERGROUPS,
    database,
    seed_cards,
    server_env,
    ticketbot_server,
    workdir,
)
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from ticketbot.ids import ActionId  # noqa: E402
from ticketbot.store.db import Database  # noqa: E402
from ticketbot.store.models import CardRefresh, Ticket, TicketChange  # noqa: E402

BURST_TICKETS = 30
BURST_CHANGES = 300
BURST_SECONDS = 30.0
SETTLE_TARGET = 60.0  # every card right within this long after the burst
SETTLE_WATCH = 180.0  # how long to keep looking when it is late
LIMITED_TARGET = 0.05
BURST_P99_TARGET_MS = 100.0
OPEN_RATE = 50.0
OPEN_SECONDS = 60.0
OPEN_P99_TARGET_MS = 50.0
OPEN_CARDS = 100
CYCLE = ["in_progress", "waiting", "open"]  # seeded tickets start open
MIX = ["help", "new", "status", "comment", "home"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scenarios", default="burst,open", help="comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--open-seconds", type=float, default=OPEN_SECONDS)
    parser.add_argument("--open-rate", type=float, default=OPEN_RATE)
    parser.add_argument("--url", default=POSTGRES, help="PostgreSQL to make a schema in")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--log", type=Path, help="keep the servers' logs in this directory")
    args = parser.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.databases = [d for d in args.databases.split(",") if d]
    if set(args.scenarios) - {"burst", "open"}:
        parser.error("scenarios are burst and open")
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("databases are sqlite and postgresql")
    return args


class LoadSampler:
    """The machine's 1-minute load average every 5 s while a scenario runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5):
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return Path("/proc/loadavg").read_text().split()[0]
        return f"{min(self.samples):.2f} to {max(self.samples):.2f}"


def shown_status(message: dict | None) -> str | None:
    """The status a card shows: its status select's initial option."""
    for block in (message or {}).get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == ActionId.STATUS:
                return (element.get("initial_option") or {}).get("value")
    return None


def scrape(port: int) -> dict[str, float]:
    """The /metrics samples worth reading here, summed over their labels but the ones kept."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        lines = answer.read().decode().splitlines()
    wanted = (
        "ticketbot_work_queue_rejections_total",
        "ticketbot_slack_api_calls_total",
        "ticketbot_slack_pacer_wait_seconds_total",
    )
    found: dict[str, float] = {}
    for line in lines:
        if line.startswith("#") or not line.startswith(wanted):
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith("ticketbot_slack_api_calls_total"):
            outcome = name.split('outcome="', 1)[1].split('"', 1)[0]
            name = f"api_calls[{outcome}]"
        elif name.startswith("ticketbot_slack_pacer_wait"):
            name = "pacer_wait_seconds"
        else:
            name = "work_queue_rejections"
        found[name] = found.get(name, 0.0) + float(value)
    return found


def limited_share(tiers: dict) -> tuple[int, int, float]:
    calls = sum(tiers["api_calls"].values())
    limited = sum(tiers["limited"].values())
    return limited, calls, limited / calls if calls else 0.0


@dataclass
class Target:
    kind: str
    url: str
    cards: list[Card]
    server: object


def start(args, kind: str, fake, tmp: Path, stack: ExitStack, cards: int) -> Target:
    """A fresh database with `cards` seeded (limits off), and `ticketbot serve` on it."""
    fake.enforce(False)
    directory = tmp / f"{kind}-{cards}-{time.monotonic_ns()}"
    directory.mkdir()
    url = stack.enter_context(database(kind, directory, args.url))
    seeded = seed_cards(url, fake, cards)
    env = server_env(url, fake.api_url, directory)
    logdir = args.log or directory
    logdir.mkdir(parents=True, exist_ok=True)
    server = ticketbot_server(
        env, logdir, workers=args.workers, threads=args.threads, name=f"ticketbot-{kind}"
    )
    stack.enter_context(server)
    fake.enforce(True)
    fake.start_window()
    return Target(kind, url, seeded, server)


def burst(args, kind: str, fake, tmp: Path) -> dict:
    with ExitStack() as stack:
        target = start(args, kind, fake, tmp, stack, BURST_TICKETS)
        cards = target.cards
        plan: list[tuple[Card, str]] = []
        for round_ in range(BURST_CHANGES // len(cards)):
            for index, card in enumerate(cards):
                plan.append((card, CYCLE[(index + round_) % len(CYCLE)]))
        templates = {
            (c.number, v): status_click(c, v, fake.response_url) for c in cards for v in CYCLE
        }
        requests = [
            Request(templates[(c.number, v)].render(seq), templates[(c.number, v)].content_type)
            for seq, (c, v) in enumerate(plan, start=1)
        ]
        final = {c.number: "open" for c in cards}
        changes = 0
        for card, value in plan:
            changes += final[card.number] != value
            final[card.number] = value
        with LoadSampler() as load:
            began = time.monotonic()
            sent = open_loop(
                target.server.port, SIGNING_SECRET, requests, rate=len(requests) / BURST_SECONDS
            )
            ended = time.monotonic()
            keys = [(c.channel, c.ts) for c in cards]
            settled_at = None
            wrong: list[int] = []
            while time.monotonic() - ended < SETTLE_WATCH:
                shown = fake.messages_of(keys)
                wrong = [
                    c.number
                    for c in cards
                    if shown_status(shown.get((c.channel, c.ts))) != final[c.number]
                ]
                if not wrong:
                    settled_at = time.monotonic() - ended
                    break
                time.sleep(0.25)
        tiers = fake.tier_report()
        help_probe = probe_help(target, fake)
        stored, history, pending = database_state(target.url)
        metrics = scrape(target.server.port)
        log = target.server.log
    limited, calls, share = limited_share(tiers)
    ordered = sent.latencies()
    lost_status = [n for n, status in final.items() if stored.get(n) != status]
    return {
        "scenario": "burst",
        "db": kind,
        "requests": len(requests),
        "statuses": dict(sent.statuses()),
        "burst_seconds": ended - began,
        "ack_p50_ms": percentile(ordered, 50),
        "ack_p99_ms": percentile(ordered, 99),
        "ack_max_ms": percentile(ordered, 100),
        "settled_s": settled_at,
        "cards_wrong_at_end": wrong,
        "api_calls": tiers["api_calls"],
        "limited": tiers["limited"],
        "limited_share": share,
        "limited_total": limited,
        "calls_total": calls,
        "connections": tiers["connections"],
        "asked_close": tiers["asked_close"],
        "changes_expected": changes,
        "history_lines": history,
        "tickets_wrong_in_db": lost_status,
        "card_refreshes_left": pending,
        "help_after": help_probe,
        "metrics": metrics,
        "load": load.summary(),
        "tracebacks": log.count("Traceback"),
    }


def probe_help(target: Target, fake) -> dict:
    """Five `/ticket help` right after: is the bot still answering at once?"""
    help_template = {i.name: i for i in interactions(target.cards, fake.response_url)}["help"]
    pick = help_template.picker(1)
    requests = [
        Request(pick(0, seq).render(seq), pick(0, seq).content_type)
        for seq in range(900_001, 900_006)
    ]
    answered = open_loop(target.server.port, SIGNING_SECRET, requests, rate=5)
    ordered = answered.latencies()
    return {"statuses": dict(answered.statuses()), "max_ms": percentile(ordered, 100)}


def database_state(url: str) -> tuple[dict[int, str], int, int]:
    db = Database(url)
    try:
        with db.snapshot() as session:
            rows = session.execute(select(Ticket.number, Ticket.status)).all()
            history = session.scalar(
                select(func.count()).select_from(TicketChange).where(TicketChange.field == "status")
            )
            pending = session.scalar(select(func.count()).select_from(CardRefresh))
        return {n: str(getattr(s, "value", s)) for n, s in rows}, history or 0, pending or 0
    finally:
        db.dispose()


def mixed(args, kind: str, fake, tmp: Path) -> dict:
    with ExitStack() as stack:
        target = start(args, kind, fake, tmp, stack, OPEN_CARDS)
        chosen = {i.name: i for i in interactions(target.cards, fake.response_url)}
        picks = {name: chosen[name].picker(1) for name in MIX}
        total = int(args.open_rate * args.open_seconds)
        requests = []
        for seq in range(1, total + 1):
            name = MIX[seq % len(MIX)]
            template = picks[name](0, seq)
            requests.append(Request(template.render(seq), template.content_type, tag=name))
        with LoadSampler() as load:
            sent: OpenLoop = open_loop(
                target.server.port, SIGNING_SECRET, requests, rate=args.open_rate
            )
            time.sleep(5)  # the work after the last acks, before counting connections
        tiers = fake.tier_report()
        metrics = scrape(target.server.port)
        log = target.server.log
    limited, calls, share = limited_share(tiers)
    every = sent.latencies()
    return {
        "scenario": "open",
        "db": kind,
        "requests": total,
        "rate": args.open_rate,
        "statuses": dict(sent.statuses()),
        "ack_p50_ms": percentile(every, 50),
        "ack_p99_ms": percentile(every, 99),
        "ack_max_ms": percentile(every, 100),
        "by_kind_p99_ms": {name: percentile(sent.latencies(name), 99) for name in MIX},
        "generator_late_p99_ms": percentile(sorted(a.late for a in sent.arrivals), 99),
        "api_calls": tiers["api_calls"],
        "limited": tiers["limited"],
        "limited_share": share,
        "limited_total": limited,
        "calls_total": calls,
        "connections": tiers["connections"],
        "connections_per_100": tiers["connections"] / total * 100,
        "asked_close": tiers["asked_close"],
        "metrics": metrics,
        "load": load.summary(),
        "tracebacks": log.count("Traceback"),
    }


def report(result: dict) -> list[str]:
    lines = [f"== {result['scenario']} on {result['db']} (load average {result['load']})"]
    lines.append(
        f"  requests {result['requests']}: {result['statuses']}; ack p50 "
        f"{result['ack_p50_ms']:.1f} p99 {result['ack_p99_ms']:.1f} max "
        f"{result['ack_max_ms']:.1f} ms"
    )
    lines.append(
        f"  Web API calls {result['calls_total']}, answered 429: {result['limited_total']} "
        f"({result['limited_share']:.1%}) {result['limited']}"
    )
    lines.append(f"  calls by method: {result['api_calls']}")
    lines.append(
        f"  connections opened to Slack: {result['connections']}; calls asking to close: "
        f"{result['asked_close']}"
    )
    lines.append(f"  /metrics: {result['metrics']}")
    if result["scenario"] == "burst":
        settled = result["settled_s"]
        lines.append(
            f"  sent in {result['burst_seconds']:.1f} s; every card right "
            + (f"{settled:.1f} s after the burst" if settled is not None else "NEVER")
            + (f" (wrong: {result['cards_wrong_at_end']})" if result["cards_wrong_at_end"] else "")
        )
        lines.append(
            f"  database: {result['history_lines']} status lines for {result['changes_expected']}"
            f" changes, tickets not in their final status: {result['tickets_wrong_in_db']}, "
            f"card refreshes left: {result['card_refreshes_left']}"
        )
        lines.append(f"  /ticket help after: {result['help_after']}")
    else:
        lines.append(
            f"  p99 by kind: { {k: round(v, 1) for k, v in result['by_kind_p99_ms'].items()} }; "
            f"generator lateness p99 {result['generator_late_p99_ms']:.1f} ms"
        )
        lines.append(f"  connections per 100 interactions: {result['connections_per_100']:.1f}")
    if result["tracebacks"]:
        lines.append(f"  the server log holds {result['tracebacks']} traceback(s)")
    return lines


def verdicts(results: list[dict]) -> list[str]:
    out = []
    for r in results:
        where = f"{r['scenario']} on {r['db']}"
        checks = [(f"429 share < {LIMITED_TARGET:.0%}", r["limited_share"] < LIMITED_TARGET)]
        if r["scenario"] == "burst":
            settled = r["settled_s"]
            checks += [
                (f"ack p99 < {BURST_P99_TARGET_MS:.0f} ms", r["ack_p99_ms"] < BURST_P99_TARGET_MS),
                (
                    f"every card right within {SETTLE_TARGET:.0f} s",
                    settled is not None and settled <= SETTLE_TARGET,
                ),
                (
                    "nothing lost",
                    r["statuses"] == {"200": r["requests"]}
                    and r["history_lines"] == r["changes_expected"]
                    and not r["tickets_wrong_in_db"],
                ),
            ]
        else:
            checks += [
                (f"ack p99 < {OPEN_P99_TARGET_MS:.0f} ms", r["ack_p99_ms"] < OPEN_P99_TARGET_MS),
                ("every request answered 200", r["statuses"] == {"200": r["requests"]}),
                ("connections per 100 interactions <= 5", r["connections_per_100"] <= 5),
            ]
        out += [f"{'met   ' if ok else 'MISSED'} {where}: {name}" for name, ok in checks]
    return out


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SHOW server_version")).scalar_one()
    except Exception as error:  # the report says so rather than failing the run
        return f"unknown ({error.__class__.__name__})"
    finally:
        engine.dispose()


def main() -> None:
    args = parse_args()
    results = []
    print(f"PostgreSQL {postgres_version(args.url)}; load average before: "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)  # fmt: skip
    with workdir() as tmp, FakeSlackProcess(USERGROUPS, tiers=True) as fake:
        for scenario in args.scenarios:
            for kind in args.databases:
                run = burst if scenario == "burst" else mixed
                result = run(args, kind, fake, Path(tmp))
                results.append(result)
                print("\n".join(report(result)), flush=True)
    print()
    print("\n".join(verdicts(results)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
