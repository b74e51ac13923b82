"""How long a 30-day report takes over a large PostgreSQL base (a script, not a test).

Fills a private schema with N tickets raised over the last 90 days (default 1,000,000) from
every source, with categories, assignees, parties, first responses, closures and ratings,
then times the report's queries for 30 days, and the whole report as `/ticket report`
sends it (queries, message, chart, upload to a fake Slack on loopback). Usage:

    .venv/bin/python benchmarks/report.py [--tickets 1000000] [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fake_slack import FakeSlack
from ticketbot.services.periods import parse_period
from ticketbot.services.reports import build_report
from ticketbot.slack.reports import deliver_report
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
from ticketbot.views.report_chart import report_chart

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WORKSPACE = "T0BENCH01"


def fill(database: Database, tickets: int) -> None:
    """Generated in SQL so a million rows take seconds, not hours. Tickets are spread evenly
    over 90 days; each closes 0 to 5 days after it was raised unless that is still ahead."""
    now = NOW.replace(tzinfo=None)
    with database.engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO parties (workspace_id, kind, name, name_key, created_at)
            SELECT :ws, 'account', 'Account ' || n, 'account ' || n, :now
            FROM generate_series(1, 1000) AS n
        """),
            {"ws": WORKSPACE, "now": now},
        )
        connection.execute(
            text("""
            INSERT INTO tickets (workspace_id, number, title, description, solution, status,
                priority, engagement, category, assignee_id, requester_id, party_id,
                visibility, source, created_at, updated_at, due_at, first_response_at,
                closed_at, sla_started_at, paused_seconds, version)
            SELECT :ws, n, 'Ticket ' || n, '', CASE WHEN closes < :now THEN 'Done' ELSE '' END,
                CASE WHEN closes < :now THEN 'closed'
                     ELSE (ARRAY['open', 'waiting', 'in_progress'])[1 + n % 3] END,
                (ARRAY['low', 'normal', 'high', 'urgent'])[1 + n % 4], 'standard',
                (ARRAY['Hardware', 'Software', 'Network', 'Access', 'Billing', NULL])[1 + n % 6],
                CASE WHEN n % 7 = 0 THEN NULL ELSE 'U0AGT' || lpad((n % 20)::text, 4, '0') END,
                'U0REQ' || lpad((n % 500)::text, 4, '0'),
                CASE WHEN n % 2 = 0 THEN 1 + n % 1000 END,
                'public',
                (ARRAY['slash_command', 'message_shortcut', 'global_shortcut', 'reaction',
                       'app_home'])[1 + n % 5],
                created, created,
                created + (ARRAY[72, 24, 8, 4])[1 + n % 4] * interval '1 hour',
                CASE WHEN responds < :now THEN responds END,
                CASE WHEN closes < :now THEN closes END,
                created, 0, 1
            FROM (
                SELECT n, created,
                    created + ((n * 31) % 600) * interval '1 minute' AS responds,
                    created + ((n::bigint * 7919) % 7200) * interval '1 minute' AS closes
                FROM (
                    SELECT n, :now - (n::float / :n) * interval '90 days' AS created
                    FROM generate_series(1, :n) AS n
                ) AS raised
            ) AS planned
        """),
            {"ws": WORKSPACE, "now": now, "n": tickets},
        )
        connection.execute(
            text("""
            INSERT INTO ratings (ticket_id, score, rated_by, rated_at)
            SELECT id, 1 + number % 5, requester_id, closed_at + interval '1 hour'
            FROM tickets WHERE closed_at IS NOT NULL AND number % 10 < 3
                AND closed_at + interval '1 hour' < :now
        """),
            {"now": now},
        )
        connection.execute(text("ANALYZE parties; ANALYZE tickets; ANALYZE ratings"))


def timed(work, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def describe(name: str, timings: list[float]) -> None:
    print(
        f"{name}: median {statistics.median(timings):.0f} ms, min {min(timings):.0f} ms, "
        f"max {max(timings):.0f} ms over {len(timings)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
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
        fill(database, args.tickets)
        print(f"filled {args.tickets:,} tickets in {time.perf_counter() - began:.1f} s")
        period = parse_period("30d", now=NOW, timezone="UTC")

        def queries():
            with database.snapshot() as session:
                return build_report(session=session, workspace_id=WORKSPACE, period=period, now=NOW)

        report = queries()
        print(
            f"30-day report: {report.raised:,} raised, {report.closed:,} closed, "
            f"{report.backlog.open:,} open, {report.satisfaction.count:,} ratings"
        )
        describe("report queries (30 days)", timed(queries, args.runs))
        describe("chart alone", timed(lambda: report_chart(report), args.runs))
        with FakeSlack() as fake:
            client = WebClient(token="xoxb-bench", base_url=fake.api_url)
            describe(
                "whole report (queries, message, chart, upload)",
                timed(lambda: deliver_report(client, "U0MGR0001", queries()), args.runs),
            )
            uploaded = fake.calls("files.completeUploadExternal")
            print(f"{len(uploaded)} chart(s) uploaded")
    finally:
        database.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
