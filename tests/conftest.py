"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.scenario import slack  # noqa: F401  (a fixture)
from tests.support.fixtures import fake_slack  # noqa: F401  (a fixture)
from ticketbot.clock import FakeClock
from ticketbot.config import TicketbotConfig
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade
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


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema for this run, migrated once; tests empty its tables instead."""
    problem = _postgres_reachable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (TICKETBOT_REQUIRE_POSTGRES=1) but: {problem}")
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({problem}); start it or set "
            "TICKETBOT_TEST_POSTGRES_URL to run the PostgreSQL half of the suite"
        )
    schema = f"tb_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        database = Database(postgres_url(schema))
        upgrade(database)
        database.dispose()
        yield schema
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return (
        f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
        f"&application_name={application_name(schema)}"
    )


def _empty(database: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ticketbot.db'}"
    schema = request.getfixturevalue("postgres_schema")
    return postgres_url(schema)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    if database.dialect == "postgresql":
        _empty(database)
    else:
        upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def config() -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {
            "agents": ["U0AGT0001", "U0AGT0002"],
            "admins": ["U0MGR0001"],
            "triage_channel": "C0SUPPORT1",
            "sla": {"alert_channel": "C0SLAALERT"},
        }
    )


@pytest.fixture
def policy(config: TicketbotConfig) -> DeadlinePolicy:
    return DeadlinePolicy.from_config(config.sla)
