"""The comment store's contract, run against SQLite (a file per test) and PostgreSQL.

Each PostgreSQL test gets a database of its own (``sk_<random>``), dropped afterwards. Without
a server at 127.0.0.1:5432 (trust auth; ``SHAREKIT_TEST_POSTGRES`` names another) the
PostgreSQL variants skip, unless ``CI=true``: then they fail.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sharekit.errors import ServiceUnavailable
from sharekit.storage.comments import CommentStore, FloodLimit
from sharekit.storage.database import Database
from sharekit.storage.errors import (
    CommentNotFound,
    DuplicateComment,
    InvalidCursor,
    ParentNotFound,
    TooManyComments,
)
from sharekit.storage.records import StoredComment
from sharekit.storage.tables import comments
from tests.postgres_support import async_database

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
URL = "https://blog.example/post"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database of its own on ``backend`` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"
        return
    async with async_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with database_url(request.param, tmp_path) as url:
        db = Database(url)
        try:
            yield db
        finally:
            await db.close()


@pytest.fixture
def store(database: Database) -> CommentStore:
    return CommentStore(database)


def comment_values(
    text_: str = "Hallo",
    *,
    site: str = "blog",
    thread: str = "post",
    parent: int | None = None,
    author: str = "Ana",
    status: str = "approved",
    at: datetime = T0,
    max_depth: int = 3,
    client_key: str | None = "client-1",
) -> dict[str, Any]:
    """The arguments of ``CommentStore.add`` with sensible defaults; the author key
    follows the author."""
    return {
        "site": site,
        "thread_key": thread,
        "url": f"{URL}/{thread}",
        "title": f"Title of {thread}",
        "parent_id": parent,
        "author": author,
        "email": f"{author.lower()}@mail.example",
        "author_key": f"key-{author}",
        "website": "https://ana.example",
        "text": text_,
        "html": f"<p>{text_}</p>",
        "status": status,
        "client_key": client_key,
        "consent_at": at,
        "text_hash": f"hash-{text_}",
        "max_depth": max_depth,
        "now": at,
    }


async def add(store: CommentStore, text_: str = "Hallo", **options: Any) -> StoredComment:
    """Add a comment with the defaults of :func:`comment_values`."""
    return await store.add(**comment_values(text_, **options))


async def all_pages(
    store: CommentStore, *, limit: int, newest_first: bool = False, **options: Any
) -> list[list[StoredComment]]:
    pages: list[list[StoredComment]] = []
    cursor: str | None = None
    while True:
        page, cursor = await store.list_thread(
            "blog", "post", limit=limit, newest_first=newest_first, after=cursor, **options
        )
        pages.append(page)
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursors do not advance"


def ids(records: list[StoredComment]) -> list[int]:
    return [record.id for record in records]


# -- adding ----------------------------------------------------------------------------


async def test_add_returns_every_column_and_creates_site_and_thread(store: CommentStore) -> None:
    comment = await add(store)
    assert comment.site == "blog"
    assert comment.thread_key == "post"
    assert (comment.parent_id, comment.root_id, comment.depth) == (None, None, 0)
    assert comment.author == "Ana"
    assert comment.email == "ana@mail.example"
    assert comment.author_key == "key-Ana"
    assert comment.website == "https://ana.example"
    assert (comment.text, comment.html, comment.text_hash) == (
        "Hallo",
        "<p>Hallo</p>",
        "hash-Hallo",
    )
    assert comment.status == "approved"
    assert comment.created_at == T0
    assert comment.created_at.tzinfo is UTC
    assert comment.consent_at == T0
    assert comment.edited_at is None
    assert comment.client_key == "client-1"
    assert await store.get(comment.id) == comment
    assert await store.get(comment.id + 1000) is None


async def test_datetimes_come_back_aware_in_utc(store: CommentStore) -> None:
    berlin = T0.astimezone(timezone(timedelta(hours=2)))
    comment = await add(store, at=berlin)
    stored = await store.get(comment.id)
    assert stored is not None
    assert stored.created_at == T0
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(store: CommentStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await add(store, at=datetime(2026, 5, 1, 12, 0))


async def test_unknown_status_is_refused(store: CommentStore) -> None:
    with pytest.raises(ValueError, match="unknown comment status"):
        await add(store, status="published")


async def test_first_url_and_title_stay(store: CommentStore) -> None:
    assert await store.thread("blog", "post") is None
    await add(store, "one")
    await store.add(
        "blog",
        "post",
        "https://blog.example/moved",
        "New title",
        parent_id=None,
        author="Bo",
        email=None,
        author_key="key-Bo",
        website=None,
        text="two",
        html="<p>two</p>",
        status="approved",
        client_key=None,
        consent_at=None,
        text_hash="hash-two",
        max_depth=3,
        now=T0,
    )
    thread = await store.thread("blog", "post")
    assert thread is not None
    assert (thread.site, thread.key) == ("blog", "post")
    assert (thread.url, thread.title) == (f"{URL}/post", "Title of post")
    assert thread.created_at == T0
    assert await store.thread("shop", "post") is None


async def test_replies_get_depth_and_root(store: CommentStore) -> None:
    root = await add(store, "root")
    reply = await add(store, "reply", parent=root.id, author="Bo")
    deeper = await add(store, "deeper", parent=reply.id, author="Cy")
    assert (reply.parent_id, reply.root_id, reply.depth) == (root.id, root.id, 1)
    assert (deeper.parent_id, deeper.root_id, deeper.depth) == (reply.id, root.id, 2)


@pytest.mark.parametrize("max_depth", [1, 2, 3])
async def test_replies_deeper_than_max_depth_attach_to_the_ancestor(
    store: CommentStore, max_depth: int
) -> None:
    chain = [await add(store, "level 0", max_depth=max_depth)]
    for level in range(1, max_depth + 1):
        chain.append(await add(store, f"level {level}", parent=chain[-1].id, max_depth=max_depth))
    assert [comment.depth for comment in chain] == list(range(max_depth + 1))
    too_deep = await add(store, "too deep", parent=chain[-1].id, max_depth=max_depth)
    assert too_deep.depth == max_depth
    assert too_deep.parent_id == chain[max_depth - 1].id
    assert too_deep.root_id == chain[0].id


async def test_max_depth_zero_makes_every_comment_top_level(store: CommentStore) -> None:
    root = await add(store, "root", max_depth=0)
    reply = await add(store, "reply", parent=root.id, max_depth=0)
    assert (reply.parent_id, reply.root_id, reply.depth) == (None, None, 0)


async def test_parent_in_another_thread_is_refused_and_nothing_stored(
    store: CommentStore,
) -> None:
    elsewhere = await add(store, "elsewhere", thread="other")
    with pytest.raises(ParentNotFound) as caught:
        await add(store, "reply", thread="post", parent=elsewhere.id)
    assert caught.value.status_code == 400
    assert caught.value.message == "The comment you are replying to no longer exists."
    assert await store.thread_version("blog", "post") == "0"
    assert await store.counts("blog", ["post", "other"]) == {"post": 0, "other": 1}


@pytest.mark.parametrize("status", ["spam", "deleted"])
async def test_parent_marked_spam_or_deleted_is_refused(store: CommentStore, status: str) -> None:
    parent = await add(store, "parent")
    await store.set_status(parent.id, status)
    with pytest.raises(ParentNotFound):
        await add(store, "reply", parent=parent.id, author="Bo")


async def test_missing_parent_is_refused(store: CommentStore) -> None:
    with pytest.raises(ParentNotFound):
        await add(store, "reply", parent=12345)


async def test_pending_parent_can_be_replied_to(store: CommentStore) -> None:
    parent = await add(store, "held", status="pending")
    reply = await add(store, "reply", parent=parent.id, author="Bo")
    assert reply.parent_id == parent.id


async def test_duplicate_raises_and_stores_nothing(store: CommentStore) -> None:
    first = await add(store, "same text")
    version = await store.thread_version("blog", "post")
    with pytest.raises(DuplicateComment) as caught:
        await add(store, "same text", at=T0 + timedelta(minutes=1))
    assert caught.value.status_code == 409
    assert caught.value.message == "You have already posted this comment in this thread."
    assert await store.thread_version("blog", "post") == version
    page, _ = await store.list_thread("blog", "post", statuses=("approved", "pending"))
    assert ids(page) == [first.id]
    # The same text by someone else, or by the same author in another thread, is fine.
    await add(store, "same text", author="Bo")
    await add(store, "same text", thread="other")


async def test_duplicate_on_a_new_thread_leaves_no_thread_behind(store: CommentStore) -> None:
    await add(store, "same", thread="new")
    with pytest.raises(DuplicateComment):
        await add(store, "same", thread="new")
    assert await store.counts("blog", ["new"]) == {"new": 1}


# -- listing ---------------------------------------------------------------------------


async def build_thread(store: CommentStore) -> dict[str, StoredComment]:
    """Seven approved roots (two at the same instant), replies, and hidden comments."""
    made: dict[str, StoredComment] = {}
    times = [0, 1, 2, 2, 4, 5, 6]
    for index, minute in enumerate(times):
        made[f"r{index}"] = await add(
            store, f"root {index}", author=f"A{index}", at=T0 + timedelta(minutes=minute)
        )
    later = T0 + timedelta(hours=1)
    made["r0.a"] = await add(store, "r0 reply a", parent=made["r0"].id, author="B", at=later)
    made["r0.b"] = await add(
        store, "r0 reply b", parent=made["r0"].id, author="C", at=later - timedelta(minutes=5)
    )
    made["r0.a.x"] = await add(store, "nested", parent=made["r0.a"].id, author="D", at=later)
    made["r5.a"] = await add(store, "r5 reply", parent=made["r5"].id, author="E", at=later)
    made["pending"] = await add(store, "held root", status="pending", author="P", at=T0)
    made["spam"] = await add(store, "spam root", status="spam", author="S", at=T0)
    made["r0.pending"] = await add(
        store, "held reply", parent=made["r0"].id, status="pending", author="P", at=later
    )
    return made


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
@pytest.mark.parametrize("limit", [1, 3, 7, 50])
async def test_pages_cover_every_root_once_with_replies_attached(
    store: CommentStore, newest_first: bool, limit: int
) -> None:
    made = await build_thread(store)
    roots = [made[f"r{index}"] for index in range(7)]
    expected = sorted(roots, key=lambda c: (c.created_at, c.id), reverse=newest_first)
    pages = await all_pages(store, limit=limit, newest_first=newest_first)
    assert len(pages) == max(1, -(-7 // limit))
    seen_roots: list[int] = []
    for page in pages:
        page_roots = [c for c in page if c.root_id is None]
        assert 1 <= len(page_roots) <= limit
        seen_roots.extend(ids(page_roots))
        replies = [c for c in page if c.root_id is not None]
        # Every reply belongs to a root on the same page, oldest first.
        assert {c.root_id for c in replies} <= set(ids(page_roots))
        assert replies == sorted(replies, key=lambda c: (c.created_at, c.id))
        assert page[: len(page_roots)] == page_roots
    assert seen_roots == ids(expected)
    everything = [c for page in pages for c in page]
    replies_of_r0 = [c.id for c in everything if c.root_id == made["r0"].id]
    assert replies_of_r0 == [made["r0.b"].id, made["r0.a"].id, made["r0.a.x"].id]
    hidden = {made["pending"].id, made["spam"].id, made["r0.pending"].id}
    assert not hidden & set(ids(everything))


async def test_page_after_the_last_is_empty_and_cursors_are_checked(store: CommentStore) -> None:
    await build_thread(store)
    first, cursor = await store.list_thread("blog", "post", limit=3)
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        await store.list_thread("blog", "post", limit=3, after=cursor, newest_first=True)
    for garbage in ["", "x", "eyJ9", "W10", "WyJ4IiwxLDBd"]:
        if garbage:
            with pytest.raises(InvalidCursor):
                await store.list_thread("blog", "post", after=garbage)
    second, _ = await store.list_thread("blog", "post", limit=3, after=cursor)
    assert not set(ids(first)) & set(ids(second))


async def test_comments_added_between_pages_do_not_shift_them(store: CommentStore) -> None:
    made = await build_thread(store)
    first, cursor = await store.list_thread("blog", "post", limit=3, newest_first=True)
    await add(store, "brand new", author="N", at=T0 + timedelta(days=1))
    second, _ = await store.list_thread("blog", "post", limit=3, newest_first=True, after=cursor)
    assert [c.id for c in first if c.root_id is None] == [made[f"r{i}"].id for i in (6, 5, 4)]
    # r2 and r3 were posted in the same instant: the id breaks the tie.
    assert [c.id for c in second if c.root_id is None] == [made[f"r{i}"].id for i in (3, 2, 1)]


async def test_unknown_thread_lists_nothing(store: CommentStore) -> None:
    assert await store.list_thread("blog", "nowhere") == ([], None)


async def test_include_ids_shows_own_pending_comments_only(store: CommentStore) -> None:
    made = await build_thread(store)
    own_root = await add(store, "my held root", status="pending", author="Me")
    own_reply = await add(
        store, "my held reply", parent=made["r5"].id, status="pending", author="Me"
    )
    own_spam = await add(store, "my spam", status="spam", author="Me")
    include = frozenset({own_root.id, own_reply.id, own_spam.id})
    pages = await all_pages(store, limit=3, include_ids=include)
    shown = {c.id for page in pages for c in page}
    assert {own_root.id, own_reply.id} <= shown
    assert own_spam.id not in shown
    assert made["pending"].id not in shown  # someone else's held comment
    assert made["r0.pending"].id not in shown
    page_of_reply = next(page for page in pages if own_reply.id in ids(page))
    assert made["r5"].id in ids(page_of_reply)


async def test_statuses_select_what_a_moderator_sees(store: CommentStore) -> None:
    made = await build_thread(store)
    pages = await all_pages(store, limit=4, statuses=("approved", "pending", "spam"))
    shown = [c.id for page in pages for c in page]
    assert len(shown) == len(set(shown)) == len(made)
    roots = [c for page in pages for c in page if c.root_id is None]
    assert roots == sorted(roots, key=lambda c: (c.created_at, c.id))


async def test_counts_approved_comments_per_thread(store: CommentStore) -> None:
    await build_thread(store)
    await add(store, "elsewhere", thread="other")
    await add(store, "held", thread="other", status="pending")
    await add(store, "on another site", site="shop", thread="post")
    assert await store.counts("blog", ["post", "other", "unknown"]) == {
        "post": 11,
        "other": 1,
        "unknown": 0,
    }
    assert await store.counts("blog", []) == {}


# -- versions --------------------------------------------------------------------------


async def test_thread_version_changes_on_every_write_and_not_on_reads(
    store: CommentStore, database: Database
) -> None:
    assert await store.thread_version("blog", "post") == "0"
    versions = []

    async def changed() -> None:
        version = await store.thread_version("blog", "post")
        assert version not in versions
        versions.append(version)

    root = await add(store, "root")
    await changed()
    reply = await add(store, "reply", parent=root.id, author="Bo")
    await changed()
    await store.update_text(reply.id, "edited", "<p>edited</p>", "hash-edited", T0)
    await changed()
    await store.set_status(reply.id, "pending")
    await changed()
    await store.delete(root.id)  # has a reply: erased, kept
    await changed()
    await store.delete(reply.id)  # takes the placeholder along
    await changed()

    await store.get(root.id)
    await store.list_thread("blog", "post")
    await store.counts("blog", ["post"])
    await store.hit("comment", "client-1", T0)
    await store.purge(T0)
    assert await store.thread_version("blog", "post") == versions[-1]
    await add(store, "other thread", thread="other")
    assert await store.thread_version("blog", "post") == versions[-1]

    # Another process sees the same value.
    other = Database(database.url.render_as_string(hide_password=False))
    try:
        assert await CommentStore(other).thread_version("blog", "post") == versions[-1]
    finally:
        await other.close()


# -- editing and deleting --------------------------------------------------------------


async def test_update_text_marks_the_comment_edited(store: CommentStore) -> None:
    comment = await add(store, "first")
    edited_at = T0 + timedelta(minutes=3)
    updated = await store.update_text(comment.id, "second", "<p>second</p>", "hash-2", edited_at)
    assert updated == replace(
        comment, text="second", html="<p>second</p>", text_hash="hash-2", edited_at=edited_at
    )
    assert await store.get(comment.id) == updated


async def test_update_text_to_an_existing_text_is_a_duplicate(store: CommentStore) -> None:
    await add(store, "one")
    two = await add(store, "two")
    with pytest.raises(DuplicateComment):
        await store.update_text(two.id, "one", "<p>one</p>", "hash-one", T0)
    assert await store.get(two.id) == two


async def test_writes_to_a_missing_comment_raise_not_found(store: CommentStore) -> None:
    with pytest.raises(CommentNotFound) as caught:
        await store.update_text(404, "x", "x", "x", T0)
    assert caught.value.status_code == 404
    with pytest.raises(CommentNotFound):
        await store.set_status(404, "approved")
    with pytest.raises(CommentNotFound):
        await store.delete(404)


async def test_set_status(store: CommentStore) -> None:
    comment = await add(store, status="pending")
    assert (await store.set_status(comment.id, "approved")).status == "approved"
    assert await store.counts("blog", ["post"]) == {"post": 1}
    with pytest.raises(ValueError, match="unknown comment status"):
        await store.set_status(comment.id, "hidden")


async def test_delete_without_replies_removes_the_row(store: CommentStore) -> None:
    comment = await add(store)
    await store.delete(comment.id)
    assert await store.get(comment.id) is None
    assert await store.counts("blog", ["post"]) == {"post": 0}


async def test_delete_with_replies_keeps_an_erased_placeholder(store: CommentStore) -> None:
    root = await add(store, "root")
    reply = await add(store, "reply", parent=root.id, author="Bo")
    await store.delete(root.id)
    placeholder = await store.get(root.id)
    assert placeholder is not None
    assert placeholder.status == "deleted"
    assert (placeholder.author, placeholder.text, placeholder.html) == ("", "", "")
    assert placeholder.email is None
    assert placeholder.website is None
    assert placeholder.client_key is None
    assert placeholder.consent_at is None
    assert placeholder.author_key != root.author_key
    assert len(placeholder.author_key) == 64
    # The erased author can post the same text again: the duplicate key is free.
    await add(store, "root")
    page, _ = await store.list_thread("blog", "post", statuses=("approved", "deleted"))
    assert root.id in ids(page)
    assert reply.id in ids(page)


async def test_deleting_the_last_reply_removes_deleted_placeholders_above(
    store: CommentStore,
) -> None:
    root = await add(store, "root")
    middle = await add(store, "middle", parent=root.id, author="Bo")
    leaf = await add(store, "leaf", parent=middle.id, author="Cy")
    sibling = await add(store, "sibling", parent=root.id, author="Di")
    await store.delete(root.id)
    await store.delete(middle.id)
    await store.delete(leaf.id)
    assert await store.get(leaf.id) is None
    assert await store.get(middle.id) is None  # placeholder without replies now
    assert await store.get(root.id) is not None  # still has the sibling below
    await store.delete(sibling.id)
    assert await store.get(root.id) is None


# -- flood control and retention -------------------------------------------------------


async def test_hits_count_per_kind_client_and_time(store: CommentStore) -> None:
    for minutes in (0, 10, 20):
        await store.hit("comment", "client-1", T0 + timedelta(minutes=minutes))
    await store.hit("comment", "client-2", T0)
    await store.hit("edit", "client-1", T0)
    assert await store.hits("comment", "client-1", T0) == 3
    assert await store.hits("comment", "client-1", T0 + timedelta(minutes=10)) == 2
    assert await store.hits("comment", "client-1", T0 + timedelta(hours=1)) == 0
    assert await store.hits("comment", "client-3", T0) == 0
    assert await store.hits("edit", "client-1", T0) == 1


async def test_purge_forgets_old_events_and_client_keys(store: CommentStore) -> None:
    old = await add(store, "old", at=T0)
    new = await add(store, "new", at=T0 + timedelta(days=30))
    await store.hit("comment", "client-1", T0)
    await store.hit("comment", "client-1", T0 + timedelta(days=30))
    cutoff = T0 + timedelta(days=7)
    assert await store.purge(cutoff) == 2
    assert await store.hits("comment", "client-1", T0) == 1
    old_now, new_now = await store.get(old.id), await store.get(new.id)
    assert old_now is not None
    assert old_now.client_key is None
    assert new_now is not None
    assert new_now.client_key == "client-1"
    assert await store.purge(cutoff) == 0


async def test_what_add_returns_is_what_is_stored(store: CommentStore) -> None:
    """The posting path builds its answer from what it wrote (on SQLite through the plain
    driver): reading the rows back through SQLAlchemy gives the same records."""
    moment = T0 + timedelta(microseconds=123_456)
    root = await add(store, "root", at=moment)
    reply = await store.add(
        **comment_values("reply", parent=root.id, author="Bo", at=moment),
        flood=(FloodLimit(5, 15),),
    )
    assert await store.get(root.id) == root
    assert await store.get(reply.id) == reply
    assert reply.created_at == moment
    assert reply.consent_at == moment
    assert await store.hits("comment", "client-1", moment - timedelta(seconds=1)) == 1
    assert await store.hits("comment", "client-1", moment) == 1  # since is inclusive


async def test_flood_limits_refuse_and_say_when_to_come_back(store: CommentStore) -> None:
    limits = (FloodLimit(1, 15), FloodLimit(3, 3600))
    await store.add(**comment_values("first", at=T0), flood=limits)
    with pytest.raises(TooManyComments) as caught:
        await store.add(**comment_values("second", at=T0 + timedelta(seconds=5)), flood=limits)
    assert caught.value.retry_after == 10  # the first one leaves the 15 s window then
    await store.add(**comment_values("second", at=T0 + timedelta(seconds=15)), flood=limits)
    await store.add(**comment_values("third", at=T0 + timedelta(seconds=30)), flood=limits)
    with pytest.raises(TooManyComments) as caught:
        await store.add(**comment_values("fourth", at=T0 + timedelta(seconds=60)), flood=limits)
    assert caught.value.retry_after == 3540
    # Refused posts store nothing and count nothing; other clients are not affected.
    assert await store.hits("comment", "client-1", T0) == 3
    assert await store.counts("blog", ["post"]) == {"post": 3}
    other = comment_values("fourth", at=T0 + timedelta(seconds=60), client_key="client-2")
    await store.add(**other, flood=limits)


async def test_flood_limits_hold_for_concurrent_posts_in_two_processes(
    database: Database,
) -> None:
    """Two app processes (two Database objects), 20 posts at once from one client with a
    limit of 3: exactly 3 are stored."""
    other = Database(database.url.render_as_string(hide_password=False))
    stores = [CommentStore(database), CommentStore(other)]
    limits = (FloodLimit(3, 15),)
    try:
        outcomes = await asyncio.gather(
            *(
                stores[index % 2].add(
                    **comment_values(f"post {index}", at=T0 + timedelta(milliseconds=index)),
                    flood=limits,
                )
                for index in range(20)
            ),
            return_exceptions=True,
        )
    finally:
        await other.close()
    stored = [outcome for outcome in outcomes if isinstance(outcome, StoredComment)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, TooManyComments)]
    assert (len(stored), len(refused)) == (3, 17), outcomes
    assert await stores[0].counts("blog", ["post"]) == {"post": 3}


async def test_one_failing_write_in_a_batch_leaves_the_others_stored(
    store: CommentStore,
) -> None:
    """Writes queued together commit together; a duplicate among them is refused alone."""
    first = await add(store, "already here")
    outcomes = await asyncio.gather(
        add(store, "new one", author="Bo"),
        add(store, "already here"),  # duplicate of the first
        add(store, "a reply", author="Cy", parent=first.id),
        add(store, "reply to nothing", author="Di", parent=first.id + 1000),
        add(store, "another new one", author="Ed"),
        return_exceptions=True,
    )
    kinds = [type(outcome).__name__ for outcome in outcomes]
    assert kinds == [
        "StoredComment",
        "DuplicateComment",
        "StoredComment",
        "ParentNotFound",
        "StoredComment",
    ]
    page, _ = await store.list_thread("blog", "post")
    assert sorted(comment.text for comment in page) == sorted(
        ["already here", "new one", "a reply", "another new one"]
    )


async def test_recent_lists_a_sites_approved_comments_across_threads(
    store: CommentStore,
) -> None:
    version = await store.site_version("blog")
    old = await add(store, "old", thread="a", at=T0)
    await add(store, "held", thread="b", status="pending", at=T0 + timedelta(minutes=1))
    new = await add(store, "new", thread="b", author="Bo", at=T0 + timedelta(minutes=2))
    await add(store, "elsewhere", site="shop", at=T0 + timedelta(minutes=3))
    found = await store.recent("blog", limit=10)
    assert [item.comment.id for item in found] == [new.id, old.id]
    assert [(item.thread_url, item.thread_title) for item in found] == [
        (f"{URL}/b", "Title of b"),
        (f"{URL}/a", "Title of a"),
    ]
    assert found[0].comment.thread_key == "b"
    assert found[0].comment.site == "blog"
    assert [item.comment.id for item in await store.recent("blog", limit=1)] == [new.id]
    assert await store.site_version("blog") != version
    before = await store.site_version("blog")
    await add(store, "shop only", site="shop", author="Cy")
    assert await store.site_version("blog") == before
    await store.set_status(old.id, "spam")
    assert await store.site_version("blog") != before


# -- isolation and concurrency ---------------------------------------------------------


async def test_sites_never_mix_threads_with_the_same_key(store: CommentStore) -> None:
    blog = await add(store, "on the blog", site="blog")
    shop = await add(store, "in the shop", site="shop")
    assert blog.thread_id != shop.thread_id
    blog_page, _ = await store.list_thread("blog", "post")
    shop_page, _ = await store.list_thread("shop", "post")
    assert ids(blog_page) == [blog.id]
    assert ids(shop_page) == [shop.id]
    assert shop_page[0].site == "shop"
    assert await store.thread_version("blog", "post") != await store.thread_version("shop", "post")
    with pytest.raises(ParentNotFound):
        await add(store, "cross-site reply", site="shop", parent=blog.id, author="Bo")
    assert await store.counts("shop", ["post"]) == {"post": 1}


async def test_concurrent_adds_to_one_new_thread_are_all_stored(store: CommentStore) -> None:
    # gather, not a task group: a failure must show, not cancel the others mid-query.
    outcomes = await asyncio.gather(
        *(add(store, f"comment {index}", author=f"Author {index}") for index in range(20)),
        return_exceptions=True,
    )
    results = [outcome for outcome in outcomes if isinstance(outcome, StoredComment)]
    assert results == outcomes
    assert len({comment.id for comment in results}) == 20
    assert len({comment.thread_id for comment in results}) == 1
    page, cursor = await store.list_thread("blog", "post", limit=50)
    assert len(page) == 20
    assert cursor is None
    assert await store.counts("blog", ["post"]) == {"post": 20}
    assert (await store.thread_version("blog", "post")).endswith(".20")


async def test_unreachable_database_is_a_503() -> None:
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            await CommentStore(database).get(1)
    finally:
        await database.close()
    assert caught.value.retry_after == 5


# -- scale -----------------------------------------------------------------------------


async def test_first_page_of_a_big_thread_reads_about_limit_roots(
    store: CommentStore, database: Database
) -> None:
    """10,000 comments, 20 roots a page: the queries use the listing index, never a scan
    of the thread, and read about ``limit`` roots (counted by PostgreSQL's EXPLAIN ANALYZE;
    SQLite's plan shows an index search in page order with no sort)."""
    first = await add(store, "first")
    rows = []
    for index in range(1, 10_000):
        root = index % 10 != 0
        rows.append(
            {
                "thread_id": first.thread_id,
                "parent_id": None if root else first.id,
                "root_id": None if root else first.id,
                "depth": 0 if root else 1,
                "author": f"A{index}",
                "author_key": f"key-{index}",
                "text": "x",
                "html": "x",
                "status": "approved" if index % 7 else "pending",
                "created_at": T0 + timedelta(seconds=index),
                "text_hash": f"h{index}",
            }
        )
    async with database.writing() as connection:
        await connection.execute(comments.insert(), rows)
    if database.dialect == "postgresql":
        async with database.writing() as connection:
            await connection.execute(text("ANALYZE comments"))  # as autovacuum would
    async with database.reading() as connection:
        total = (await connection.execute(select(func.count()).select_from(comments))).scalar()
    assert total == 10_000

    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM comments" in statement:
            statements.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        page, cursor = await store.list_thread("blog", "post", limit=20, newest_first=True)
        await store.list_thread("blog", "post", limit=20, newest_first=True, after=cursor)
        await store.list_thread("blog", "post", limit=20)  # with the replies of "first"
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert cursor is not None
    assert len([c for c in page if c.root_id is None]) == 20
    assert statements, "no query of the comments table was seen"

    async with database.reading() as connection:
        for statement, parameters in statements:
            if database.dialect == "sqlite":
                plan = (
                    await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                ).all()
                details = " | ".join(str(row[-1]) for row in plan)
                assert "SCAN comments" not in details, details
                assert "USING INDEX ix_comments_listing" in details, details
                assert "TEMP B-TREE" not in details, details
            else:
                explained = (
                    await connection.exec_driver_sql(
                        f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
                    )
                ).scalar()
                plan = explained if isinstance(explained, list) else json.loads(explained)
                read = rows_read_from_comments(plan[0]["Plan"])
                # 21 roots at most; the oldest page also reads the ~860 approved replies
                # of "first", which it shows.
                limit = 1_000 if "root_id IN" in statement else 21
                assert read <= limit, (read, statement)


def rows_read_from_comments(node: dict[str, Any]) -> int:
    """Rows a plan took from the comments table (returned plus filtered away); a sequential
    scan counts as the whole table."""
    read = 0
    if node.get("Relation Name") == "comments":
        if node["Node Type"] == "Seq Scan":
            return 10**9
        loops = node.get("Actual Loops", 1)
        read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
    for child in node.get("Plans", []):
        read += rows_read_from_comments(child)
    return read
