"""`ticketbot backup PATH`: a consistent copy of a SQLite database while the bot writes, that
the app opens again with every committed ticket; refusals are one line and exit code 2, and a
failed backup leaves nothing behind. PostgreSQL is pg_dump's job: the command says how, and
the dump it prints is restored here for real."""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.databases import POSTGRES_URL, postgres_url
from tests.support.factories import AGENT, make_ticket
from ticketbot.services import comments, tickets
from ticketbot.services.export import export_tickets
from ticketbot.store.backup import pg_dump_command
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
from ticketbot.vocabulary import Status

ENV_KEYS = ("TICKETBOT_CONFIG", "DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
WROTE = re.compile(r"^wrote (?P<path>.+): (?P<size>\d+) bytes, (?P<tickets>\d+) ticket\(s\), "
                   r"integrity ok$")  # fmt: skip


def run(args, *, cwd, database_url, **options) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, **options,
    )  # fmt: skip


def sqlite_url(path) -> str:
    return f"sqlite:///{path}"


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


@pytest.fixture
def live(tmp_path):
    """The bot's database, migrated, in its own directory."""
    (tmp_path / "live").mkdir()
    database = Database(sqlite_url(tmp_path / "live" / "ticketbot.db"))
    upgrade(database)
    yield database
    database.dispose()


def work(session, *, policy, clock, title: str, **fields) -> None:
    """A ticket with two lines of history and a comment, in the caller's transaction."""
    ticket = make_ticket(session, policy=policy, now=clock.now(), title=title, **fields)
    tickets.assign(session=session, ticket=ticket, assignee_id=AGENT.user_id, viewer=AGENT,
                   now=clock.now())  # fmt: skip
    tickets.change_status(session=session, ticket=ticket, status=Status.IN_PROGRESS,
                          viewer=AGENT, now=clock.now(), policy=policy)  # fmt: skip
    comments.add_comment(session=session, ticket=ticket, viewer=AGENT, text=f"On it: {title}",
                         now=clock.now())  # fmt: skip


def summary(ticket: dict) -> tuple:
    return (
        ticket["number"],
        ticket["title"],
        str(ticket["status"]),
        [(h["field"], h["old_value"], h["new_value"]) for h in ticket["history"]],
        [c["text"] for c in ticket["comments"]],
    )


def committed(database: Database) -> list[tuple]:
    with database.transaction(read_only=True) as s:
        return [summary(t) for t in export_tickets(session=s)]


def restore(backup, tmp_path) -> tuple[list[dict], str]:
    """What an operator does: the backup put in place of a database, the app opened on it."""
    (tmp_path / "restored").mkdir()
    restored = tmp_path / "restored" / "ticketbot.db"
    shutil.copyfile(backup, restored)
    exported = run(["export", "--format", "json"], cwd=tmp_path, database_url=sqlite_url(restored))
    assert exported.returncode == 0, exported.stderr
    with sqlite3.connect(restored) as connection:
        (integrity,) = connection.execute("PRAGMA integrity_check").fetchone()
    return json.loads(exported.stdout), integrity


def test_a_backup_taken_while_tickets_are_written_restores_every_committed_one(
    live, tmp_path, clock, policy
):
    with live.transaction() as s:
        for n in range(40):
            work(s, policy=policy, clock=clock, title=f"Before the backup {n}")
    stop, writing, failures = threading.Event(), threading.Event(), []

    def keep_writing():
        # Another writer with its own engine and connection, as a gunicorn worker has.
        own = Database(url_of(live))
        try:
            n = 0
            while not stop.is_set():
                with own.transaction() as s:
                    work(s, policy=policy, clock=clock, title=f"During the backup {n}")
                n += 1
                writing.set()
        except Exception as error:
            failures.append(error)
            writing.set()
        finally:
            own.dispose()

    target = tmp_path / "backups" / "ticketbot.db"
    target.parent.mkdir()
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert writing.wait(60)
        before = committed(live)
        done = run(["backup", str(target)], cwd=tmp_path, database_url=url_of(live))
    finally:
        stop.set()
        writer.join()
    assert not failures
    assert done.returncode == 0, done.stderr
    wrote = WROTE.match(done.stdout.strip())
    assert wrote, done.stdout
    assert wrote["path"] == str(target) and int(wrote["size"]) == target.stat().st_size
    assert sorted(os.listdir(target.parent)) == ["ticketbot.db"]  # no -wal, -shm, .partial
    with sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True) as copy:
        # one self-contained file: not in WAL mode, which would want a -shm beside it
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copied = int(wrote["tickets"])
    assert copied > len(before)  # the writer committed more between our look and the copy

    restored, integrity = restore(target, tmp_path)
    assert integrity == "ok"
    assert [t["number"] for t in restored] == list(range(1, copied + 1))
    assert [summary(t) for t in restored[: len(before)]] == before
    for ticket in restored:  # each a whole transaction: never a ticket without its history
        assert [h["field"] for h in ticket["history"]] == ["assignee", "status"]
        assert [c["text"] for c in ticket["comments"]] == [f"On it: {ticket['title']}"]
    reopened = Database(sqlite_url(tmp_path / "restored" / "ticketbot.db"))
    with reopened.transaction() as s:  # the counters came along: numbering goes on
        assert make_ticket(s, policy=policy, now=clock.now()).number == copied + 1
    reopened.dispose()


def test_the_backup_neither_waits_for_a_writer_nor_copies_what_it_has_not_committed(
    live, tmp_path, clock, policy
):
    with live.transaction() as s:
        for n in range(3):
            work(s, policy=policy, clock=clock, title=f"Committed {n}")
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        # The writer's flock on ticketbot.db.writer and SQLite's write lock, held meanwhile.
        with live.transaction() as s:
            make_ticket(s, policy=policy, now=clock.now(), title="Not committed yet")
            s.flush()
            holding.set()
            release.wait(120)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    target = tmp_path / "copy.db"
    try:
        assert holding.wait(60)
        done = run(["backup", str(target)], cwd=tmp_path, database_url=url_of(live))
    finally:
        release.set()
        holder.join()
    assert done.returncode == 0, done.stderr
    assert WROTE.match(done.stdout.strip())["tickets"] == "3"
    restored, integrity = restore(target, tmp_path)
    assert integrity == "ok"
    assert [t["title"] for t in restored] == ["Committed 0", "Committed 1", "Committed 2"]
    assert [t[1] for t in committed(live)][-1] == "Not committed yet"  # it did commit after


def test_an_existing_file_is_replaced_only_with_force(live, tmp_path, clock, policy):
    with live.transaction() as s:
        work(s, policy=policy, clock=clock, title="Printer")
    target = tmp_path / "ticketbot.db.bak"
    target.write_bytes(b"last week's backup")
    refused = run(["backup", str(target)], cwd=tmp_path, database_url=url_of(live))
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"ticketbot: {target} exists: pass --force to replace it"
    assert target.read_bytes() == b"last week's backup"
    forced = run(["backup", "--force", str(target)], cwd=tmp_path, database_url=url_of(live))
    assert forced.returncode == 0, forced.stderr
    assert WROTE.match(forced.stdout.strip())["tickets"] == "1"
    restored, _ = restore(target, tmp_path)
    assert [t["title"] for t in restored] == ["Printer"]


@pytest.mark.parametrize(
    ("where", "extra", "error"),
    [
        ("missing/ticketbot.db", [], "the directory {tmp}/missing does not exist"),
        (".", [], "{tmp} is a directory: give the name of the file to write"),
        ("live/ticketbot.db", ["--force"],
         "{tmp}/live/ticketbot.db is the database itself: write the backup elsewhere"),
    ],
)  # fmt: skip
def test_refusals_are_one_line_and_touch_nothing(live, tmp_path, where, extra, error):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run(["backup", *extra, where], cwd=tmp_path, database_url=url_of(live))
    assert done.returncode == 2
    assert done.stderr.strip() == "ticketbot: " + error.format(tmp=tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_missing_database_is_not_created(tmp_path):
    done = run(["backup", "copy.db"], cwd=tmp_path, database_url="sqlite:///nowhere.db")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"ticketbot: no database at {tmp_path}/nowhere.db: check DATABASE_URL"
    )
    assert os.listdir(tmp_path) == []


def test_postgresql_is_pointed_to_pg_dump_without_the_password(tmp_path):
    url = "postgresql+psycopg://bob:s3cret@db.acme.com:5433/ticketbot"
    done = run(["backup", "/backups/ticketbot.dump"], cwd=tmp_path, database_url=url)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "ticketbot: PostgreSQL is backed up with pg_dump, not by ticketbot: pg_dump "
        "--format=custom --file /backups/ticketbot.dump --host db.acme.com --port 5433 "
        "--username bob ticketbot"
    )
    assert "s3cret" not in done.stderr and done.stdout == ""


@contextmanager
def unwritable(directory):
    """A directory nobody may write in, root included (root ignores the mode bits)."""
    directory.chmod(0o555)
    immutable = False
    try:
        probe = directory / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            chattr = shutil.which("chattr")
            if not chattr or subprocess.run([chattr, "+i", str(directory)]).returncode:
                pytest.skip("running as root, and this file system cannot make a directory "
                            "immutable (chattr +i)")  # fmt: skip
            immutable = True
        yield directory
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr"), "-i", str(directory)], check=True)
        directory.chmod(0o755)


def test_an_unwritable_directory_is_one_line_and_the_old_backup_stays(live, tmp_path):
    (tmp_path / "backups").mkdir()
    target = tmp_path / "backups" / "ticketbot.db"
    target.write_bytes(b"last week's backup")
    with unwritable(tmp_path / "backups"):
        done = run(["backup", "--force", str(target)], cwd=tmp_path, database_url=url_of(live))
    assert done.returncode == 2
    # EACCES from the mode bits, EPERM from an immutable directory (as root)
    assert re.fullmatch(
        f"ticketbot: cannot write in {re.escape(str(target.parent))}: "
        "(Permission denied|Operation not permitted)",
        done.stderr.strip(),
    )
    assert os.listdir(target.parent) == ["ticketbot.db"]
    assert target.read_bytes() == b"last week's backup"


def test_a_write_failing_midway_leaves_no_half_file_and_the_old_backup_stays(
    live, tmp_path, clock, policy
):
    with live.transaction() as s:
        for n in range(200):
            work(s, policy=policy, clock=clock, title=f"Ticket {n}", description="x" * 2000)
    live.dispose()  # its WAL folded into the file: the backup only reads
    size = (tmp_path / "live" / "ticketbot.db").stat().st_size
    limit = 128 * 1024
    assert size > 2 * limit
    (tmp_path / "backups").mkdir()
    target = tmp_path / "backups" / "ticketbot.db"
    target.write_bytes(b"last week's backup")

    def small_disk():  # in the child: files it writes cannot grow past `limit` bytes (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = run(["backup", "--force", str(target)], cwd=tmp_path, database_url=url_of(live),
               preexec_fn=small_disk)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"ticketbot: backup of {tmp_path}/live/ticketbot.db failed: disk I/O error"
    )
    assert os.listdir(target.parent) == ["ticketbot.db"]  # the temporary file is gone
    assert target.read_bytes() == b"last week's backup"


@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump and pg_restore are not installed (PostgreSQL's client tools)",
)
def test_pg_dump_and_pg_restore_bring_every_ticket_back(postgres_schema, tmp_path, clock, policy):
    """The pg_dump line `ticketbot backup` prints, then the schema lost and restored as the
    README says: every ticket back with its history, and numbering goes on."""
    schema = f"tb_{uuid.uuid4().hex[:10]}"  # our own: the run's schema stays for the others
    server = make_url(POSTGRES_URL)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    if server.password:
        env["PGPASSWORD"] = server.password
    dump = tmp_path / "ticketbot.dump"
    try:
        database = Database(postgres_url(schema))
        upgrade(database)
        with database.transaction() as s:
            for n in range(12):
                work(s, policy=policy, clock=clock, title=f"Ticket {n}")
        before = committed(database)
        database.dispose()

        told = run(["backup", str(dump)], cwd=tmp_path, database_url=postgres_url(schema))
        assert told.returncode == 2
        printed = pg_dump_command(make_url(postgres_url(schema)), dump)
        assert told.stderr.strip().endswith(": " + shlex.join(printed))
        dumped = subprocess.run([*printed, "--schema", schema], env=env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert dumped.returncode == 0, dumped.stderr

        with admin.connect() as connection:  # the loss
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connect = printed[printed.index("--file") + 2 : -1]  # --host, --port, --username
        restored = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--dbname", server.database, *connect,
             str(dump)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert restored.returncode == 0, restored.stderr

        exported = run(["export", "--format", "json"], cwd=tmp_path,
                       database_url=postgres_url(schema))  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        assert [summary(t) for t in json.loads(exported.stdout)] == before
        database = Database(postgres_url(schema))
        with database.transaction() as s:
            assert make_ticket(s, policy=policy, now=clock.now()).number == len(before) + 1
        database.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
