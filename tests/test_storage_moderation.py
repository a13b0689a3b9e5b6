"""The moderation store and the outbox, on SQLite and PostgreSQL: finding comments across
threads and sites, changing many at once (with the events of newly approved ones queued in
the same transaction), expiry of held comments and spam, and leases on queued events."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.moderation import Filter, ModerationStore
from sharekit.storage.outbox import Outbox
from sharekit.storage.tables import outbox, subscriptions
from tests.test_storage_comments import T0, add, comment_values, database, store  # noqa: F401

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def moderation(database: Database) -> ModerationStore:  # noqa: F811
    return ModerationStore(database)


async def queued(database: Database) -> list[tuple[str, str]]:  # noqa: F811
    async with database.reading() as connection:
        rows = await connection.execute(
            select(outbox.c.kind, outbox.c.payload).order_by(outbox.c.id)
        )
        return [(row.kind, row.payload) for row in rows]


async def test_find_filters_by_site_thread_status_and_search(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
) -> None:
    first = await add(store, "Erster Beitrag", status="pending")
    second = await add(store, "Zweiter", author="Bea", thread="other-post", at=T0 + timedelta(1))
    third = await add(store, "Dritter 100%_sicher", site="other", author="Cem")

    found, total = await moderation.find(Filter())
    assert [item.comment.id for item in found] == [second.id, third.id, first.id]
    assert total == 3
    assert found[0].thread_url.endswith("/other-post")
    assert found[0].thread_title == "Title of other-post"

    pending, total = await moderation.find(Filter(statuses=["pending"]))
    assert ([item.comment.id for item in pending], total) == ([first.id], 1)
    in_blog, _ = await moderation.find(Filter(site="blog", thread="post"))
    assert [item.comment.id for item in in_blog] == [first.id]
    # Search covers name, email, website and text, case-insensitively; % and _ are literal.
    assert [i.comment.id for i in (await moderation.find(Filter(search="BEA@MAIL")))[0]] == [
        second.id
    ]
    assert [i.comment.id for i in (await moderation.find(Filter(search="100%_")))[0]] == [third.id]
    assert (await moderation.find(Filter(search="1%s")))[1] == 0  # not a wildcard
    by_email = await moderation.find(Filter(email="CEM@mail.example"))
    assert [item.comment.id for item in by_email[0]] == [third.id]

    page, total = await moderation.find(Filter(), limit=1, offset=1, newest_first=False)
    assert ([item.comment.id for item in page], total) == ([third.id], 3)
    with pytest.raises(ValueError, match="unknown comment status"):
        await moderation.find(Filter(statuses=["hidden"]))


async def test_set_status_queues_events_only_for_newly_approved(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
    database: Database,  # noqa: F811
) -> None:
    held = await add(store, "Held", status="pending")
    shown = await add(store, "Shown", author="Bea")
    version = await store.thread_version("blog", "post")

    changed = await moderation.set_status(
        [held.id, shown.id, held.id, 999_999], "approved", T0, approved_event="comment-approved"
    )
    assert [c.id for c in changed] == [held.id, shown.id]
    assert all(c.status == "approved" for c in changed)
    assert await queued(database) == [("comment-approved", f'{{"comment":{held.id}}}')]
    assert await store.thread_version("blog", "post") != version  # caches see it

    spam = await moderation.set_status([shown.id], "spam", T0)
    assert [c.status for c in spam] == ["spam"]
    assert len(await queued(database)) == 1


async def test_delete_keeps_the_shape_of_the_thread(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
) -> None:
    parent = await add(store, "Parent")
    reply = await add(store, "Reply", parent=parent.id, author="Bea")
    lone = await add(store, "Lone", author="Cem")
    assert await moderation.delete([parent.id, lone.id, 424242]) == 2
    placeholder = await store.get(parent.id)
    assert placeholder is not None
    assert placeholder.status == "deleted"
    assert placeholder.email is None
    assert placeholder.text == ""
    assert await store.get(lone.id) is None
    assert (await store.get(reply.id)) is not None
    # A deleted placeholder cannot be approved back into view.
    assert await moderation.set_status([parent.id], "approved", T0) == []


async def test_edit_renders_anew_and_refuses_a_duplicate(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
) -> None:
    from sharekit.storage.errors import CommentNotFound, DuplicateComment

    first = await add(store, "First")
    await add(store, "Second")
    edited = await moderation.edit(
        first.id, text="Fixed", html="<p>Fixed</p>", text_hash="hash-Fixed", author="Ana B."
    )
    assert (edited.text, edited.html, edited.author) == ("Fixed", "<p>Fixed</p>", "Ana B.")
    assert edited.edited_at is None  # a moderator's correction is not the author's edit
    with pytest.raises(DuplicateComment):
        await moderation.edit(first.id, text="Second", html="", text_hash="hash-Second")
    with pytest.raises(CommentNotFound):
        await moderation.edit(999_999, text="x", html="", text_hash="h")


async def test_approved_before_is_per_site_and_address(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
) -> None:
    await add(store, "Held", status="pending")
    assert not await moderation.approved_before("blog", "ana@mail.example")
    await add(store, "Shown", thread="second")
    assert await moderation.approved_before("blog", "ana@mail.example")
    assert not await moderation.approved_before("other", "ana@mail.example")
    assert not await moderation.approved_before("blog", "bea@mail.example")


async def test_purge_held_deletes_old_pending_and_spam_only(
    store: CommentStore,  # noqa: F811
    moderation: ModerationStore,
) -> None:
    old_pending = await add(store, "Old held", status="pending")
    old_spam = await add(store, "Old spam", status="spam", author="Bea")
    old_shown = await add(store, "Old shown", author="Cem")
    new_pending = await add(store, "New held", status="pending", at=T0 + timedelta(days=20))
    purged = await moderation.purge_held(T0 + timedelta(days=1), T0 + timedelta(hours=1))
    assert purged == 2
    assert await store.get(old_pending.id) is None
    assert await store.get(old_spam.id) is None
    assert await store.get(old_shown.id) is not None
    assert await store.get(new_pending.id) is not None


async def test_posting_queues_events_and_one_subscription(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
) -> None:
    first = await store.add(
        **comment_values("One"), events=["comment-new", "comment-approved"], subscribe=True
    )
    second = await store.add(**comment_values("Two"), subscribe=True)  # already subscribed
    kinds = [kind for kind, _ in await queued(database)]
    assert kinds == ["comment-new", "comment-approved", "subscription-confirm"]
    async with database.reading() as connection:
        rows = (await connection.execute(select(subscriptions))).all()
    assert [(row.email, row.confirmed_at) for row in rows] == [("ana@mail.example", None)]
    assert second.id > first.id
    # Unconfirmed subscriptions expire.
    assert await store.purge_subscriptions(T0 + timedelta(days=8)) == 1


async def test_outbox_leases_retries_and_gives_up(database: Database) -> None:  # noqa: F811
    box = Outbox(database)
    first = await box.put("comment-new", {"comment": 1}, T0)
    second = await box.put("comment-new", {"comment": 2}, T0 + timedelta(seconds=1))
    lease = timedelta(minutes=5)

    claimed = await box.claim(T0 + timedelta(seconds=2), lease)
    assert [(e.id, e.payload, e.attempts) for e in claimed] == [
        (first, {"comment": 1}, 1),
        (second, {"comment": 2}, 1),
    ]
    # Leased: nobody else gets them until the lease runs out.
    assert await box.claim(T0 + timedelta(minutes=1), lease) == []
    assert await box.waiting() == 2

    await box.done(first)
    await box.retry(second, "connection refused by smtp.example:587", T0 + timedelta(minutes=2))
    again = await box.claim(T0 + timedelta(minutes=2), lease)
    assert [(e.id, e.attempts) for e in again] == [(second, 2)]
    await box.give_up(second, "too many attempts", T0 + timedelta(minutes=3))
    assert await box.claim(T0 + timedelta(days=9), lease) == []
    assert await box.waiting() == 0
    async with database.reading() as connection:
        row = (await connection.execute(select(outbox))).one()
    assert (row.last_error, row.attempts) == ("too many attempts", 2)
    assert await box.purge_failed(T0 + timedelta(days=1)) == 1
    async with database.reading() as connection:
        assert (await connection.execute(select(func.count()).select_from(outbox))).scalar() == 0


async def test_concurrent_claims_never_share_an_event(database: Database) -> None:  # noqa: F811
    box = Outbox(database)
    for number in range(30):
        await box.put("comment-new", {"comment": number}, T0)
    other = Database(str(database.url.render_as_string(hide_password=False)))
    try:
        results = await asyncio.gather(
            *(
                (box if n % 2 else Outbox(other)).claim(T0, timedelta(minutes=5), limit=7)
                for n in range(8)
            )
        )
    finally:
        await other.close()
    ids = [event.id for events in results for event in events]
    assert len(ids) == len(set(ids)) == 30
