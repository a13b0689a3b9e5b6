"""Initial schema: share events, sites, threads, comments, rate events.

Revision ID: 0001
Revises:
Create Date: 2026-11-01

Names are wrapped in ``op.f()``: they are final, not run through the naming convention
again. Types are spelled out here rather than imported from ``tables.py``: a revision is a frozen
record of the schema at its time, and must not change when the models do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Databases made before migrations existed already have share_events (created by
    # ``create_all`` with the same definition): keep their rows and adopt the table. An
    # offline SQL script is for a new database.
    if context.is_offline_mode() or not sa.inspect(op.get_bind()).has_table("share_events"):
        op.create_table(
            "share_events",
            sa.Column("site", sa.String(64), nullable=False),
            sa.Column("url", sa.String(2048), nullable=False),
            sa.Column("network", sa.String(32), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("client", sa.String(64), nullable=False),
            sa.UniqueConstraint(
                "site", "url", "network", "day", "client", name=op.f("uq_share_events_once")
            ),
        )
        op.create_index(op.f("ix_share_events_page"), "share_events", ["site", "url"])

    op.create_table(
        "sites",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sites")),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threads")),
        sa.ForeignKeyConstraint(["site"], ["sites.key"], name=op.f("fk_threads_site_sites")),
        sa.UniqueConstraint("site", "key", name=op.f("uq_threads_site_key")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("author_key", sa.String(64), nullable=False),
        sa.Column("website", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("edited_at", UTC_DATETIME, nullable=True),
        sa.Column("client_key", sa.String(64), nullable=True),
        sa.Column("consent_at", UTC_DATETIME, nullable=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_comments_thread_id_threads")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")
        ),
        sa.UniqueConstraint(
            "thread_id", "author_key", "text_hash", name=op.f("uq_comments_duplicate")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'spam', 'deleted')", name=op.f("ck_comments_status")
        ),
    )
    op.create_index(
        op.f("ix_comments_listing"),
        "comments",
        ["thread_id", "status", "root_id", "created_at", "id"],
    )
    op.create_index(op.f("ix_comments_client"), "comments", ["client_key", "created_at"])
    op.create_index(op.f("ix_comments_parent"), "comments", ["parent_id"])
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    op.create_index(
        op.f("ix_rate_events_lookup"), "rate_events", ["kind", "client_key", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("rate_events")
    op.drop_table("comments")
    op.drop_table("threads")
    op.drop_table("sites")
    op.drop_table("share_events")
