"""An index for the newest approved comments of a site (its Atom feed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_comments_recent"), "comments", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_comments_recent"), table_name="comments")
