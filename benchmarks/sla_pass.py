"""How long an SLA pass takes over a large PostgreSQL base (a script, not a test).

Fills a private schema with N open tickets and their planned warnings (default 1,000,000),
then times a pass with nothing due and a pass with 1,000 warnings due, posting to a fake
Slack on loopback. Usage:

    .venv/bin/python benchmarks/sla_pass.py [--tickets 1000000] [--due 1000] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fake_slack import FakeSlack
from ticketbot.clock import FakeClock
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.jobs.sla_alerts import run_pass
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def fill(database: Database, tickets: int, due: int) -> None:
    """Tickets created over the last day, due in 1 to 72 hours; `due` of them already past
    their 75 % mark. Generated in SQL so a million rows take seconds, not hours."""
    now = NOW.replace(tzinfo=None)
    with database.engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO tickets (workspace_id, number, title, description, solution, status,
                priority, engagement, requester_id, visibility, source, created_at, updated_at,
                due_at, sla_started_at, paused_seconds, version)
            SELECT 'T0BENCH01', n, 'Ticket ' || n, '', '', 'open', 'normal', 'standard',
                'U0REQ0001', 'public', 'slash_command', :now - interval '1 hour',
                :now - interval '1 hour', :now + (1 + n % 72) * interval '1 hour',
                :now - interval '1 hour', 0, 1
            FROM generate_series(1, :n) AS n
        """),
            {"now": now, "n": tickets},
        )
        connection.execute(
            text("""
            INSERT INTO sla_alerts (ticket_id, kind, step, deadline, target, notify_at,
                available_at, state, attempts, created_at)
            SELECT id, kind, step, due_at, 'channel', at, at, 'pending', 0, :now
            FROM (
                SELECT id, due_at, 'warning' AS kind, 75 AS step,
                    CASE WHEN number <= :due THEN :now - interval '1 minute'
                         ELSE due_at - interval '30 minutes' END AS at FROM tickets
                UNION ALL
                SELECT id, due_at, 'breach', 100, due_at FROM tickets
            ) AS planned
        """),
            {"now": now, "due": due},
        )
        connection.execute(text("ANALYZE tickets; ANALYZE sla_alerts"))


def timed(runtime: Runtime, client: WebClient, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        run_pass(runtime, client, now=NOW, sleep=lambda _: None)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--url", default=POSTGRES)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(f"{args.url}?options=-csearch_path%3D{schema}")
    try:
        upgrade(database)
        began = time.perf_counter()
        fill(database, args.tickets, 0)
        print(f"filled {args.tickets:,} tickets in {time.perf_counter() - began:.1f} s")
        config = TicketbotConfig.model_validate({"sla": {"alert_channel": "C0SLAALERT"}})
        with FakeSlack() as fake:
            settings = Settings(slack_bot_token=SecretStr("xoxb-bench"), slack_api_url=fake.api_url)
            runtime = Runtime(
                settings=settings, config=config, database=database, clock=FakeClock(NOW)
            )
            client = WebClient(token="xoxb-bench", base_url=fake.api_url)
            idle = timed(runtime, client, 20)
            print(
                f"pass with nothing due: median {statistics.median(idle):.1f} ms, "
                f"max {max(idle):.1f} ms (target < 50 ms)"
            )
            with database.engine.begin() as connection:
                connection.execute(
                    text(
                        "UPDATE sla_alerts SET available_at = :at, notify_at = :at "
                        "WHERE kind = 'warning' AND ticket_id IN "
                        "(SELECT id FROM tickets ORDER BY id LIMIT :due)"
                    ),
                    {"at": (NOW - timedelta(minutes=1)).replace(tzinfo=None), "due": args.due},
                )
            began = time.perf_counter()
            passes = 0
            while True:
                report = run_pass(runtime, client, now=NOW, sleep=lambda _: None)
                passes += 1
                if not report.sent:
                    break
            busy = (time.perf_counter() - began) * 1000
            posted = len(fake.calls("chat.postMessage"))
            print(
                f"{args.due:,} warnings due: {busy:.0f} ms over {passes} pass(es), "
                f"{posted} message(s) posted (digests), cards refreshed: "
                f"{len(fake.calls('chat.update'))}"
            )
    finally:
        database.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
