"""The storage side of ``sharekit export`` and ``sharekit import``.

Export reads every row in one snapshot, in an order that does not depend on when rows were
written or on the database's collation, and streams it: nothing is held in memory but the
row at hand. Import writes in batches, each batch one transaction (a write job of the group
commit): an interrupted import leaves whole batches or nothing, and the ``source`` column
lets a re-run find what the last one wrote.

Replies attach as the live service attaches them (``jobs.parent_of``): one deeper than
``comments_max_depth`` goes to its parent's nearest ancestor that leaves room for it.
Unlike a live reply, an imported one may have a parent that is held, spam or deleted: it
was written while the parent was there.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .jobs import WITH_THREAD, Row, read_node, record
from .records import StoredComment
from .tables import comments, share_events, sites, subscriptions, threads
from .types import require_aware

__all__ = [
    "Batch",
    "Conflict",
    "DuplicateKey",
    "NewComment",
    "NewThread",
    "PortingStore",
    "ShareCount",
    "SiteRow",
    "SubscriptionRow",
    "ThreadRow",
    "Written",
    "random_author_key",
]

# What an imported share count's synthetic rows carry instead of a visitor's daily hash.
IMPORTED_CLIENT = "import-{}"


@dataclass(frozen=True, slots=True)
class SiteRow:
    key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ThreadRow:
    site: str
    key: str
    url: str
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """A reader's wish to hear about replies in a thread (confirmed or not yet)."""

    site: str
    thread: str
    email: str
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ShareCount:
    """Completed shares of one page on one network and day."""

    site: str
    url: str
    network: str
    day: date
    count: int


ExportRow: TypeAlias = SiteRow | ThreadRow | StoredComment | SubscriptionRow | ShareCount

DuplicateKey: TypeAlias = tuple[str, str, str, str]
"""(site, thread key, author key, text hash): what ``uq_comments_duplicate`` compares."""


@dataclass(frozen=True, slots=True)
class NewThread:
    """A thread to create unless it exists (an existing one keeps its url and title)."""

    site: str
    key: str
    url: str
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewComment:
    """A comment to write with every value given. ``parent_id`` is a stored comment;
    ``parent_index`` one written earlier in the same batch (whichever is set)."""

    site: str
    thread: str
    author: str
    email: str | None
    author_key: str
    website: str | None
    text: str
    html: str
    status: str
    created_at: datetime
    text_hash: str
    source: str | None
    edited_at: datetime | None = None
    consent_at: datetime | None = None
    parent_id: int | None = None
    parent_index: int | None = None
    id: int | None = None  # keep this id (a restore into an empty database)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A comment that was not written: ``reason`` is ``"source"`` (a comment with the same
    source is stored) or ``"duplicate"`` (same author and text in the thread); ``id`` is
    the stored one, where its replies attach."""

    reason: str
    id: int


Written: TypeAlias = int | Conflict


@dataclass(frozen=True)
class Batch:
    """What one transaction writes: sites and threads first, then comments in order."""

    sites: Sequence[SiteRow] = ()
    threads: Sequence[NewThread] = ()
    comments: Sequence[NewComment] = ()
    subscriptions: Sequence[SubscriptionRow] = ()
    shares: Sequence[ShareCount] = ()
    max_depth: int = 3


@dataclass
class BatchResult:
    """Per comment its id or why it was not written; how many other rows were added."""

    comments: list[Written] = field(default_factory=list)
    subscriptions: int = 0
    shares: int = 0


def random_author_key() -> str:
    """The author key of a deleted placeholder: random, so it can never be a duplicate."""
    return secrets.token_hex(32)


@dataclass(frozen=True, slots=True)
class _Node:
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int


def _binary(column: Any, dialect: str) -> Any:
    """Order strings by code point on every dialect (PostgreSQL's default collation
    would not), so an export lists rows the same way whatever database it came from."""
    return column.collate("C") if dialect == "postgresql" else column


class PortingStore:
    """Export and import of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- export ------------------------------------------------------------------------

    async def rows(self, site: str | None = None) -> AsyncIterator[ExportRow]:
        """Every site, thread, comment, reply subscription and share count (of ``site``
        only, when given), in that order, each kind in a stable order: sites by key,
        threads by site and key, comments by id (a parent always has a smaller id than
        its replies), subscriptions by thread and address, share counts by page, network
        and day. One read transaction, so the rows are one consistent snapshot."""
        if not self.database.created():
            return
        dialect = self.database.dialect

        def c(column: Any) -> Any:
            return _binary(column, dialect)

        def of_site(column: Any) -> list[ColumnElement[bool]]:
            return [] if site is None else [column == site]

        async with self.database.reading() as connection:
            if dialect == "postgresql":
                await connection.execution_options(isolation_level="REPEATABLE READ")
            query: Any = select(sites).where(*of_site(sites.c.key)).order_by(c(sites.c.key))
            async for row in await connection.stream(query):
                yield SiteRow(row.key, row.created_at)
            query = (
                select(threads)
                .where(*of_site(threads.c.site))
                .order_by(c(threads.c.site), c(threads.c.key))
            )
            async for row in await connection.stream(query):
                yield ThreadRow(row.site, row.key, row.url, row.title, row.created_at)
            query = WITH_THREAD.where(*of_site(threads.c.site)).order_by(comments.c.id)
            async for row in await connection.stream(query):
                yield record(row)
            async for subscription in self._subscriptions(connection, site):
                yield subscription
            async for shares in self._shares(connection, site):
                yield shares

    async def _subscriptions(
        self, connection: AsyncConnection, site: str | None
    ) -> AsyncIterator[SubscriptionRow]:
        dialect = self.database.dialect
        query = (
            select(
                threads.c.site,
                threads.c.key,
                subscriptions.c.email,
                subscriptions.c.created_at,
                subscriptions.c.confirmed_at,
            )
            .join(threads, threads.c.id == subscriptions.c.thread_id)
            .where(*([] if site is None else [threads.c.site == site]))
            .order_by(
                _binary(threads.c.site, dialect),
                _binary(threads.c.key, dialect),
                _binary(subscriptions.c.email, dialect),
            )
        )
        async for row in await connection.stream(query):
            yield SubscriptionRow(row.site, row.key, row.email, row.created_at, row.confirmed_at)

    async def _shares(
        self, connection: AsyncConnection, site: str | None
    ) -> AsyncIterator[ShareCount]:
        dialect = self.database.dialect
        columns = (
            share_events.c.site,
            share_events.c.url,
            share_events.c.network,
            share_events.c.day,
        )
        query = (
            select(*columns, func.count().label("count"))
            .where(*([] if site is None else [share_events.c.site == site]))
            .group_by(*columns)
            .order_by(*(_binary(column, dialect) for column in columns[:3]), columns[3])
        )
        async for row in await connection.stream(query):
            yield ShareCount(row.site, row.url, row.network, row.day, int(row[4]))

    # -- import: reading ---------------------------------------------------------------

    async def comment_count(self) -> int:
        """How many comments the database holds (0 for a database not created yet)."""
        if not self.database.created():
            return 0
        async with self.database.reading() as connection:
            return int((await connection.execute(select(func.count(comments.c.id)))).scalar_one())

    async def imported(self, sources: Sequence[str]) -> dict[str, int]:
        """The stored comments with these sources: source → id."""
        wanted = list(dict.fromkeys(sources))
        if not wanted or not self.database.created():
            return {}
        query = select(comments.c.source, comments.c.id).where(comments.c.source.in_(wanted))
        async with self.database.reading() as connection:
            return {row.source: int(row.id) for row in await connection.execute(query)}

    async def same(self, keys: Sequence[tuple[int, str, str, datetime]]) -> set[int]:
        """Of ``(id, site, thread key, created_at)``, the ids whose stored comment has that
        site, thread and time: the same comment, written by an earlier run or still there
        in the database an export came from."""
        wanted = {key[0]: key for key in keys}
        if not wanted or not self.database.created():
            return set()
        query = (
            select(comments.c.id, threads.c.site, threads.c.key, comments.c.created_at)
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(comments.c.id.in_(list(wanted)))
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return {
            int(row.id)
            for row in rows
            if wanted[int(row.id)][1:] == (row.site, row.key, row.created_at)
        }

    async def duplicates(self, keys: Sequence[DuplicateKey]) -> dict[DuplicateKey, int]:
        """The stored comments that ``uq_comments_duplicate`` would refuse these as."""
        wanted = list(dict.fromkeys(keys))
        if not wanted or not self.database.created():
            return {}
        pages = list({(site, thread) for site, thread, _, _ in wanted})
        async with self.database.reading() as connection:
            found = await connection.execute(
                select(threads.c.id, threads.c.site, threads.c.key).where(
                    tuple_(threads.c.site, threads.c.key).in_(pages)
                )
            )
            page_of = {int(row.id): (row.site, row.key) for row in found}
            thread_of = {page: thread_id for thread_id, page in page_of.items()}
            # By thread id, so both dialects read the unique index itself.
            triples = [
                (thread_of[(site, thread)], author_key, text)
                for site, thread, author_key, text in wanted
                if (site, thread) in thread_of
            ]
            if not triples:
                return {}
            columns = comments.c.thread_id, comments.c.author_key, comments.c.text_hash
            rows = (
                await connection.execute(
                    select(comments.c.id, *columns).where(tuple_(*columns).in_(triples))
                )
            ).all()
        return {
            (*page_of[int(row.thread_id)], row.author_key, row.text_hash): int(row.id)
            for row in rows
        }

    # -- import: writing ---------------------------------------------------------------

    async def write(self, batch: Batch) -> BatchResult:
        """Write one batch in one transaction; per comment its new id or a :class:`Conflict`.

        Threads that exist keep their url and title and get a new version (caches in a
        running service see the new comments). Comments go in order, so a reply may name
        its parent by its index in the batch.
        """
        return await self.database.write(lambda connection: _Writer(connection, batch).run())


class _Writer:
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
