"""Ack latency and throughput of `ticketbot serve` under load, against a bare Bolt app.

Everything runs on 127.0.0.1: a fake Slack Web API in its own process, the server under test
in a subprocess (gunicorn gthread, as in production), and a closed-loop load generator sending
signed requests shaped as Slack sends them, at concurrency 1, 10 and 50, for `/ticket help`,
`/ticket new`, a status change on the card, a thread reply and `app_home_opened`. The bare
Bolt app (`bare_bolt.py`, listeners that only ack) is measured in the same run, then
ticketbot on SQLite and on PostgreSQL (a private schema, dropped afterwards).

    python benchmarks/ack_load.py --quick          # about 5 minutes
    python benchmarks/ack_load.py                  # about 20 minutes
    python benchmarks/ack_load.py --interactions status --databases sqlite --concurrency 10
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "src"), str(ROOT)]

from loadkit import measure  # noqa: E402
from loadkit.fake_process import FakeSlackProcess  # noqa: E402
from loadkit.payloads import interactions  # noqa: E402
from loadkit.targets import (  # noqa: E402
    POSTGRES,
    USERGROUPS,
    Counts,
    Server,
    bare_server,
    database,
    seed_cards,
    server_env,
    ticketbot_server,
    workdir,
)

NAMES = ["help", "new", "status", "comment", "home"]
P99_TARGET_MS = 100.0  # at concurrency 10
RATIO_TARGET = 0.5  # ticketbot / bare throughput, status change


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs: a few minutes in all")
    parser.add_argument("--duration", type=float, help="seconds of load per measurement")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load before each")
    parser.add_argument("--concurrency", default="1,10,50", help="comma-separated")
    parser.add_argument("--interactions", default=",".join(NAMES), help="comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Bolt floor")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--cards", type=int, default=100, help="seeded tickets with cards")
    parser.add_argument("--url", default=POSTGRES, help="PostgreSQL to make a schema in")
    parser.add_argument("--json", type=Path, help="write every result to this file")
    parser.add_argument(
        "--fake-nice",
        type=int,
        default=10,
        help="CPU niceness of the fake Slack (default 10: it stands for servers elsewhere and "
        "yields the shared cores to the app; 0 puts it on equal terms)",
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run the ticketbot code in this src/ directory (e.g. from `git archive` of "
        "an older commit), next to the current one: before/after in one run",
    )
    parser.add_argument(
        "--listeners",
        type=int,
        help="listener threads per worker, for ticketbot and bare Bolt (default: theirs)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="also run ticketbot with these `serve` arguments, side by side, e.g. "
        "--variant 'l8=--listeners 8' (repeatable)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure everything this many times, interleaved; the table shows medians",
    )
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.extra = ["--listeners", str(args.listeners)] if args.listeners else []
    try:
        args.variant = [(n, a.split()) for n, _, a in (v.partition("=") for v in args.variant)]
    except ValueError:
        parser.error("--variant takes NAME=ARGS")
    args.interactions = [n for n in args.interactions.split(",") if n]
    args.databases = [d for d in args.databases.split(",") if d]
    unknown = set(args.interactions) - set(NAMES)
    if unknown:
        parser.error(f"unknown interaction(s): {', '.join(sorted(unknown))}")
    return args


@dataclass
class Target:
    name: str
    server: Server
    interactions: dict
    counts: Counts | None
    postgres_application: str | None = None


def start_targets(args, fake, tmp: Path, stack: ExitStack) -> list[Target]:
    """Every server up at once, so each measurement of ticketbot sits next to the bare one
    taken seconds before, under the same background load of the machine."""
    targets = []
    if not args.no_bare:
        # The bare app ignores what it is sent; cards seeded in a scratch database give its
        # status clicks the same bodies as ticketbot's.
        scratch = tmp / "bare"
        scratch.mkdir()
        url = stack.enter_context(database("sqlite", scratch))
        cards = seed_cards(url, fake, args.cards)
        env = server_env(url, fake.api_url, scratch)
        server = bare_server(
            env, scratch, workers=args.workers, threads=args.threads, extra=args.extra
        )
        targets.append(Target("bare", server, _by_name(cards, fake), None))
    variants = [("", ROOT / "src", args.extra)]
    if args.baseline_src:
        variants.append(("@base", args.baseline_src, args.extra))
    variants += [(f"/{name}", ROOT / "src", extra) for name, extra in args.variant]
    for kind in args.databases:
        for suffix, src, extra in variants:
            name = kind + suffix
            dbdir = tmp / name.replace("/", "_")
            dbdir.mkdir()
            application = "ticketbot_bench_" + "".join(c if c.isalnum() else "_" for c in name)
            url = stack.enter_context(database(kind, dbdir, args.url, application))
            cards = seed_cards(url, fake, args.cards)
            counts = Counts(url)
            stack.callback(counts.close)
            env = server_env(url, fake.api_url, dbdir, src)
            server = ticketbot_server(
                env, dbdir, workers=args.workers, threads=args.threads, name=name, extra=extra
            )
            postgres = application if kind == "postgresql" else None
            targets.append(Target(name, server, _by_name(cards, fake), counts, postgres))
    for target in targets:
        stack.enter_context(target.server)
    return targets


def _by_name(cards, fake) -> dict:
    return {i.name: i for i in interactions(cards, fake.response_url)}


def report_memory(targets: list[Target]) -> None:
    for target in targets:
        rss = target.server.rss_kib()
        sizes = ", ".join(f"{kib / 1024:.0f} MiB" for kib in rss.values())
        print(f"  {target.name}: worker RSS after the runs: {sizes}", flush=True)
        if "Traceback" in target.server.log:
            print(f"  {target.name}: the server log holds a traceback", flush=True)


def line(r: measure.Result) -> str:
    extra = f" writes={r.writes}/{r.answered_200}" if r.writes is not None else ""
    problems = f"  !! {'; '.join(r.problems)}" if r.problems else ""
    cpu = " ".join(f"{k}={v:.1f}" for k, v in r.cpu_ms.items() if v >= 0.05)
    return (
        f"  {r.target:<10} {r.interaction:<8} c={r.concurrency:<3} n={r.requests:<6} "
        f"ack {r.ack_rps:7.1f}/s done {r.done_rps:7.1f}/s  p50 {r.p50:6.1f} p95 {r.p95:6.1f} "
        f"p99 {r.p99:6.1f} max {r.max:6.1f} ms{extra}  cpu ms/req {cpu}{problems}"
    )


def table(results: list[measure.Result], chosen) -> str:
    bare = {(r.interaction, r.concurrency): r for r in results if r.target == "bare"}
    rows = [
        "| interaction | db | c | ticketbot done/s (ack/s) | p50 / p95 / p99 ms "
        "| bare /s | bare p50 / p95 / p99 ms | throughput ratio | p99 ratio |",
        "| --- | --- | --: | --: | --: | --: | --: | --: | --: |",
    ]
    titles = {i.name: i.title for i in chosen}
    for r in results:
        if r.target == "bare":
            continue
        floor = bare.get((r.interaction, r.concurrency))
        floor_cells = ["—", "—", "—", "—"]
        if floor:
            floor_cells = [
                f"{floor.ack_rps:.0f}",
                f"{floor.p50:.1f} / {floor.p95:.1f} / {floor.p99:.1f}",
                f"{r.done_rps / floor.ack_rps:.2f}",
                f"{r.p99 / floor.p99:.1f}",
            ]
        rows.append(
            f"| {titles[r.interaction]} | {r.target} | {r.concurrency} | "
            f"{r.done_rps:.0f} ({r.ack_rps:.0f}) | {r.p50:.1f} / {r.p95:.1f} / {r.p99:.1f} | "
            + " | ".join(floor_cells)
            + " |"
        )
    return "\n".join(rows)


def verdict(results: list[measure.Result]) -> list[str]:
    lines = []
    bare = {(r.interaction, r.concurrency): r for r in results if r.target == "bare"}
    for r in results:
        if r.target == "bare":
            continue
        if r.concurrency == 10 and r.p99 >= P99_TARGET_MS:
            lines.append(
                f"MISSED p99 < {P99_TARGET_MS:.0f} ms at c=10: {r.interaction} on "
                f"{r.target}: {r.p99:.1f} ms"
            )
        floor = bare.get((r.interaction, r.concurrency))
        if r.interaction == "status" and floor and r.done_rps < RATIO_TARGET * floor.ack_rps:
            lines.append(
                f"MISSED throughput >= {RATIO_TARGET:.0%} of bare: status on "
                f"{r.target} c={r.concurrency}: {r.done_rps:.0f}/s vs {floor.ack_rps:.0f}/s"
            )
        if r.problems:
            lines.append(
                f"PROBLEM {r.interaction} on {r.target} c={r.concurrency}: {'; '.join(r.problems)}"
            )
    return lines or ["all targets met"]


def main() -> None:
    args = parse_args()
    began = time.monotonic()
    print(f"load average before: {_loadavg()}", flush=True)
    results: list[measure.Result] = []
    with (
        workdir() as tmp,
        FakeSlackProcess(USERGROUPS, args.fake_nice) as fake,
        ExitStack() as stack,
    ):
        print(f"fake Slack (pid {fake.pid}) at {fake.api_url}; logs in {tmp}", flush=True)
        targets = start_targets(args, fake, Path(tmp), stack)
        rounds = [
            (name, concurrency)
            for _ in range(args.repeat)
            for name in args.interactions
            for concurrency in args.concurrency
        ]
        for name, concurrency in rounds:
            for target in targets:
                result = measure.run(
                    target.server,
                    target.interactions[name],
                    concurrency,
                    target=target.name,
                    fake=fake,
                    counts=target.counts,
                    warmup=args.warmup,
                    duration=args.duration,
                    postgres_application=target.postgres_application,
                )
                results.append(result)
                print(line(result), flush=True)
        report_memory(targets)
    minutes = (time.monotonic() - began) / 60
    print()
    print(f"Machine: {_machine()}; load average after: {_loadavg()}")
    print(
        f"workers={args.workers} threads={args.threads} listeners="
        f"{args.listeners or 4}; {args.duration:.0f} s per "
        f"measurement after {args.warmup:.0f} s warm-up; run took {minutes:.1f} min"
    )
    print()
    summary = medians(results)
    print(table(summary, interactions([], fake.response_url)))
    print()
    print("\n".join(verdict(summary)))
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=1))


def medians(results: list[measure.Result]) -> list[measure.Result]:
    """One result per (target, interaction, concurrency): the median of each figure over the
    repeated measurements, the problems of all of them."""
    groups: dict[tuple, list[measure.Result]] = {}
    for r in results:
        groups.setdefault((r.target, r.interaction, r.concurrency), []).append(r)
    summary = []
    for runs in groups.values():
        if len(runs) == 1:
            summary.append(runs[0])
            continue
        figures = {
            name: statistics.median(getattr(r, name) for r in runs)
            for name in ("ack_rps", "done_rps", "p50", "p95", "p99", "max", "seconds")
        }
        summary.append(
            dataclasses.replace(
                runs[0],
                **figures,
                requests=sum(r.requests for r in runs),
                answered_200=sum(r.answered_200 for r in runs),
                problems=[p for r in runs for p in r.problems],
            )
        )
    return summary


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _machine() -> str:
    import os

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


if __name__ == "__main__":
    main()
