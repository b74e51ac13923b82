"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.support.databases import (
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    START,
    empty,
    postgres_reachable,
    postgres_url,
)
from tests.support.fixtures import fake_slack  # noqa: F401  (a fixture)
from tests.support.installs import installs  # noqa: F401  (a fixture)
from tests.support.scenario import slack  # noqa: F401  (a fixture)
from ticketbot.clock import FakeClock
from ticketbot.config import TicketbotConfig
from ticketbot.services.deadlines import DeadlinePolicy
from ticketbot.store.db import Database
from ticketbot.store.migrate import upgrade


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema for this run, migrated once; tests empty its tables instead."""
    problem = postgres_reachable()
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
        empty(database)
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
