"""The comment store: threads of comments per site, flood-control events, retention.

Every method is one transaction. Database failures become
:class:`~sharekit.errors.ServiceUnavailable`; the errors in :mod:`.errors` say what the
caller did wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import UniqueConstraint, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from . import cursors
from .database import Database
from .errors import DuplicateComment
from .jobs import (
    COMMENTS_WITH_PAGE,
    WITH_THREAD,
    Row,
    change,
    delete_comment,
    parent_of,
    record,
    subscribe_to,
)
from .listing import read_page
from .outbox import enqueue
from .posting import FLOOD_KIND, FloodLimit, PostingStatements, check_flood
from .records import COMMENT_STATUSES, StoredComment, Thread
from .tables import DUPLICATE_COMMENT, comments, rate_events, subscriptions, threads
from .types import require_aware

__all__ = ["FLOOD_KIND", "CommentStore", "FloodLimit", "SiteComment"]


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


@dataclass(frozen=True)
class SiteComment:
    """A comment with the page it is on, for lists across threads."""

    comment: StoredComment
    thread_url: str
    thread_title: str

    @classmethod
    def of(cls, row: Row) -> SiteComment:
        """From a row of ``jobs.COMMENTS_WITH_PAGE``."""
        values = dict(row._mapping)
        url, title = values.pop("thread_url"), values.pop("thread_title")
        return cls(StoredComment(**values), url, title)


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
        self._statements = PostingStatements.build(database.dialect)
        self._known_sites: set[str] = set()

    # -- writing ---------------------------------------------------------------------
    # Each write is a synchronous job for the group commit (``Database.write``): many
    # run in one transaction, each in a savepoint of its own.

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
        flood: Sequence[FloodLimit] = (),
        events: Sequence[str] = (),
        subscribe: bool = False,
    ) -> StoredComment:
        """Store a comment, creating the site and thread on first use.

        A reply deeper than ``max_depth`` is attached to the parent's ancestor at
        ``max_depth - 1``, so it lands at ``max_depth``. With ``flood`` limits and a
        ``client_key``, the client's earlier comments are counted in the same transaction
        (so concurrent posts in any process cannot all slip through) and this one is
        recorded. Raises :class:`ParentNotFound`, :class:`DuplicateComment` and
        :class:`TooManyComments`; nothing is stored then.

        ``events`` are outbox kinds queued in the same transaction with the comment's id
        (``{"comment": id}``); ``subscribe`` asks for reply notifications for ``email``
        (queued as ``subscription-confirm`` unless the address already subscribed).
        """
        _check_status(status)
        now = require_aware(now)
        consent_at = require_aware(consent_at) if consent_at else None
        statements = self._statements
        comment = {
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
        counted = bool(flood) and client_key is not None
        known_sites = self._known_sites

        def job(connection: Connection) -> StoredComment:
            run = statements.run
            if counted:
                assert client_key is not None
                check_flood(connection, statements, client_key, now, flood)
            if site not in known_sites:  # sites are never removed
                run(connection, statements.add_site, {"key": site, "created_at": now})
            thread_id = run(
                connection,
                statements.touch_thread,
                {"site": site, "key": thread_key, "url": url, "title": title, "created_at": now},
            )[0][0]
            parent = parent_of(connection, thread_id, parent_id, max_depth)
            values = {
                **comment,
                "thread_id": thread_id,
                "parent_id": parent.id if parent else None,
                "root_id": (parent.root_id or parent.id) if parent else None,
                "depth": parent.depth + 1 if parent else 0,
            }
            try:
                comment_id = run(connection, statements.add_comment, values)[0][0]
            except IntegrityError as exc:
                if _duplicate(exc):
                    raise DuplicateComment() from exc
                raise
            if counted:
                run(
                    connection,
                    statements.add_event,
                    {"kind": FLOOD_KIND, "client_key": client_key, "created_at": now},
                )
            for kind in events:
                enqueue(connection, kind, {"comment": comment_id}, now)
            if subscribe and email:
                subscription = subscribe_to(connection, thread_id, email, now)
                if subscription is not None:
                    enqueue(
                        connection,
                        "subscription-confirm",
                        {"subscription": subscription, "comment": comment_id},
                        now,
                    )
            return StoredComment(
                id=comment_id,
                edited_at=None,
                thread_key=thread_key,
                site=site,
                **values,
            )

        stored = await self.database.write(job)
        known_sites.add(site)
        return stored

    async def update_text(
        self, comment_id: int, text: str, html: str, text_hash: str, now: datetime
    ) -> StoredComment:
        """Replace a comment's text and mark it edited; :class:`DuplicateComment` when the
        author already posted the new text in this thread."""
        values = {"text": text, "html": html, "text_hash": text_hash}
        values_now = {**values, "edited_at": require_aware(now)}

        def job(connection: Connection) -> StoredComment:
            try:
                return change(connection, comment_id, values_now)
            except IntegrityError as exc:
                if _duplicate(exc):
                    raise DuplicateComment() from exc
                raise

        return await self.database.write(job)

    async def set_status(self, comment_id: int, status: str) -> StoredComment:
        """Approve, hold, mark as spam or as deleted (keeping the data: see :meth:`delete`)."""
        _check_status(status)
        return await self.database.write(
            lambda connection: change(connection, comment_id, {"status": status})
        )

    async def delete(self, comment_id: int) -> None:
        """Remove a comment. One with replies stays as a ``deleted`` placeholder without
        any personal data, so the replies keep their place; deleted placeholders left
        without replies go too."""
        await self.database.write(lambda connection: delete_comment(connection, comment_id))

    # -- reading ---------------------------------------------------------------------

    async def get(self, comment_id: int) -> StoredComment | None:
        """One comment by id, whatever its status."""
        async with self.database.reading() as connection:
            row = (
                await connection.execute(WITH_THREAD.where(comments.c.id == comment_id))
            ).first()
        return record(row) if row else None

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
        return [record(row, thread_key, site) for row in rows], cursor

    async def recent(self, site: str, limit: int = 50) -> list[SiteComment]:
        """The newest approved comments of a whole site, newest first, with the url and
        title of their threads (for the site's feed)."""
        query = (
            COMMENTS_WITH_PAGE.where(threads.c.site == site, comments.c.status == "approved")
            .order_by(comments.c.created_at.desc(), comments.c.id.desc())
            .limit(limit)
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return [SiteComment.of(row) for row in rows]

    async def site_version(self, site: str) -> str:
        """A value that changes with every write to any thread of ``site``."""
        query = select(func.count(), func.coalesce(func.sum(threads.c.version), 0)).where(
            threads.c.site == site
        )
        async with self.database.reading() as connection:
            count, total = (await connection.execute(query)).one()
        return f"{count}.{total}"

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
        await self.database.write(
            lambda connection: connection.execute(rate_events.insert().values(values))
        )

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

        def job(connection: Connection) -> int:
            events = connection.execute(
                delete(rate_events).where(rate_events.c.created_at < before)
            )
            keys = connection.execute(
                update(comments)
                .where(comments.c.client_key.is_not(None), comments.c.created_at < before)
                .values(client_key=None)
            )
            return int(events.rowcount) + int(keys.rowcount)

        return await self.database.write(job)

    async def purge_subscriptions(self, before: datetime) -> int:
        """Forget reply subscriptions asked for before ``before`` and never confirmed."""
        before = require_aware(before)

        def job(connection: Connection) -> int:
            result = connection.execute(
                delete(subscriptions).where(
                    subscriptions.c.confirmed_at.is_(None), subscriptions.c.created_at < before
                )
            )
            return int(result.rowcount)

        return await self.database.write(job)
