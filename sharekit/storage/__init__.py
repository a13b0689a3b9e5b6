"""Storage: the only package that talks to the database (SQLAlchemy, async).

SQLite (``aiosqlite``) by default; PostgreSQL (``asyncpg``) for several workers or hosts.
"""

from __future__ import annotations

from .database import Database

__all__ = ["Database"]
