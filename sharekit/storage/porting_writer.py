"""Writing one import batch: a write job of the group commit, so synchronous and inside
the transaction that ``Database.write`` opens for it.

Replies attach as the live service attaches them (``jobs.parent_of``): one deeper than
``comments_max_depth`` goes to its parent's nearest ancestor that leaves room for it.
Unlike a live reply, an imported one may have a parent that is held, spam or deleted: it
was written while the parent was there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .jobs import Row, read_node
from .porting_rows import (
    Batch,
    BatchResult,
    Conflict,
    NewComment,
    NewThread,
    ShareCount,
    SubscriptionRow,
    Written,
)
from .tables import comments, share_events, sites, subscriptions, threads
from .types import require_aware

__all__ = ["IMPORTED_CLIENT", "BatchWriter"]

# What an imported share count's synthetic rows carry instead of a visitor's daily hash.
IMPORTED_CLIENT = "import-{}"


@dataclass(frozen=True, slots=True)
class _Node:
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int


class BatchWriter:
    """One batch on one connection (a write job: synchronous, inside the transaction)."""

    def __init__(self, connection: Connection, batch: Batch) -> None:
        self.connection = connection
        self.batch = batch
        # Comments written in this batch; earlier ones are read (the service may have
        # deleted one meanwhile).
        self.added: dict[int, _Node] = {}
        self.postgres = connection.dialect.name == "postgresql"
        self.insert = postgresql.insert if self.postgres else sqlite.insert

    def run(self) -> BatchResult:
        result = BatchResult()
        for site in self.batch.sites:
            self.connection.execute(
                self.insert(sites)
                .values(key=site.key, created_at=require_aware(site.created_at))
                .on_conflict_do_nothing()
            )
        thread_ids = {(t.site, t.key): self._thread(t) for t in self.batch.threads}
        kept_ids = False
        for comment in self.batch.comments:
            written = self._comment(comment, thread_ids[(comment.site, comment.thread)], result)
            result.comments.append(written)
            kept_ids = kept_ids or (comment.id is not None and written == comment.id)
        if kept_ids:
            self._advance_sequence()
        for subscription in self.batch.subscriptions:
            result.subscriptions += self._subscription(
                subscription, thread_ids[(subscription.site, subscription.thread)]
            )
        for shares in self.batch.shares:
            result.shares += self._shares(shares)
        return result

    def _advance_sequence(self) -> None:
        """Rows written with their own ids leave PostgreSQL's sequence behind: move it past
        them, never back (``nextval``: past ids the service took meanwhile, too). SQLite
        takes the highest id plus one by itself."""
        if self.postgres:
            self.connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('comments', 'id'), greatest("
                    "(SELECT max(id) FROM comments), "
                    "nextval(pg_get_serial_sequence('comments', 'id'))))"
                )
            )

    def _thread(self, thread: NewThread) -> int:
        values = {
            "site": thread.site,
            "key": thread.key,
            "url": thread.url,
            "title": thread.title,
            "created_at": require_aware(thread.created_at),
        }
        # Insert or touch in one statement, as a live post does: safe beside the service.
        statement = (
            self.insert(threads)
            .values(values)
            .on_conflict_do_update(
                index_elements=[threads.c.site, threads.c.key],
                set_={"version": threads.c.version + 1},
            )
            .returning(threads.c.id)
        )
        return int(self.connection.execute(statement).scalar_one())

    def _node(self, comment_id: int) -> _Node | None:
        node = self.added.get(comment_id)
        if node is None:
            row: Row | None = read_node(self.connection, comment_id)
            if row is None:
                return None
            node = _Node(row.thread_id, row.parent_id, row.root_id, row.depth)
        return node

    def _attach(self, thread_id: int, parent_id: int | None) -> tuple[int | None, int | None, int]:
        """(parent_id, root_id, depth) after depth clamping, as ``jobs.parent_of`` does."""
        max_depth = self.batch.max_depth
        node = self._node(parent_id) if parent_id is not None else None
        if node is None or node.thread_id != thread_id:
            return None, None, 0
        while node is not None and parent_id is not None and node.depth + 1 > max_depth:
            parent_id = node.parent_id
            node = self._node(parent_id) if parent_id is not None else None
        if node is None or parent_id is None:
            return None, None, 0
        return parent_id, node.root_id or parent_id, node.depth + 1

    def _comment(self, comment: NewComment, thread_id: int, result: BatchResult) -> Written:
        parent = comment.parent_id
        if comment.parent_index is not None:
            earlier = result.comments[comment.parent_index]
            parent = earlier.id if isinstance(earlier, Conflict) else earlier
        parent_id, root_id, depth = self._attach(thread_id, parent)
        values: dict[str, Any] = {
            "thread_id": thread_id,
            "parent_id": parent_id,
            "root_id": root_id,
            "depth": depth,
            "author": comment.author,
            "email": comment.email,
            "author_key": comment.author_key,
            "website": comment.website,
            "text": comment.text,
            "html": comment.html,
            "status": comment.status,
            "created_at": require_aware(comment.created_at),
            "edited_at": require_aware(comment.edited_at) if comment.edited_at else None,
            "client_key": None,
            "consent_at": require_aware(comment.consent_at) if comment.consent_at else None,
            "text_hash": comment.text_hash,
            "source": comment.source,
        }
        if comment.id is not None:
            values["id"] = comment.id
        new_id = self._insert(values)
        if new_id is None and comment.id is not None:
            conflict = self._conflict(comment, thread_id)
            if conflict is not None:
                return conflict
            del values["id"]  # taken meanwhile by a comment posted live: take a new one
            self._advance_sequence()
            new_id = self._insert(values)
        if new_id is None:
            conflict = self._conflict(comment, thread_id)
            assert conflict is not None, "a comment was refused by no known constraint"
            return conflict
        self.added[new_id] = _Node(thread_id, parent_id, root_id, depth)
        return new_id

    def _insert(self, values: dict[str, Any]) -> int | None:
        # Values as parameters, not in the statement: compiled once, not once per comment.
        statement = self.insert(comments).on_conflict_do_nothing().returning(comments.c.id)
        found = self.connection.execute(statement, values).scalar()
        return int(found) if found is not None else None

    def _conflict(self, comment: NewComment, thread_id: int) -> Conflict | None:
        if comment.source is not None:
            found = self.connection.execute(
                select(comments.c.id).where(comments.c.source == comment.source)
            ).scalar()
            if found is not None:
                return Conflict("source", int(found))
        found = self.connection.execute(
            select(comments.c.id).where(
                comments.c.thread_id == thread_id,
                comments.c.author_key == comment.author_key,
                comments.c.text_hash == comment.text_hash,
            )
        ).scalar()
        return Conflict("duplicate", int(found)) if found is not None else None

    def _subscription(self, subscription: SubscriptionRow, thread_id: int) -> int:
        confirmed = subscription.confirmed_at
        statement = (
            self.insert(subscriptions)
            .values(
                thread_id=thread_id,
                email=subscription.email,
                created_at=require_aware(subscription.created_at),
                confirmed_at=require_aware(confirmed) if confirmed else None,
            )
            .on_conflict_do_nothing(index_elements=["thread_id", "email"])
            .returning(subscriptions.c.id)
        )
        return 1 if self.connection.execute(statement).scalar() is not None else 0

    def _shares(self, shares: ShareCount) -> int:
        """Make the page's count on that network and day at least ``shares.count``, with
        rows whose client is a synthetic value (the visitors' daily hashes are not
        exported); a re-run, or an import into the database the count came from, adds
        nothing."""
        where = (
            share_events.c.site == shares.site,
            share_events.c.url == shares.url,
            share_events.c.network == shares.network,
            share_events.c.day == shares.day,
        )
        have = int(
            self.connection.execute(
                select(func.count()).select_from(share_events).where(*where)
            ).scalar_one()
        )
        added = 0
        for number in range(have, shares.count):
            statement = (
                self.insert(share_events)
                .values(
                    site=shares.site,
                    url=shares.url,
                    network=shares.network,
                    day=shares.day,
                    client=IMPORTED_CLIENT.format(number),
                )
                .on_conflict_do_nothing()
                .returning(share_events.c.day)
            )
            added += self.connection.execute(statement).first() is not None
        return added
