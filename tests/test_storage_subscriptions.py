"""The subscription store on SQLite and PostgreSQL: confirming and unsubscribing need the
id *and* the address, confirmed subscribers of a thread (without the reply's author),
the fan-out of an approved comment into one ``reply`` event each, and what a
data-protection request finds and erases."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.records import StoredComment
from sharekit.storage.subscriptions import REPLY, StoredSubscription, SubscriptionStore
from sharekit.storage.tables import outbox, subscriptions
from tests.test_storage_comments import T0, comment_values, database, store  # noqa: F401

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def subs(database: Database) -> SubscriptionStore:  # noqa: F811
    return SubscriptionStore(database)


async def subscribe(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
    author: str,
    *,
    thread: str = "post",
    site: str = "blog",
    confirm: bool = True,
    **options: Any,
) -> tuple[StoredComment, StoredSubscription]:
    """A comment by ``author`` asking for reply notifications, confirmed unless told not."""
    values = comment_values(f"Comment by {author}", author=author, thread=thread, site=site)
    comment = await store.add(**{**values, **options}, subscribe=True)
    found = [
        s
        for s in await subs.for_email(f"{author.lower()}@mail.example", site=site)
        if s.thread_key == thread
    ]
    assert len(found) == 1
    subscription = found[0]
    if confirm:
        confirmed = await subs.confirm(subscription.id, subscription.email, T0 + timedelta(1))
        assert confirmed is not None
        subscription = confirmed
    return comment, subscription


async def reply_events(database: Database) -> list[dict[str, int]]:  # noqa: F811
    async with database.reading() as connection:
        rows = await connection.execute(
            select(outbox.c.payload).where(outbox.c.kind == REPLY).order_by(outbox.c.id)
        )
        return [json.loads(row.payload) for row in rows]


async def test_get_returns_the_subscription_with_its_page(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
) -> None:
    _, made = await subscribe(store, subs, "Ana", confirm=False)
    found = await subs.get(made.id)
    assert found == made
    assert (found.email, found.confirmed_at, found.confirmed) == ("ana@mail.example", None, False)
    assert (found.site, found.thread_key) == ("blog", "post")
    assert (found.thread_url, found.thread_title) == (
        "https://blog.example/post/post",
        "Title of post",
    )
    assert found.created_at == T0
    assert await subs.get(made.id + 100) is None


async def test_confirm_needs_the_address_and_keeps_the_first_time(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
) -> None:
    _, made = await subscribe(store, subs, "Ana", confirm=False)
    assert await subs.confirm(made.id, "bea@mail.example", T0) is None
    assert await subs.confirm(made.id + 100, made.email, T0) is None
    assert (await subs.get(made.id)).confirmed_at is None  # type: ignore[union-attr]

    first = await subs.confirm(made.id, made.email, T0 + timedelta(hours=1))
    assert first is not None
    assert first.confirmed_at == T0 + timedelta(hours=1)
    again = await subs.confirm(made.id, made.email, T0 + timedelta(hours=2))
    assert again is not None
    assert again.confirmed_at == T0 + timedelta(hours=1)


async def test_unsubscribe_needs_the_address_and_deletes(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
    database: Database,  # noqa: F811
) -> None:
    _, made = await subscribe(store, subs, "Ana")
    assert await subs.unsubscribe(made.id, "bea@mail.example") is False
    assert await subs.get(made.id) is not None
    assert await subs.unsubscribe(made.id, made.email) is True
    assert await subs.get(made.id) is None
    assert await subs.unsubscribe(made.id, made.email) is False  # twice is harmless
    async with database.reading() as connection:
        assert (await connection.execute(select(subscriptions))).all() == []


async def test_confirmed_for_thread_leaves_out_the_unconfirmed_and_the_author(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
) -> None:
    _, ana = await subscribe(store, subs, "Ana")
    _, bea = await subscribe(store, subs, "Bea")
    await subscribe(store, subs, "Cem", confirm=False)
    await subscribe(store, subs, "Dan", thread="elsewhere")
    thread = ana.thread_id
    assert [s.id for s in await subs.confirmed_for_thread(thread)] == [ana.id, bea.id]
    assert [s.id for s in await subs.confirmed_for_thread(thread, "BEA@Mail.Example")] == [ana.id]
    assert await subs.confirmed_for_thread(thread + 1000) == []


async def test_fan_out_queues_one_reply_per_other_confirmed_subscriber(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
    database: Database,  # noqa: F811
) -> None:
    _, ana = await subscribe(store, subs, "Ana")
    _, bea = await subscribe(store, subs, "Bea")
    await subscribe(store, subs, "Cem", confirm=False)
    await subscribe(store, subs, "Dan", thread="elsewhere")
    # Bea replies (and is subscribed already): only Ana hears of it.
    values = comment_values("Bea again", author="Bea", at=T0 + timedelta(2))
    reply = await store.add(**{**values, "email": "BEA@mail.example"})
    assert await subs.fan_out(reply.id, T0 + timedelta(2)) == 1
    assert await reply_events(database) == [{"comment": reply.id, "subscription": ana.id}]

    # A comment by someone else reaches both; one without an address too.
    eve = await store.add(**comment_values("From Eve", author="Eve", at=T0 + timedelta(3)))
    anonymous = await store.add(
        **{**comment_values("Nobody", author="Nobody", at=T0 + timedelta(3)), "email": None}
    )
    assert await subs.fan_out(eve.id, T0 + timedelta(3)) == 2
    assert await subs.fan_out(anonymous.id, T0 + timedelta(3)) == 2
    assert (await reply_events(database))[1:] == [
        {"comment": eve.id, "subscription": ana.id},
        {"comment": eve.id, "subscription": bea.id},
        {"comment": anonymous.id, "subscription": ana.id},
        {"comment": anonymous.id, "subscription": bea.id},
    ]


async def test_fan_out_skips_comments_not_approved_or_gone(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
    database: Database,  # noqa: F811
) -> None:
    await subscribe(store, subs, "Ana")
    held = await store.add(**comment_values("Held", author="Eve", status="pending"))
    assert await subs.fan_out(held.id, T0) == 0
    await store.set_status(held.id, "spam")
    assert await subs.fan_out(held.id, T0) == 0
    await store.delete(held.id)
    assert await subs.fan_out(held.id, T0) == 0
    assert await reply_events(database) == []


async def test_for_email_and_delete_for_email_per_site_or_everywhere(
    store: CommentStore,  # noqa: F811
    subs: SubscriptionStore,
) -> None:
    _, blog_one = await subscribe(store, subs, "Ana")
    _, blog_two = await subscribe(store, subs, "Ana", thread="second", confirm=False)
    _, other = await subscribe(store, subs, "Ana", site="other", thread="post")
    _, bea = await subscribe(store, subs, "Bea")

    found = await subs.for_email(" ANA@mail.example ")
    assert [s.id for s in found] == [blog_one.id, blog_two.id, other.id]
    assert [s.id for s in await subs.for_email("ana@mail.example", site="other")] == [other.id]
    assert await subs.for_email("nobody@mail.example") == []

    assert await subs.delete_for_email("Ana@Mail.Example", site="other") == 1
    assert [s.id for s in await subs.for_email("ana@mail.example")] == [blog_one.id, blog_two.id]
    assert await subs.delete_for_email("ana@mail.example") == 2
    assert await subs.for_email("ana@mail.example") == []
    assert [s.id for s in await subs.for_email("bea@mail.example")] == [bea.id]


async def test_an_untouched_sqlite_database_stays_uncreated(tmp_path: Any) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")  # noqa: F811
    try:
        subs = SubscriptionStore(database)
        assert await subs.get(1) is None
        assert await subs.confirm(1, "ana@mail.example", T0) is None
        assert await subs.unsubscribe(1, "ana@mail.example") is False
        assert await subs.confirmed_for_thread(1) == []
        assert await subs.for_email("ana@mail.example") == []
        assert await subs.delete_for_email("ana@mail.example") == 0
        assert not (tmp_path / "never.db").exists()
    finally:
        await database.close()
