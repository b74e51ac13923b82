"""card refresh outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:25:38.831450
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_refreshes",
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_card_refreshes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_card_refreshes")),
    )
    with op.batch_alter_table("card_refreshes", schema=None) as batch_op:
        batch_op.create_index("ix_card_refreshes_available", ["available_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_refreshes", schema=None) as batch_op:
        batch_op.drop_index("ix_card_refreshes_available")

    op.drop_table("card_refreshes")
