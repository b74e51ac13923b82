"""The test databases: PostgreSQL's address and this run's private schema, SQLite files."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from ticketbot.store.db import Database
from ticketbot.store.models import Base

POSTGRES_URL = os.environ.get(
    "TICKETBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("TICKETBOT_REQUIRE_POSTGRES") == "1"


def application_name(schema: str) -> str:
    """How a test run finds its own connections on the server (to drop them, as a restart
    does) without touching other runs sharing that server."""
    return f"ticketbot_{schema}"


START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0]


def postgres_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return (
        f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
        f"&application_name={application_name(schema)}"
    )


def empty(database: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def end_connections(schema: str) -> int:
    """End every server connection of this run (its application name), as a restart of the
    server does, waiting until each is gone: a restarted server takes connections again only
    then. How many there were."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND application_name = :name"
                ),
                {"name": application_name(schema)},
            )
    finally:
        admin.dispose()
