"""The comment store: threads of comments per site, flood-control events, retention.

Every method is one transaction. Database failures become
:class:`~sharekit.errors.ServiceUnavailable`; the errors in :mod:`.errors` say what the
caller did wrong.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from . import cursors
from .database import Database
from .errors import CommentNotFound, DuplicateComment, ParentNotFound
from .listing import read_page
from .records import COMMENT_STATUSES, StoredComment, Thread
from .tables import DUPLICATE_COMMENT, comments, rate_events, sites, threads
from .types import require_aware

__all__ = ["CommentStore"]

# A SQLAlchemy Row: its attributes are untyped anyway, and its generic parameters differ
# between SQLAlchemy 2.0 and 2.1.
_Row = Any

# SQLite names the columns of a violated unique constraint, PostgreSQL names the constraint.
_DUPLICATE_KEY = next(
    constraint
    for constraint in comments.constraints
    if isinstance(constraint, UniqueConstraint) and constraint.name == DUPLICATE_COMMENT
)
_DUPLICATE_MARKS = (
    DUPLICATE_COMMENT,
    ", ".join(f"comments.{column.name}" for column in _DUPLICATE_KEY.columns),
)

_WITH_THREAD = select(comments, threads.c.key.label("thread_key"), threads.c.site).join(
    threads, threads.c.id == comments.c.thread_id
)


def _record(row: _Row, thread_key: str | None = None, site: str | None = None) -> StoredComment:
    values = dict(row._mapping)
    if thread_key is not None:
        values.update(thread_key=thread_key, site=site)
    return StoredComment(**values)


def _check_status(status: str) -> None:
    if status not in COMMENT_STATUSES:
        raise ValueError(f"unknown comment status {status!r}; expected one of {COMMENT_STATUSES}")


def _duplicate(exc: IntegrityError) -> bool:
    message = str(exc.orig)
    return any(mark in message for mark in _DUPLICATE_MARKS)


class CommentStore:
    """Comments of every site in one database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._dialect = postgresql if database.dialect == "postgresql" else sqlite

    # -- writing ---------------------------------------------------------------------

    async def add(
        self,
        site: str,
        thread_key: str,
        url: str,
        title: str,
        *,
        parent_id: int | None,
        author: str,
        email: str | None,
        author_key: str,
        website: str | None,
        text: str,
        html: str,
        status: str,
        client_key: str | None,
        consent_at: datetime | None,
        text_hash: str,
        max_depth: int,
        now: datetime,
    ) -> StoredComment:
        """Store a comment, creating the site and thread on first use.

        A reply deeper than ``max_depth`` is attached to the parent's ancestor at
        ``max_depth - 1``, so it lands at ``max_depth``. Raises :class:`ParentNotFound` and
        :class:`DuplicateComment`; nothing is stored then.
        """
        _check_status(status)
        now = require_aware(now)
        consent_at = require_aware(consent_at) if consent_at else None
        insert = self._dialect.insert
        async with self.database.writing() as connection:
            await connection.execute(
                insert(sites).values(key=site, created_at=now).on_conflict_do_nothing()
            )
            # Insert or touch in one statement: the first url and title stay, the version
            # goes up, and the row lock orders concurrent writers to this thread.
            thread_id = (
                await connection.execute(
                    insert(threads)
                    .values(site=site, key=thread_key, url=url, title=title, created_at=now)
                    .on_conflict_do_update(
                        index_elements=[threads.c.site, threads.c.key],
                        set_={"version": threads.c.version + 1},
                    )
                    .returning(threads.c.id)
                )
            ).scalar_one()
            parent = await self._parent(connection, thread_id, parent_id, max_depth)
            values = {
                "thread_id": thread_id,
                "parent_id": parent.id if parent else None,
                "root_id": (parent.root_id or parent.id) if parent else None,
                "depth": parent.depth + 1 if parent else 0,
                "author": author,
                "email": email,
                "author_key": author_key,
                "website": website,
                "text": text,
                "html": html,
                "status": status,
                "created_at": now,
                "client_key": client_key,
                "consent_at": consent_at,
                "text_hash": text_hash,
            }
            try:
                row = (
                    await connection.execute(
                        comments.insert().values(values).returning(*comments.c)
                    )
                ).one()
            except IntegrityError as exc:
                if _duplicate(exc):
                    raise DuplicateComment() from exc
                raise
        return _record(row, thread_key, site)

    async def _parent(
        self, connection: AsyncConnection, thread_id: int, parent_id: int | None, max_depth: int
    ) -> _Row | None:
        """The comment a reply attaches to (``None``: top level), after depth clamping."""
        if parent_id is None:
            return None
        parent = await self._node(connection, parent_id)
        if parent is None or parent.thread_id != thread_id or parent.status in {"deleted", "spam"}:
            raise ParentNotFound()
        while parent is not None and parent.depth + 1 > max_depth:
            parent = await self._node(connection, parent.parent_id) if parent.parent_id else None
        return parent

    @staticmethod
    async def _node(connection: AsyncConnection, comment_id: int) -> _Row | None:
        columns = comments.c.id, comments.c.thread_id, comments.c.parent_id, comments.c.root_id
        query = select(*columns, comments.c.depth, comments.c.status).where(
            comments.c.id == comment_id
        )
        return (await connection.execute(query)).first()

    async def update_text(
        self, comment_id: int, text: str, html: str, text_hash: str, now: datetime
    ) -> StoredComment:
        """Replace a comment's text and mark it edited; :class:`DuplicateComment` when the
        author already posted the new text in this thread."""
        values = {"text": text, "html": html, "text_hash": text_hash}
        values_now = {**values, "edited_at": require_aware(now)}
        async with self.database.writing() as connection:
            try:
                return await self._change(connection, comment_id, values_now)
            except IntegrityError as exc:
                if _duplicate(exc):
                    raise DuplicateComment() from exc
                raise

    async def set_status(self, comment_id: int, status: str) -> StoredComment:
        """Approve, hold, mark as spam or as deleted (keeping the data: see :meth:`delete`)."""
        _check_status(status)
        async with self.database.writing() as connection:
            return await self._change(connection, comment_id, {"status": status})

    async def _change(
        self, connection: AsyncConnection, comment_id: int, values: dict[str, Any]
    ) -> StoredComment:
        await self._lock_thread_of(connection, comment_id)
        await connection.execute(
            update(comments).where(comments.c.id == comment_id).values(values)
        )
        row = (await connection.execute(_WITH_THREAD.where(comments.c.id == comment_id))).one()
        return _record(row)

    async def delete(self, comment_id: int) -> None:
        """Remove a comment. One with replies stays as a ``deleted`` placeholder without
        any personal data, so the replies keep their place; deleted placeholders left
        without replies go too."""
        async with self.database.writing() as connection:
            node = await self._lock_thread_of(connection, comment_id)
            if await self._has_replies(connection, comment_id):
                await connection.execute(
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
            else:
                while node is not None:
                    await connection.execute(delete(comments).where(comments.c.id == node.id))
                    node = await self._node(connection, node.parent_id) if node.parent_id else None
                    if node is None or node.status != "deleted":
                        break
                    if await self._has_replies(connection, node.id):
                        break

    async def _lock_thread_of(self, connection: AsyncConnection, comment_id: int) -> _Row:
        """The comment's node, after bumping its thread's version. Every writer takes the
        thread row first, then comments: concurrent writers to one thread queue up instead
        of deadlocking, and a reply and the deletion of its parent see each other."""
        node = await self._node(connection, comment_id)
        if node is not None:
            await self._bump(connection, node.thread_id)
            # Read again under the lock: a writer before us may have changed or removed it.
            node = await self._node(connection, comment_id)
        if node is None:
            raise CommentNotFound()
        return node

    @staticmethod
    async def _has_replies(connection: AsyncConnection, comment_id: int) -> bool:
        query = select(comments.c.id).where(comments.c.parent_id == comment_id).limit(1)
        return (await connection.execute(query)).first() is not None

    @staticmethod
    async def _bump(connection: AsyncConnection, thread_id: int) -> None:
        await connection.execute(
            update(threads).where(threads.c.id == thread_id).values(version=threads.c.version + 1)
        )

    # -- reading ---------------------------------------------------------------------

    async def get(self, comment_id: int) -> StoredComment | None:
        """One comment by id, whatever its status."""
        async with self.database.reading() as connection:
            row = (
                await connection.execute(_WITH_THREAD.where(comments.c.id == comment_id))
            ).first()
        return _record(row) if row else None

    async def thread(self, site: str, thread_key: str) -> Thread | None:
        """A thread with its first url and title; ``None`` before its first comment."""
        query = select(threads).where(threads.c.site == site, threads.c.key == thread_key)
        async with self.database.reading() as connection:
            row = (await connection.execute(query)).first()
        return Thread(**row._mapping) if row else None

    async def list_thread(
        self,
        site: str,
        thread_key: str,
        *,
        statuses: Sequence[str] = ("approved",),
        include_ids: frozenset[int] = frozenset(),
        newest_first: bool = False,
        limit: int = 50,
        after: str | None = None,
    ) -> tuple[list[StoredComment], str | None]:
        """One page of top-level comments with all their replies, and the cursor of the
        next page (``None`` on the last).

        Roots are ordered by time (``newest_first`` reverses it), replies oldest first.
        A comment shows when its status is in ``statuses``, or when it is a pending one
        whose id is in ``include_ids`` (the visitor's own, awaiting moderation).
        """
        for status in statuses:
            _check_status(status)
        position = cursors.decode(after, newest_first=newest_first) if after else None
        async with self.database.reading() as connection:
            thread_id = (
                await connection.execute(
                    select(threads.c.id).where(threads.c.site == site, threads.c.key == thread_key)
                )
            ).scalar()
            if thread_id is None:
                return [], None
            rows, following = await read_page(
                connection,
                thread_id,
                statuses=statuses,
                include_ids=include_ids,
                newest_first=newest_first,
                limit=limit,
                after=position,
            )
        cursor = cursors.encode(following, newest_first=newest_first) if following else None
        return [_record(row, thread_key, site) for row in rows], cursor

    async def counts(self, site: str, thread_keys: Iterable[str]) -> dict[str, int]:
        """Approved comments per thread key (0 for threads nobody commented on yet)."""
        keys = list(dict.fromkeys(thread_keys))
        if not keys:
            return {}
        query = (
            select(threads.c.key, func.count(comments.c.id))
            .join(comments, comments.c.thread_id == threads.c.id)
            .where(
                threads.c.site == site, threads.c.key.in_(keys), comments.c.status == "approved"
            )
            .group_by(threads.c.key)
        )
        async with self.database.reading() as connection:
            found = {key: int(count) for key, count in await connection.execute(query)}
        return {key: found.get(key, 0) for key in keys}

    async def thread_version(self, site: str, thread_key: str) -> str:
        """A value that changes with every write to the thread's comments (for ETags and
        caches in any process); ``"0"`` for a thread that does not exist yet."""
        if self.database.dialect == "sqlite" and self.database.url.database not in (
            None,
            "",
            ":memory:",
        ):
            rows = await self.database.read_now(
                "SELECT id, version FROM threads WHERE site = ? AND key = ?", (site, thread_key)
            )
            return f"{rows[0][0]}.{rows[0][1]}" if rows else "0"
        query = select(threads.c.id, threads.c.version).where(
            threads.c.site == site, threads.c.key == thread_key
        )
        async with self.database.reading() as connection:
            row = (await connection.execute(query)).first()
        return f"{row.id}.{row.version}" if row else "0"

    # -- flood control and retention -------------------------------------------------

    async def hit(self, kind: str, client_key: str, now: datetime) -> None:
        """Count one ``kind`` of action by a client (a keyed hash, never an address)."""
        values = {"kind": kind, "client_key": client_key, "created_at": require_aware(now)}
        async with self.database.writing() as connection:
            await connection.execute(rate_events.insert().values(values))

    async def hits(self, kind: str, client_key: str, since: datetime) -> int:
        """How often a client did ``kind`` since ``since``, in every process."""
        query = select(func.count()).where(
            rate_events.c.kind == kind,
            rate_events.c.client_key == client_key,
            rate_events.c.created_at >= require_aware(since),
        )
        async with self.database.reading() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def purge(self, before: datetime) -> int:
        """Forget rate events and comments' client keys older than ``before``; the number
        of rows touched."""
        before = require_aware(before)
        async with self.database.writing() as connection:
            events = await connection.execute(
                delete(rate_events).where(rate_events.c.created_at < before)
            )
            keys = await connection.execute(
                update(comments)
                .where(comments.c.client_key.is_not(None), comments.c.created_at < before)
                .values(client_key=None)
            )
        return int(events.rowcount) + int(keys.rowcount)
