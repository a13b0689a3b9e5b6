"""Reading one page of a thread: top-level comments by keyset, with every reply under them.

Both reads go through ``ix_comments_listing`` (thread, status, root, time, id), so a page
costs about ``limit`` roots plus their replies, however long the thread is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from .cursors import Position
from .tables import comments
from .types import UTCDateTime

__all__ = ["read_page"]

# A SQLAlchemy Row: its attributes are untyped anyway, and its generic parameters differ
# between SQLAlchemy 2.0 and 2.1.
_Row = Any

# Held comments an author may see of their own; never spam or deleted ones.
OWN_STATUS = "pending"


async def read_page(
    connection: AsyncConnection,
    thread_id: int,
    *,
    statuses: Sequence[str],
    include_ids: frozenset[int],
    newest_first: bool,
    limit: int,
    after: Position | None,
) -> tuple[list[_Row], Position | None]:
    """The rows of one page, roots in page order then replies oldest first, and the
    position the next page starts after (``None`` on the last page)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    roots = await _roots(connection, thread_id, statuses, include_ids, newest_first, limit, after)
    page = roots[:limit]
    replies = await _replies(connection, thread_id, statuses, include_ids, [r.id for r in page])
    following = Position(page[-1].created_at, page[-1].id) if len(roots) > limit else None
    return [*page, *replies], following


async def _roots(
    connection: AsyncConnection,
    thread_id: int,
    statuses: Sequence[str],
    include_ids: frozenset[int],
    newest_first: bool,
    limit: int,
    after: Position | None,
) -> list[_Row]:
    """Up to ``limit + 1`` roots after ``after``, the extra one telling that another page
    exists. One indexed range read per status, merged here: a single query with
    ``status IN (...)`` would have to sort every matching root before its LIMIT."""
    key = (comments.c.created_at, comments.c.id)
    # root_id is NULL on every row here, so sorting by it changes nothing; but it lets
    # PostgreSQL read ix_comments_listing in page order (it does not treat IS NULL as a
    # fixed prefix the way it treats "="), instead of sorting every root of the thread.
    sort = (comments.c.root_id, *key)
    order = [column.desc() for column in sort] if newest_first else list(sort)

    def page_of(query: Select[Any]) -> Select[Any]:
        query = query.where(comments.c.thread_id == thread_id, comments.c.root_id.is_(None))
        if after is not None:
            bound = tuple_(literal(after.created_at, UTCDateTime()), literal(after.id, Integer()))
            query = query.where(tuple_(*key) < bound if newest_first else tuple_(*key) > bound)
        return query.order_by(*order).limit(limit + 1)

    queries = [page_of(select(comments).where(comments.c.status == s)) for s in statuses]
    if include_ids:
        own = comments.c.id.in_(include_ids), comments.c.status == OWN_STATUS
        queries.append(page_of(select(comments).where(*own)))
    ordered = sorted(await _union(connection, queries), key=lambda row: (row.created_at, row.id))
    if newest_first:
        ordered.reverse()
    return ordered[: limit + 1]


async def _replies(
    connection: AsyncConnection,
    thread_id: int,
    statuses: Sequence[str],
    include_ids: frozenset[int],
    root_ids: list[int],
) -> list[_Row]:
    """Every shown reply under ``root_ids``, oldest first."""
    if not root_ids:
        return []
    under = comments.c.thread_id == thread_id, comments.c.root_id.in_(root_ids)
    queries = []
    if statuses:
        queries.append(select(comments).where(*under, comments.c.status.in_(statuses)))
    if include_ids:
        own = comments.c.id.in_(include_ids), comments.c.status == OWN_STATUS
        queries.append(select(comments).where(*under, *own))
    rows = await _union(connection, queries)
    return sorted(rows, key=lambda row: (row.created_at, row.id))


async def _union(connection: AsyncConnection, queries: list[Select[Any]]) -> list[_Row]:
    found: dict[int, _Row] = {}
    for query in queries:
        for row in await connection.execute(query):
            found[row.id] = row
    return list(found.values())
