"""Scenario d of `faults.py`: does anything reach Slack twice?

Two `ticketbot serve` replicas share one database (on SQLite, one file). Tickets are raised
through the create form, half on each replica, while the fake Slack lets some
chat.postMessage calls go wrong after doing them: the answer never comes (the connection is
closed), or comes after the client's 10 s timeout, or after 2 s; others are done 3 s late.
Then the deadline warnings fall due: `ticketbot sla tick --now T` runs from both replicas at
once for each threshold (50 % and 75 % of the engagement, then the breach), with faults on
their posts too, and again a few minutes of `--now` later until no warning is left due, as
later passes would. Counted from what the fake Slack holds: cards per ticket in the triage
channel, and posts of each warning (ticket, threshold, target)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from loadkit.burst import burst
from loadkit.fake_process import FakeSlackProcess
from loadkit.faultkit import builder, interaction, open_view
from loadkit.payloads import ADMIN, AGENT_GROUP, AGENTS, REQUESTER, TRIAGE
from loadkit.targets import (
    ROOT,
    SIGNING_SECRET,
    USERGROUPS,
    database,
    server_env,
    ticketbot_server,
    workdir,
)
from tests.support.slack_payloads import plain, static, users
from ticketbot.ids import CallbackId, InputId
from ticketbot.store.db import Database
from ticketbot.store.models import CardRefresh, SlaAlert, Ticket

TICKETS = 16
CATEGORIES = ["Hardware"] * 8 + ["Software"] * 5 + ["Network"] * 3
CONFIG = f"""\
agents: [{AGENT_GROUP}]
admins: [{ADMIN}]
triage_channel: {TRIAGE}
categories: [Hardware, Software, Network]
sla:
  alert_channel: C0SLAALERT
  routes:
    - {{channel: C0SLAHARD1, categories: [Hardware]}}
    - {{channel: C0SLANETW1, categories: [Network]}}
  warn_at: [0.5, 0.75]
  dm_assignee: true
  digest_threshold: 4
  check_interval_seconds: 5
"""
CARD_EVENT, ALERT_EVENT = "ticketbot_card", "ticketbot_sla_alert"
STATUS_EVENT = "ticketbot_status"  # the requester's status message (their confirmation)
OK, DROP = (0.0, False, 0.0), (0.0, True, 0.0)  # (delay before, answer dropped, answer late)
LATE_AFTER_TIMEOUT, LATE, SLOW = (0.0, False, 12.0), (0.0, False, 2.0), (3.0, False, 0.0)
# The posts of the raising phase (cards and status messages), then of each threshold's passes.
RAISING = [OK, DROP, OK, LATE_AFTER_TIMEOUT, OK, SLOW, OK, LATE] * 4
# A pass waits out the client's timeout on each answer later than that: one threshold has it.
PASSES = [
    [OK, DROP, OK, LATE_AFTER_TIMEOUT, OK, SLOW, LATE, OK, DROP],
    [OK, DROP, OK, SLOW, OK, LATE, OK, DROP],
    [DROP, OK, LATE, OK, SLOW, DROP],
]


def _raise_tickets(servers, fake) -> list:
    build = builder(fake)
    shortcut = interaction(build.shortcut(CallbackId.SHORTCUT_NEW, user_id=REQUESTER))

    class _Opener:  # open_view wants a bench: the fake and a way to send
        def __init__(self, server):
            self.fake = fake
            self.server = server

        def send(self, requests):
            return burst(self.server.port, SIGNING_SECRET, requests).outcomes

    view = open_view(_Opener(servers[0]), shortcut, CallbackId.CREATE_MODAL)
    per_replica: list[list] = [[], []]
    for n in range(TICKETS):
        values = {
            InputId.TITLE: {InputId.TITLE: plain(f"Printer {n} jammed (dup-{n:06d})")},
            InputId.PRIORITY: {InputId.PRIORITY: static("urgent")},
            InputId.CATEGORY: {InputId.CATEGORY: static(CATEGORIES[n % len(CATEGORIES)])},
            InputId.ASSIGNEE: {InputId.ASSIGNEE: users(AGENTS[n % len(AGENTS)])},
        }
        payload = build.view_submission(view, values, user_id=REQUESTER)
        per_replica[n % 2].append(interaction(payload, tag=f"dup-{n:06d}"))
    answers: list = []

    def send(server, requests) -> None:
        answers.extend(burst(server.port, SIGNING_SECRET, requests, concurrency=4, rate=8).outcomes)

    threads = [
        threading.Thread(target=send, args=(server, requests))
        for server, requests in zip(servers, per_replica, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _cards_settled(db: Database, limit: float = 90.0) -> float:
    """Seconds until every ticket's card is posted and recorded, with nothing left marked."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        with db.snapshot() as session:
            unposted = session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.card_ts.is_(None))
            )
            marked = session.scalar(select(func.count()).select_from(CardRefresh))
        if not unposted and not marked:
            return time.monotonic() - began
        time.sleep(0.5)
    return float("nan")


def _tick_both(envs: list[dict], now: datetime, logs: list[str]) -> None:
    """`ticketbot sla tick --now` from both replicas at the same moment."""
    argv = [sys.executable, "-m", "ticketbot.cli", "sla", "tick", "--now", now.isoformat()]
    runs = [
        subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for env in envs
    ]
    for run in runs:
        out, _ = run.communicate(timeout=300)
        logs.append(out.decode(errors="replace"))


def _due(db: Database, now: datetime) -> int:
    with db.snapshot() as session:
        return session.scalar(
            select(func.count())
            .select_from(SlaAlert)
            .where(SlaAlert.state == "pending", SlaAlert.notify_at <= now)
        )


def _warning_passes(db, fake, envs, logs) -> int:
    with db.snapshot() as session:
        newest = session.scalar(select(func.max(Ticket.created_at)))
    passes = 0
    for hours, plan in zip((2, 3, 4), PASSES, strict=True):  # 50 %, 75 % of 4 h, breach
        due_at = newest + timedelta(hours=hours, minutes=1)
        fake.clock_offset((due_at - datetime.now(UTC)).total_seconds())
        fake.plan("chat.postMessage", plan)
        for retry in range(5):  # later passes, minutes apart, retry what failed
            now = due_at + timedelta(minutes=3 * retry)
            _tick_both(envs, now, logs)
            passes += 2
            if not _due(db, now + timedelta(minutes=3)):
                break
        fake.clear_faults()
    return passes


def _count(db: Database, fake) -> dict:
    with db.snapshot() as session:
        tickets = session.scalars(select(Ticket.id)).all()
        alerts = {
            a.id: (a.ticket_id, a.kind, a.step, a.target, a.state, a.notify_at)
            for a in session.scalars(select(SlaAlert))
        }
    cards = Counter(
        m["metadata"]["event_payload"].get("ticket_id")
        for m in fake.posted(TRIAGE)
        if m["metadata"].get("event_type") == CARD_EVENT
    )
    posts = Counter(
        alert_id
        for m in fake.posted()
        if m["metadata"].get("event_type") == ALERT_EVENT
        for alert_id in m["metadata"]["event_payload"].get("alerts") or []
    )
    shown = [cards[t] for t in tickets]
    direct = [m["text"] for m in fake.posted("D" + REQUESTER[1:], everything=True)]
    statuses = Counter(
        m["metadata"]["event_payload"].get("ticket_id")
        for m in fake.posted()
        if m["metadata"].get("event_type") == STATUS_EVENT
    )
    confirmed = [statuses[t] for t in tickets]
    sent = [a for a, row in alerts.items() if row[4] == "sent"]
    return {
        "tickets with 1 / 0 / 2+ cards": (
            f"{shown.count(1)} / {shown.count(0)} / {sum(1 for c in shown if c > 1)}"
        ),
        "status messages 1 / 0 / 2+": (
            f"{confirmed.count(1)} / {confirmed.count(0)} / {sum(1 for c in confirmed if c > 1)}"
        ),
        "requester told to try again": sum(1 for t in direct if "try again" in t),
        "warnings due": len(alerts),
        "posted once / twice+ / never": (
            f"{sum(1 for a in alerts if posts[a] == 1)} / "
            f"{sum(1 for a in alerts if posts[a] > 1)} / "
            f"{sum(1 for a in alerts if not posts[a])}"
        ),
        "recorded sent": len(sent),
        "sent, never posted": sum(1 for a in sent if not posts[a]),
        "duplicates": sum(1 for c in shown if c > 1)
        + sum(1 for c in confirmed if c > 1)
        + sum(1 for a in alerts if posts[a] > 1),
    }


def run(kind: str, args) -> dict:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(workdir()))
        fake = stack.enter_context(FakeSlackProcess(USERGROUPS))
        url = stack.enter_context(database(kind, tmp, args.url))
        env = server_env(url, fake.api_url, tmp, config_yaml=CONFIG)
        servers = [
            ticketbot_server(env, tmp, workers=1, threads=8, name=f"replica-{name}")
            for name in "ab"
        ]
        for server in servers:
            stack.enter_context(server)
        db = Database(url)
        stack.callback(db.dispose)
        fake.plan("chat.postMessage", RAISING)
        answers = _raise_tickets(servers, fake)
        settled = _cards_settled(db)
        fake.clear_faults()
        logs: list[str] = []
        passes = _warning_passes(db, fake, [env, env], logs)
        time.sleep(2)  # the cards' "at risk" updates, after the last pass
        row = {"db": kind, "replicas": f"2 x {servers[0].expected_workers} worker"}
        row["tickets raised (200)"] = sum(1 for a in answers if a.status == 200)
        faults = fake.report()["faults"]
        row["posts that went wrong"] = ", ".join(
            f"{k.removeprefix('chat.postMessage: ')}: {v}" for k, v in sorted(faults.items())
        )
        row["cards settled in"] = f"{settled:.0f} s"
        row["SLA passes"] = passes
        row |= _count(db, fake)
        traces = sum(s.log.count("Traceback (most recent") for s in servers)
        row["tracebacks"] = traces + sum(log.count("Traceback (most recent") for log in logs)
        if args.log:
            for server in servers:
                (args.log / f"faults-dup-{server.name}-{kind}.log").write_text(server.log)
            (args.log / f"faults-dup-ticks-{kind}.log").write_text("\n".join(logs))
        return row
