"""What the load runs against: a database with seeded tickets and live cards, and a server
(`ticketbot serve`, or the bare Bolt app) in a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from loadkit.payloads import ADMIN, AGENT_GROUP, AGENTS, CONFIG_YAML, REQUESTER, Card
from tests.support.slack_payloads import TEAM_ID
from ticketbot.clock import SystemClock
from ticketbot.config import Settings, parse_config
from ticketbot.runtime import Runtime
from ticketbot.services.inputs import TicketDraft, validate
from ticketbot.services.tickets import create_ticket
from ticketbot.slack.cards import send_card
from ticketbot.slack.client import slack_client
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
from ticketbot.store.models import CardRefresh, Comment, TicketChange

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
POSTGRES = os.environ.get(
    "TICKETBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
USERGROUPS = {AGENT_GROUP: AGENTS}
# How the benchmark finds its own PostgreSQL backends among other users of the server.
APPLICATION_NAME = "ticketbot_bench"


@contextmanager
def database(
    kind: str,
    workdir: Path,
    admin_url: str = POSTGRES,
    application: str = APPLICATION_NAME,
    *,
    own_role: bool = False,
) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a private PostgreSQL schema dropped after.

    `own_role`: on PostgreSQL the schema belongs to a login role made for the run (not a
    superuser), and the URL connects as it, so that its connections alone can be refused
    (`ALTER ROLE ... CONNECTION LIMIT 0`) without touching anyone else's. Dropped after."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        upgrade_url(url)
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = make_url(admin_url)
    with admin.connect() as connection:
        if own_role:
            connection.execute(text(f'CREATE ROLE "{schema}" LOGIN'))
            connection.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{schema}"'))
            base = base.set(username=schema, password=None)
        else:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        plain = base.render_as_string(hide_password=False)
        separator = "&" if "?" in plain else "?"
        url = f"{plain}{separator}options=-csearch_path%3D{schema}&application_name={application}"
        upgrade_url(url)
        yield url
    finally:
        with admin.connect() as connection:
            if own_role:
                connection.execute(text(f'ALTER ROLE "{schema}" CONNECTION LIMIT -1'))
                end_sessions(connection, schema)
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            if own_role:
                connection.execute(text(f'DROP ROLE "{schema}"'))
        admin.dispose()


def end_sessions(connection, role: str) -> int:
    """Terminate every backend of `role` (what they had not committed rolls back)."""
    ended = connection.execute(
        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"),
        {"role": role},
    )
    return len(ended.all())


def upgrade_url(url: str) -> None:
    db = Database(url)
    try:
        upgrade(db)
    finally:
        db.dispose()


def settings(database_url: str, api_url: str) -> Settings:
    return Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=api_url,
        database_url=database_url,
    )


def seed_cards(database_url: str, fake, count: int) -> list[Card]:
    """Tickets raised as the app raises them, each with its live card in the triage channel;
    a third assigned to each agent so App Home has something to list."""
    runtime = Runtime(
        settings=settings(database_url, fake.api_url),
        config=parse_config(CONFIG_YAML, "benchmark config"),
        database=Database(database_url),
        clock=SystemClock(),
    )
    client = slack_client(runtime.settings)
    cards = []
    try:
        for index in range(count):
            with runtime.database.transaction() as session:
                ticket = create_ticket(
                    session=session,
                    workspace_id=TEAM_ID,
                    draft=validate(
                        TicketDraft,
                        {
                            "title": f"Printer {index} on floor 3 is jammed",
                            "description": "Paper stuck in tray 2. " * 10,
                            "assignee_id": AGENTS[index % 3] if index % 3 else None,
                            "category": "Hardware",
                        },
                    ),
                    requester_id=(REQUESTER, AGENTS[0], ADMIN)[index % 3],
                    now=datetime.now(UTC),
                    policy=runtime.policy,
                )
            # Posted and recorded as the request that raises a ticket does; raises when the
            # fake Slack refuses it.
            send_card(runtime, client, ticket, look_first=False)
            cards.append(
                Card(
                    number=ticket.number,
                    channel=ticket.card_channel_id,
                    ts=ticket.card_ts,
                    message=fake.message(ticket.card_channel_id, ticket.card_ts),
                )
            )
    finally:
        runtime.database.dispose()
    return cards


class Counts:
    """Rows the load writes, read from outside the server."""

    def __init__(self, database_url: str) -> None:
        self._database = Database(database_url)

    def comments(self) -> int:
        with self._database.snapshot() as session:
            return session.scalar(select(func.count()).select_from(Comment)) or 0

    def history(self) -> int:
        with self._database.snapshot() as session:
            return session.scalar(select(func.count()).select_from(TicketChange)) or 0

    def shown_history(self) -> int:
        """History lines written, less the cards still waiting for their refresh: reaches
        the count of changes once every card shows its ticket's latest state (card updates
        are coalesced, so chat.update calls do not count the changes)."""
        with self._database.snapshot() as session:
            written = session.scalar(select(func.count()).select_from(TicketChange)) or 0
            waiting = session.scalar(select(func.count()).select_from(CardRefresh)) or 0
        return written - waiting

    def close(self) -> None:
        self._database.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn master in a subprocess; its workers are the processes measured."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self._argv = [*argv, "--host", "127.0.0.1", "--port", str(self.port)]
        self._env = env
        self._log_path = logdir / f"{name.replace('/', '_')}.log"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        log = self._log_path.open("w")
        self._process = subprocess.Popen(
            self._argv, env=self._env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: see {self._log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    if len(self.workers()) >= self.expected_workers:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 60 s: see {self._log_path}")

    def __exit__(self, *exc) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            self._process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def expected_workers(self) -> int:
        return int(self._argv[self._argv.index("--workers") + 1])

    def workers(self) -> list[int]:
        assert self._process is not None
        pid = self._process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return sorted(int(child) for child in children)

    def rss_kib(self) -> dict[int, int]:
        """Resident memory of each worker, from /proc/<pid>/status."""
        sizes = {}
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1])
            except OSError:
                continue
        return sizes

    @property
    def log(self) -> str:
        return self._log_path.read_text(errors="replace")


def server_env(
    database_url: str,
    api_url: str,
    workdir: Path,
    src: Path = ROOT / "src",
    config_yaml: str = CONFIG_YAML,
) -> dict[str, str]:
    """The server's environment; `src` chooses which ticketbot code it runs."""
    config = workdir / "ticketbot.yml"
    config.write_text(config_yaml)
    paths = [str(src), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "TICKETBOT_CONFIG": str(config),
        "LOG_LEVEL": "INFO",
    }


def ticketbot_server(
    env: dict[str, str],
    logdir: Path,
    *,
    workers: int,
    threads: int,
    name: str = "ticketbot",
    extra: list[str] = (),
) -> Server:
    argv = [sys.executable, "-m", "ticketbot.cli", "serve"]
    argv += ["--workers", str(workers), "--threads", str(threads), *extra]
    return Server(name, argv, env, logdir)


def bare_server(
    env: dict[str, str], logdir: Path, *, workers: int, threads: int, extra: list[str] = ()
) -> Server:
    argv = [sys.executable, str(BENCHMARKS / "bare_bolt.py")]
    argv += ["--workers", str(workers), "--threads", str(threads), *extra]
    return Server("bare-bolt", argv, env, logdir)


def workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="ticketbot-bench-")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def postgres_pids(application: str, admin_url: str = POSTGRES) -> list[int]:
    """The PostgreSQL backends serving one target's connections (not other users')."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": application},
            )
            return [row.pid for row in rows]
    except Exception:
        return []
    finally:
        engine.dispose()


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / ticks, total / ticks
