"""Table definitions: one ``MetaData`` for the whole service.

These are the models the migrations must produce; ``tests/test_storage_migrations.py``
compares them with the migrated schema on every dialect. Change both together.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .records import COMMENT_STATUSES
from .types import UTCDateTime

__all__ = [
    "DUPLICATE_COMMENT",
    "comments",
    "metadata",
    "outbox",
    "rate_events",
    "share_events",
    "sites",
    "subscriptions",
    "threads",
]

# Explicit names make constraints addressable by later migrations (batch ALTERs on SQLite
# rebuild tables by name) and identical on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The store recognises a duplicate comment by this constraint's name.
DUPLICATE_COMMENT = "uq_comments_duplicate"

# One row per completed share, at most one per visitor network, page, network and day.
# ``client`` is a keyed hash that changes every day: rows cannot be linked across days,
# and nothing in it leads back to an address.
share_events = Table(
    "share_events",
    metadata,
    Column("site", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("network", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("client", String(64), nullable=False),
    UniqueConstraint("site", "url", "network", "day", "client", name="uq_share_events_once"),
    Index("ix_share_events_page", "site", "url"),
)

sites = Table(
    "sites",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# ``version`` goes up in the same transaction as every write to the thread's comments, so
# caches in any process can tell a changed thread by one indexed read.
threads = Table(
    "threads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site", String(64), ForeignKey("sites.key"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("title", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("site", "key"),
)

# ``root_id`` (the top-level ancestor, NULL for top-level comments) lets one page of a
# thread be read as "these roots and everything under them" without recursive queries.
# ``author_key`` and ``client_key`` are keyed hashes computed by the caller: no address and
# no plain email is needed to detect duplicates or floods.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", Integer, ForeignKey("threads.id"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id"), nullable=True),
    Column("root_id", Integer, nullable=True),
    Column("depth", SmallInteger, nullable=False),
    Column("author", String(100), nullable=False),
    Column("email", String(254), nullable=True),
    Column("author_key", String(64), nullable=False),
    Column("website", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("edited_at", UTCDateTime(), nullable=True),
    Column("client_key", String(64), nullable=True),
    Column("consent_at", UTCDateTime(), nullable=True),
    Column("text_hash", String(64), nullable=False),
    # Where an imported comment came from (``wxr:…``, ``isso:…``, ``disqus:…``): a
    # re-run of an import finds it and adds nothing. NULL for comments posted here.
    Column("source", String(200), nullable=True),
    UniqueConstraint("thread_id", "author_key", "text_hash", name=DUPLICATE_COMMENT),
    CheckConstraint(
        "status IN ({})".format(", ".join(f"'{status}'" for status in COMMENT_STATUSES)),
        name="status",
    ),
    # Listing: one status at a time, roots (root_id IS NULL) or the replies of a page of
    # roots, already in page order.
    Index("ix_comments_listing", "thread_id", "status", "root_id", "created_at", "id"),
    Index("ix_comments_client", "client_key", "created_at"),
    # A site's newest approved comments (its feed), newest first.
    Index("ix_comments_recent", "status", "created_at", "id"),
    # "Has it replies?" on delete, and the foreign-key check when a row goes.
    Index("ix_comments_parent", "parent_id"),
    # Moderation "first" (an approved comment from this address?) and privacy requests.
    Index("ix_comments_email", "email"),
    Index("uq_comments_source", "source", unique=True),
)

# Commenters who asked to be mailed about replies in a thread. ``confirmed_at`` is set
# when they follow the link in the confirmation mail (double opt-in); until then nothing
# but that one mail is sent. Unsubscribing deletes the row.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", Integer, ForeignKey("threads.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime(), nullable=True),
    UniqueConstraint("thread_id", "email"),
    Index("ix_subscriptions_email", "email"),
)

# The mail queue, durable across restarts and shared by every process. A row is an event
# to act on (``kind`` + JSON ``payload``, e.g. a new comment to tell the owner about),
# claimed by moving ``next_attempt_at`` forward (a lease), and deleted once handled.
# A row given up after too many attempts keeps ``next_attempt_at`` NULL and ``failed_at``.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("failed_at", UTCDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    Index("ix_outbox_due", "next_attempt_at"),
)

# Flood control shared by every process: one row per counted action.
rate_events = Table(
    "rate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_key", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_rate_events_lookup", "kind", "client_key", "created_at"),
)
