"""A consistent copy of the database while the bot runs.

SQLite: the online backup API copies every page inside one read transaction, so the copy is
the database as of one commit. In WAL mode a reader neither waits for nor blocks the writers,
so the bot (and its flock on `<db>.writer`, which only writers take) carries on meanwhile.
PostgreSQL has its own tool for this, pg_dump: we say so rather than pretend."""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """Why no backup was written, in one line for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    tickets: int


def pg_dump_command(url: URL, path: str | os.PathLike) -> list[str]:
    """The pg_dump line that backs up the database of `url` (never with its password)."""
    command = ["pg_dump", "--format=custom", "--file", str(path)]
    if url.host:
        command += ["--host", url.host]
    if url.port:
        command += ["--port", str(url.port)]
    if url.username:
        command += ["--username", url.username]
    return [*command, url.database or "DBNAME"]


def backup_database(url: str | URL, target: Path, *, force: bool = False) -> Backup:
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(
            "PostgreSQL is backed up with pg_dump, not by ticketbot: "
            f"{shlex.join(pg_dump_command(url, target))}"
        )
    if backend != "sqlite":
        raise BackupError(f"cannot back up a {backend} database: only SQLite and PostgreSQL")
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return backup_sqlite(Path(url.database), target, force=force)


def backup_sqlite(source: Path, target: Path, *, force: bool = False) -> Backup:
    """Copy `source` to `target` through a temporary file beside it, checked, then renamed:
    a backup that fails leaves no file behind and the previous one untouched."""
    source, target = source.absolute(), target.absolute()
    if not source.is_file():
        raise BackupError(f"no database at {source}: check DATABASE_URL")
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the name of the file to write")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    if target.exists():
        if target.samefile(source):
            raise BackupError(f"{target} is the database itself: write the backup elsewhere")
        if not force:
            raise BackupError(f"{target} exists: pass --force to replace it")
    try:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as error:
        raise BackupError(f"cannot write in {target.parent}: {error.strerror}") from None
    os.close(descriptor)  # mode 0600: a backup is as private as the database
    partial = Path(name)
    try:
        tickets = _copy(source, partial)
        _sync(partial)
        os.replace(partial, target)
    except BaseException:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        raise
    _sync(target.parent)
    return Backup(path=target, size=target.stat().st_size, tickets=tickets)


def _copy(source: Path, partial: Path) -> int:
    """Pages of `source` into `partial`, then checks; returns the number of tickets copied."""
    try:
        # Read-only: a backup never writes the live database, nor creates one.
        reader = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {source}: {error}") from None
    try:
        with closing(sqlite3.connect(partial)) as copy:
            return _fill(reader, copy, source)
    except sqlite3.Error as error:
        raise BackupError(f"backup of {source} failed: {error}") from None
    finally:
        reader.close()


def _fill(reader: sqlite3.Connection, copy: sqlite3.Connection, source: Path) -> int:
    # All pages in one step: one read transaction, so one snapshot. In steps, every commit
    # of the bot in between would restart the copy.
    reader.backup(copy, pages=-1)
    # The copy inherits WAL mode; in rollback mode it is one self-contained file that opens
    # anywhere, read-only media too, with no -wal or -shm beside it. The app turns WAL back
    # on when it opens the file.
    copy.execute("PRAGMA journal_mode=DELETE")
    problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(
            f"the copy fails its integrity check ({problems[0]}): nothing written; check the "
            f"database itself: sqlite3 {shlex.quote(str(source))} 'PRAGMA integrity_check'"
        )
    try:
        (tickets,) = copy.execute("SELECT count(*) FROM tickets").fetchone()
    except sqlite3.OperationalError:
        raise BackupError(
            f"{source} has no tickets table: not a ticketbot database (check DATABASE_URL)"
        ) from None
    return tickets


def _sync(path: Path) -> None:
    """Flush a file, or a directory's entries, to the disk: the rename must outlive a crash."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
