"""Storage: the only package that talks to the database (SQLAlchemy, async).

SQLite (``aiosqlite``) by default; PostgreSQL (``asyncpg``) for several workers or hosts.
``database`` holds the engine, ``migrate`` the schema (Alembic, ``migrations/``), ``tables``
the models; one store per aggregate (``shares``, ``comments``) returns the frozen
``records``, and raises the ``errors`` here or ``ServiceUnavailable`` when the database is down.
"""

from __future__ import annotations

from .comments import CommentStore
from .database import Database
from .errors import CommentNotFound, DuplicateComment, InvalidCursor, ParentNotFound
from .records import COMMENT_STATUSES, StoredComment, Thread
from .shares import ShareCounts

__all__ = [
    "COMMENT_STATUSES",
    "CommentNotFound",
    "CommentStore",
    "Database",
    "DuplicateComment",
    "InvalidCursor",
    "ParentNotFound",
    "ShareCounts",
    "StoredComment",
    "Thread",
]
