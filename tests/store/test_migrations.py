"""Migrations build the schema from empty on both databases, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ticketbot.store.migrate import current_revision, upgrade
from ticketbot.store.models import Base


def test_from_empty_to_head_matches_the_models(database):
    upgrade(database)  # a second run is a no-op
    assert current_revision(database) is not None
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    tables = set(inspect(database.engine).get_table_names())
    assert {
        "tickets",
        "ticket_changes",
        "comments",
        "conversation_links",
        "parties",
        "processed_events",
        "ticket_search_terms",
        "ticket_counters",
    } <= tables


def test_indexes_the_product_queries(database):
    indexes = {ix["name"] for ix in inspect(database.engine).get_indexes("tickets")}
    assert {
        "ix_tickets_open_due",
        "ix_tickets_assignee_status",
        "ix_tickets_requester_status",
        "ix_tickets_card",
    } <= indexes
    uniques = inspect(database.engine).get_unique_constraints("tickets")
    assert any(u["column_names"] == ["workspace_id", "number"] for u in uniques)
