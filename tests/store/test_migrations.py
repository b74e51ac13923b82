"""Migrations build the schema from empty on both databases, and match the models."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from tests.support.factories import REQUESTER, make_ticket
from ticketbot.services import comments
from ticketbot.store.migrate import alembic_config, current_revision, upgrade
from ticketbot.store.models import Base, Comment, TicketChange


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


def test_comments_deleted_before_0008_lose_their_text_and_gain_a_history_line(
    database, clock, policy
):
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    with database.transaction() as s:  # as a deletion in Slack left a comment until then
        ticket = make_ticket(s, policy=policy, now=clock.now())
        kept = comments.add_comment(session=s, ticket=ticket, viewer=REQUESTER, text="Kept",
                                    now=clock.now())  # fmt: skip
        old = comments.add_comment(session=s, ticket=ticket, viewer=REQUESTER, text="hunter2",
                                   now=clock.now())  # fmt: skip
        old.deleted_at = clock.now() + timedelta(minutes=5)
        kept_id, version = kept.id, ticket.version
    upgrade(database)
    with database.snapshot() as s:
        rows = s.scalars(select(Comment).order_by(Comment.id)).all()
        assert [(c.id == kept_id, c.text) for c in rows] == [(True, "Kept"), (False, "")]
        lines = s.scalars(select(TicketChange)).all()
        assert [(c.field, c.new_value, c.actor_id, c.at, c.ticket_version) for c in lines] == [
            ("comment", "deleted", REQUESTER.user_id, clock.now() + timedelta(minutes=5), version)
        ]
