"""the requester's side: the conversation and status message of a ticket, internal notes,
the status and message outboxes, followers, and what each person chose

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SLACK_ID = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_channel_id", SLACK_ID, nullable=True))
        batch_op.add_column(sa.Column("conversation_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("status_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_tickets_conversation", ["conversation_channel_id", "conversation_ts"]
        )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    op.create_table(
        "status_refreshes",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_status_refreshes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_status_refreshes")),
    )
    with op.batch_alter_table("status_refreshes", schema=None) as batch_op:
        batch_op.create_index("ix_status_refreshes_available", ["available_at"], unique=False)

    op.create_table(
        "outgoing_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", SLACK_ID, nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("source_channel", SLACK_ID, nullable=True),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("edits_id", ID, nullable=True),
        sa.Column("posted_channel", SLACK_ID, nullable=True),
        sa.Column("posted_ts", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_outgoing_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edits_id"],
            ["outgoing_messages.id"],
            name=op.f("fk_outgoing_messages_edits_id_outgoing_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_messages")),
    )
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outgoing_messages_pending",
            ["available_at"],
            unique=False,
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )
        batch_op.create_index(
            "ix_outgoing_messages_source", ["source_channel", "source_ts"], unique=False
        )
        batch_op.create_index("ix_outgoing_messages_ticket", ["ticket_id", "id"], unique=False)

    op.create_table(
        "followers",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("added_by", SLACK_ID, nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_followers_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_followers")),
    )
    op.create_table(
        "people",
        sa.Column("workspace_id", SLACK_ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("notify", sa.String(length=16), nullable=False, server_default="replies"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name=op.f("pk_people")),
    )


def downgrade() -> None:
    op.drop_table("people")
    op.drop_table("followers")
    with op.batch_alter_table("outgoing_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_messages_ticket")
        batch_op.drop_index("ix_outgoing_messages_source")
        batch_op.drop_index("ix_outgoing_messages_pending")
    op.drop_table("outgoing_messages")
    with op.batch_alter_table("status_refreshes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_refreshes_available")
    op.drop_table("status_refreshes")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("internal")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_conversation")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("status_ts")
        batch_op.drop_column("conversation_ts")
        batch_op.drop_column("conversation_channel_id")
