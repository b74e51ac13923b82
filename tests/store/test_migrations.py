"""Migrations build the schema from empty on both databases, and match the models."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.support.factories import REQUESTER
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
    now, deleted = clock.now(), clock.now() + timedelta(minutes=5)
    with database.engine.begin() as c:  # as a deletion in Slack left a comment until then
        # The tables as they were at 0007: written without the models, which are newer.
        ticket_id = c.execute(
            text(
                "INSERT INTO tickets (workspace_id, number, title, description, solution, "
                "status, priority, engagement, requester_id, visibility, source, created_at, "
                "updated_at, sla_started_at, paused_seconds, version) VALUES ('T0TEAM001', 1, "
                "'Printer', '', '', 'open', 'normal', 'standard', :requester, 'public', "
                "'slash_command', :now, :now, :now, 0, 1) RETURNING id"
            ),
            {"requester": REQUESTER.user_id, "now": now.replace(tzinfo=None)},
        ).scalar_one()
        comment = text(
            "INSERT INTO comments (ticket_id, author_id, text, created_at, deleted_at) "
            "VALUES (:ticket, :author, :text, :now, :deleted) RETURNING id"
        )
        kept_id = c.execute(
            comment,
            {"ticket": ticket_id, "author": REQUESTER.user_id, "text": "Kept",
             "now": now.replace(tzinfo=None), "deleted": None},
        ).scalar_one()  # fmt: skip
        c.execute(
            comment,
            {"ticket": ticket_id, "author": REQUESTER.user_id, "text": "hunter2",
             "now": now.replace(tzinfo=None), "deleted": deleted.replace(tzinfo=None)},
        )  # fmt: skip
        version = 1
    upgrade(database)
    with database.snapshot() as s:
        rows = s.scalars(select(Comment).order_by(Comment.id)).all()
        assert [(c.id == kept_id, c.text) for c in rows] == [(True, "Kept"), (False, "")]
        lines = s.scalars(select(TicketChange)).all()
        assert [(c.field, c.new_value, c.actor_id, c.at, c.ticket_version) for c in lines] == [
            ("comment", "deleted", REQUESTER.user_id, clock.now() + timedelta(minutes=5), version)
        ]
