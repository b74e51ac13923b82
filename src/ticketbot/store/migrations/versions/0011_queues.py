"""queues: each ticket's queue, agents away, and the round-robin turn of each queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SLACK_ID = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queue", sa.String(length=40), nullable=False, server_default="default")
        )
        batch_op.create_index(
            "ix_tickets_queue_status", ["workspace_id", "queue", "status"], unique=False
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("away", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "queue_turns",
        sa.Column("workspace_id", SLACK_ID, nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("last_assignee_id", SLACK_ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "queue", name=op.f("pk_queue_turns")),
    )


def downgrade() -> None:
    op.drop_table("queue_turns")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("away")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_queue_status")
        batch_op.drop_column("queue")
