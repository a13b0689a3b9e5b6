"""The moderation store: find comments across threads and sites, change many at once, and
let held comments and spam expire.

Every change goes through the same write jobs as the authors' own (``jobs.change``,
``jobs.delete_comment``), so it bumps the thread's version (caches in every process see
it) and keeps the thread's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from .comments import SiteComment, _check_status, _duplicate
from .database import Database
from .errors import CommentNotFound, DuplicateComment
from .jobs import COMMENTS_WITH_PAGE, change, delete_comment
from .outbox import enqueue
from .records import StoredComment
from .tables import comments, threads
from .types import require_aware

__all__ = ["Filter", "ModerationStore"]


@dataclass(frozen=True)
class Filter:
    """Which comments a moderator is looking at; every part is optional."""

    site: str | None = None
    thread: str | None = None  # a thread key (within ``site``)
    statuses: Sequence[str] = ()
    search: str = ""  # in name, email, website and text, case-insensitive
    email: str | None = None  # exactly this address, case-insensitive

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.site is not None:
            found.append(threads.c.site == self.site)
        if self.thread is not None:
            found.append(threads.c.key == self.thread)
        for status in self.statuses:
            _check_status(status)
        if self.statuses:
            found.append(comments.c.status.in_(list(self.statuses)))
        if self.search.strip():
            needle = self.search.strip().lower()
            found.append(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            comments.c.author,
                            comments.c.email,
                            comments.c.website,
                            comments.c.text,
                        )
                    )
                )
            )
        if self.email is not None:
            found.append(func.lower(comments.c.email) == self.email.strip().lower())
        return found


class ModerationStore:
    """Moderation across every site of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def find(
        self, where: Filter, *, limit: int = 50, offset: int = 0, newest_first: bool = True
    ) -> tuple[list[SiteComment], int]:
        """One page of matching comments (newest first by default) and how many match."""
        if not self.database.created():
            return [], 0
        conditions = where.conditions()
        order = (comments.c.created_at.desc(), comments.c.id.desc())
        if not newest_first:
            order = (comments.c.created_at.asc(), comments.c.id.asc())
        page = COMMENTS_WITH_PAGE.where(*conditions).order_by(*order).limit(limit).offset(offset)
        total = (
            select(func.count())
            .select_from(comments.join(threads, threads.c.id == comments.c.thread_id))
            .where(*conditions)
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(page)).all()
            count = int((await connection.execute(total)).scalar_one())
        return [SiteComment.of(row) for row in rows], count

    async def get(self, comment_id: int) -> SiteComment | None:
        """One comment with its page, whatever its status."""
        if not self.database.created():
            return None
        async with self.database.reading() as connection:
            row = (
                await connection.execute(COMMENTS_WITH_PAGE.where(comments.c.id == comment_id))
            ).first()
        return SiteComment.of(row) if row else None

    async def set_status(
        self,
        ids: Sequence[int],
        status: str,
        now: datetime,
        approved_event: str | None = None,
    ) -> list[StoredComment]:
        """Give each comment ``status`` (in one transaction); the changed comments. Ids
        that do not exist are skipped. ``approved_event`` is an outbox kind queued for
        every comment that becomes approved (reply notifications)."""
        _check_status(status)
        now = require_aware(now)

        def job(connection: Connection) -> list[StoredComment]:
            changed = []
            for comment_id in dict.fromkeys(ids):
                before = connection.execute(
                    select(comments.c.status).where(comments.c.id == comment_id)
                ).scalar()
                if before is None or before == "deleted":
                    continue
                stored = change(connection, comment_id, {"status": status})
                if approved_event and status == "approved" and before != "approved":
                    enqueue(connection, approved_event, {"comment": comment_id}, now)
                changed.append(stored)
            return changed

        return await self.database.write(job)

    async def delete(self, ids: Sequence[int]) -> int:
        """Delete comments (those with replies stay as placeholders without personal
        data); how many of the ids existed."""

        def job(connection: Connection) -> int:
            deleted = 0
            for comment_id in dict.fromkeys(ids):
                try:
                    delete_comment(connection, comment_id)
                except CommentNotFound:
                    continue
                deleted += 1
            return deleted

        return await self.database.write(job)

    async def edit(
        self, comment_id: int, *, text: str, html: str, text_hash: str, author: str | None = None
    ) -> StoredComment:
        """A moderator's correction of a comment's text (and name): not marked as edited
        by its author. Raises :class:`CommentNotFound` and :class:`DuplicateComment`."""
        values: dict[str, object] = {"text": text, "html": html, "text_hash": text_hash}
        if author is not None:
            values["author"] = author

        def job(connection: Connection) -> StoredComment:
            try:
                return change(connection, comment_id, values)
            except IntegrityError as exc:
                if _duplicate(exc):
                    raise DuplicateComment() from exc
                raise

        return await self.database.write(job)

    async def approved_before(self, site: str, email: str) -> bool:
        """Whether a comment from this address has been approved on ``site`` (moderation
        mode ``first``)."""
        if not self.database.created():
            return False
        query = (
            select(comments.c.id)
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(
                comments.c.email == email, comments.c.status == "approved", threads.c.site == site
            )
            .limit(1)
        )
        async with self.database.reading() as connection:
            return (await connection.execute(query)).first() is not None

    async def purge_held(self, pending_before: datetime, spam_before: datetime) -> int:
        """Delete comments held since before ``pending_before`` and spam older than
        ``spam_before``; how many."""
        pending_before = require_aware(pending_before)
        spam_before = require_aware(spam_before)
        expired = select(comments.c.id).where(
            or_(
                and_(comments.c.status == "pending", comments.c.created_at < pending_before),
                and_(comments.c.status == "spam", comments.c.created_at < spam_before),
            )
        )

        def job(connection: Connection) -> int:
            ids = list(connection.execute(expired).scalars())
            for comment_id in ids:
                try:
                    delete_comment(connection, comment_id)
                except CommentNotFound:  # went with a placeholder parent just before
                    continue
            return len(ids)

        if not self.database.created():
            return 0
        return await self.database.write(job)
