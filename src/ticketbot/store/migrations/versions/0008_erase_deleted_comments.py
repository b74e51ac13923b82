"""comments deleted in Slack before 0008 kept their text: erase it, and write the history line
a deletion writes now

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO ticket_changes"
            " (ticket_id, field, old_value, new_value, actor_id, at, ticket_version)"
            " SELECT c.ticket_id, 'comment', NULL, 'deleted', c.author_id, c.deleted_at,"
            " t.version"
            " FROM comments c JOIN tickets t ON t.id = c.ticket_id"
            " WHERE c.deleted_at IS NOT NULL AND (c.text <> '' OR c.files IS NOT NULL)"
            " ORDER BY c.deleted_at, c.id"
        )
    )
    op.execute(sa.text("UPDATE comments SET text = '', files = NULL WHERE deleted_at IS NOT NULL"))


def downgrade() -> None:
    pass  # what was erased stays erased
