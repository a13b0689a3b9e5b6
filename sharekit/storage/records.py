"""What the stores return: frozen rows, free of SQLAlchemy, safe to pass anywhere.

``StoredComment`` holds personal data (email, keys): it is the storage record, not what a
visitor sees; the comments package maps it to its public model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["COMMENT_STATUSES", "StoredComment", "Thread"]

# What a comment can be: held for moderation, shown, caught as spam, or a deleted
# placeholder kept for its replies.
COMMENT_STATUSES = ("pending", "approved", "spam", "deleted")


@dataclass(frozen=True, slots=True)
class Thread:
    """One commented page of a site, known by the key the site gives it."""

    id: int
    site: str
    key: str
    url: str
    title: str
    created_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class StoredComment:
    """One comment row with the site and thread key it belongs to."""

    id: int
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    author: str
    email: str | None
    author_key: str
    website: str | None
    text: str
    html: str
    status: str  # one of COMMENT_STATUSES
    created_at: datetime
    edited_at: datetime | None
    client_key: str | None
    consent_at: datetime | None
    text_hash: str
    thread_key: str
    site: str
    source: str | None = None  # where an imported comment came from
