"""Moderation: what the admin, the links in owner mails and the CLI do to comments.

One place, so each of them approves the same way: the change and its outbox events in one
transaction, the local listing cache dropped (other processes see the thread's new
version), the mail sender woken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sharekit.errors import NotFound
from sharekit.i18n import N_
from sharekit.settings import Site
from sharekit.storage.comments import SiteComment
from sharekit.storage.moderation import Filter
from sharekit.storage.records import StoredComment

from .models import parse_text
from .service import APPROVED_COMMENT, CommentService
from .text import render, text_hash

__all__ = ["Filter", "Moderation"]


class Moderation:
    """Moderation of every site served by one app (or one CLI run)."""

    def __init__(self, comments: CommentService) -> None:
        self.comments = comments
        self.store = comments.moderation

    async def find(
        self, where: Filter, *, limit: int = 50, offset: int = 0, newest_first: bool = True
    ) -> tuple[list[SiteComment], int]:
        """A page of matching comments, with how many match in all."""
        return await self.store.find(where, limit=limit, offset=offset, newest_first=newest_first)

    async def get(self, comment_id: int) -> SiteComment:
        """One comment with its page; :class:`NotFound` when there is none."""
        found = await self.store.get(comment_id)
        if found is None:
            raise NotFound(N_("This comment does not exist or was deleted."))
        return found

    async def approve(
        self, ids: Sequence[int], now: datetime | None = None
    ) -> list[StoredComment]:
        """Publish comments; subscribers of their threads hear about them."""
        event = APPROVED_COMMENT if self.comments.replies_offered else None
        changed = await self.store.set_status(
            ids, "approved", now or datetime.now(UTC), approved_event=event
        )
        self._changed(notify=event is not None and bool(changed))
        return changed

    async def spam(self, ids: Sequence[int], now: datetime | None = None) -> list[StoredComment]:
        """Hide comments as spam (deleted after ``comments_spam_retention_days``)."""
        changed = await self.store.set_status(ids, "spam", now or datetime.now(UTC))
        self._changed()
        return changed

    async def hold(self, ids: Sequence[int], now: datetime | None = None) -> list[StoredComment]:
        """Take comments back into moderation."""
        changed = await self.store.set_status(ids, "pending", now or datetime.now(UTC))
        self._changed()
        return changed

    async def delete(self, ids: Sequence[int]) -> int:
        """Delete comments (placeholders without personal data where replies hang on)."""
        deleted = await self.store.delete(ids)
        self._changed()
        return deleted

    async def edit(
        self, comment_id: int, site: Site, text: object, author: str | None = None
    ) -> StoredComment:
        """Correct a comment's text (checked like a visitor's: raises ``ValidationFailed``)
        and, optionally, its author's name; rendered again at once."""
        checked = parse_text(text, self.comments.limits(site))
        stored = await self.store.edit(
            comment_id,
            text=checked,
            html=render(checked, markdown=self.comments.settings.comments_markdown),
            text_hash=text_hash(checked),
            author=author,
        )
        self._changed()
        return stored

    def _changed(self, notify: bool = False) -> None:
        self.comments.forget_rendered()
        if notify:
            self.comments.mail_waiting.set()
