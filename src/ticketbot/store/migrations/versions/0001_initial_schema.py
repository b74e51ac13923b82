"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 18:11:51.875413
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "account",
                "contact",
                "supplier",
                "asset",
                name="partykind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column(
            "name_key",
            sa.String(length=150).with_variant(sa.String(length=150, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint(
            "workspace_id", "kind", "name_key", name=op.f("uq_parties_workspace_id_kind_name_key")
        ),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "ticket_counters",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_ticket_counters")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "waiting",
                "in_progress",
                "closed",
                name="status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="priority", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "engagement",
            sa.Enum(
                "standard",
                "2h",
                "4h",
                "6h",
                "8h",
                "24h",
                "48h",
                "72h",
                name="engagement",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=75), nullable=True),
        sa.Column("assignee_id", sa.String(length=32), nullable=True),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("product", sa.String(length=75), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum("public", "internal", name="visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "slash_command",
                "message_shortcut",
                "global_shortcut",
                "reaction",
                "app_home",
                "cli",
                name="source",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("origin_channel_id", sa.String(length=32), nullable=True),
        sa.Column("origin_ts", sa.String(length=32), nullable=True),
        sa.Column("card_channel_id", sa.String(length=32), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("sla_started_at", sa.DateTime(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_tickets_party_id_parties"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_tickets_workspace_id_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_card", ["card_channel_id", "card_ts"], unique=False)
        batch_op.create_index(
            "ix_tickets_origin", ["workspace_id", "origin_channel_id", "origin_ts"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_assignee_status", ["workspace_id", "assignee_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_open_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.create_index(
            "ix_tickets_requester_status", ["workspace_id", "requester_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_status_updated", ["workspace_id", "status", "updated_at"], unique=False
        )

    op.create_table(
        "comments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("slack_channel_id", sa.String(length=32), nullable=True),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_comments_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint(
            "ticket_id",
            "slack_channel_id",
            "slack_ts",
            name=op.f("uq_comments_ticket_id_slack_channel_id_slack_ts"),
        ),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_ticket", ["ticket_id", "id"], unique=False)

    op.create_table(
        "conversation_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("permalink", sa.String(length=500), nullable=True),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_conversation_links_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_links")),
        sa.UniqueConstraint(
            "ticket_id",
            "channel_id",
            "message_ts",
            name=op.f("uq_conversation_links_ticket_id_channel_id_message_ts"),
        ),
    )
    op.create_table(
        "ticket_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ticket_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_changes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_changes")),
    )
    with op.batch_alter_table("ticket_changes", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_changes_ticket", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_search_terms",
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "term",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_search_terms_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "term", name=op.f("pk_ticket_search_terms")),
    )
    with op.batch_alter_table("ticket_search_terms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_search_terms_lookup", ["workspace_id", "term"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_search_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_search_terms_lookup")

    op.drop_table("ticket_search_terms")
    with op.batch_alter_table("ticket_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_changes_ticket")

    op.drop_table("ticket_changes")
    op.drop_table("conversation_links")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_ticket")

    op.drop_table("comments")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_updated")
        batch_op.drop_index("ix_tickets_requester_status")
        batch_op.drop_index(
            "ix_tickets_open_due",
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.drop_index("ix_tickets_assignee_status")
        batch_op.drop_index("ix_tickets_card")
        batch_op.drop_index("ix_tickets_origin")

    op.drop_table("tickets")
    op.drop_table("ticket_counters")
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_received_at"))

    op.drop_table("processed_events")
    op.drop_table("parties")
