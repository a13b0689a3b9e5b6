"""The parts of the comment store's write jobs: synchronous, they run inside a group
commit (``Database.write``) on whatever connection the batch holds."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .errors import CommentNotFound, ParentNotFound
from .records import StoredComment
from .tables import comments, subscriptions, threads

__all__ = [
    "COMMENTS_WITH_PAGE",
    "SUBSCRIPTIONS_WITH_PAGE",
    "WITH_THREAD",
    "Row",
    "change",
    "delete_comment",
    "parent_of",
    "record",
    "subscribe_to",
]

# A SQLAlchemy Row: its attributes are untyped anyway, and its generic parameters differ
# between SQLAlchemy 2.0 and 2.1.
Row = Any

WITH_THREAD = select(comments, threads.c.key.label("thread_key"), threads.c.site).join(
    threads, threads.c.id == comments.c.thread_id
)

# Comments and subscriptions with the page they are on (lists across threads).
_PAGE = (
    threads.c.site,
    threads.c.key.label("thread_key"),
    threads.c.url.label("thread_url"),
    threads.c.title.label("thread_title"),
)
COMMENTS_WITH_PAGE = select(comments, *_PAGE).join(threads, threads.c.id == comments.c.thread_id)
SUBSCRIPTIONS_WITH_PAGE = select(subscriptions, *_PAGE).join(
    threads, threads.c.id == subscriptions.c.thread_id
)


def record(row: Row, thread_key: str | None = None, site: str | None = None) -> StoredComment:
    values = dict(row._mapping)
    if thread_key is not None:
        values.update(thread_key=thread_key, site=site)
    return StoredComment(**values)


def parent_of(
    connection: Connection, thread_id: int, parent_id: int | None, max_depth: int
) -> Row | None:
    """The comment a reply attaches to (``None``: top level), after depth clamping."""
    if parent_id is None:
        return None
    parent = read_node(connection, parent_id)
    if parent is None or parent.thread_id != thread_id or parent.status in {"deleted", "spam"}:
        raise ParentNotFound()
    while parent is not None and parent.depth + 1 > max_depth:
        parent = read_node(connection, parent.parent_id) if parent.parent_id else None
    return parent


def read_node(connection: Connection, comment_id: int) -> Row | None:
    columns = comments.c.id, comments.c.thread_id, comments.c.parent_id, comments.c.root_id
    query = select(*columns, comments.c.depth, comments.c.status).where(
        comments.c.id == comment_id
    )
    return connection.execute(query).first()


def change(connection: Connection, comment_id: int, values: dict[str, Any]) -> StoredComment:
    lock_thread_of(connection, comment_id)
    connection.execute(update(comments).where(comments.c.id == comment_id).values(values))
    row = connection.execute(WITH_THREAD.where(comments.c.id == comment_id)).one()
    return record(row)


def delete_comment(connection: Connection, comment_id: int) -> None:
    node: Row | None = lock_thread_of(connection, comment_id)
    if has_replies(connection, comment_id):
        connection.execute(
            update(comments)
            .where(comments.c.id == comment_id)
            .values(
                status="deleted",
                author="",
                email=None,
                website=None,
                client_key=None,
                consent_at=None,
                text="",
                html="",
                # Random, so the erased row can never collide on the duplicate key.
                author_key=secrets.token_hex(32),
            )
        )
        return
    while node is not None:
        connection.execute(delete(comments).where(comments.c.id == node.id))
        node = read_node(connection, node.parent_id) if node.parent_id else None
        if node is None or node.status != "deleted" or has_replies(connection, node.id):
            break


def lock_thread_of(connection: Connection, comment_id: int) -> Row:
    """The comment's node, after bumping its thread's version. Every writer takes the
    thread row first, then comments: concurrent writers to one thread queue up instead
    of deadlocking, and a reply and the deletion of its parent see each other."""
    node = read_node(connection, comment_id)
    if node is not None:
        connection.execute(
            update(threads)
            .where(threads.c.id == node.thread_id)
            .values(version=threads.c.version + 1)
        )
        # Read again under the lock: a writer before us may have changed or removed it.
        node = read_node(connection, comment_id)
    if node is None:
        raise CommentNotFound()
    return node


def has_replies(connection: Connection, comment_id: int) -> bool:
    query = select(comments.c.id).where(comments.c.parent_id == comment_id).limit(1)
    return connection.execute(query).first() is not None


def subscribe_to(connection: Connection, thread_id: int, email: str, now: datetime) -> int | None:
    """Ask for reply notifications: the new subscription's id, or ``None`` when the
    address already asked for this thread (confirmed or not)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(subscriptions)
        .values(thread_id=thread_id, email=email, created_at=now)
        .on_conflict_do_nothing(index_elements=["thread_id", "email"])
        .returning(subscriptions.c.id)
    )
    found = connection.execute(statement).scalar()
    return int(found) if found is not None else None
