"""Data-protection requests in the database, on SQLite and PostgreSQL: everything stored
for an address is found in any case and on every site, and erasing it (anonymised or
deleted) leaves no trace of the address in any column of any table, in one transaction,
while other people's comments, replies and subscriptions stay."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.outbox import Outbox
from sharekit.storage.privacy import Erased, PrivacyStore, same_address
from sharekit.storage.records import StoredComment
from sharekit.storage.subscriptions import REPLY, SubscriptionStore
from sharekit.storage.tables import comments, threads
from tests.test_storage_comments import T0, comment_values, database, store  # noqa: F401

pytestmark = pytest.mark.anyio

ADA = "ada.lovelace@mail.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def privacy(database: Database) -> PrivacyStore:  # noqa: F811
    return PrivacyStore(database)


@dataclass
class World:
    """Ada's data, stored under her address in several spellings, among other people's."""

    bea_root: StoredComment
    ada_root: StoredComment  # Cem replied to it
    cem_reply: StoredComment
    ada_reply: StoredComment  # a leaf, under Bea's comment
    ada_other: StoredComment  # on the other site
    ada_pending: StoredComment  # held, in a second thread
    ada_subscription: int
    bea_subscription: int


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def _add(
    store: CommentStore,  # noqa: F811
    text_: str,
    author: str,
    email: str,
    **options: Any,
) -> StoredComment:
    extra = {key: options.pop(key) for key in ("events", "subscribe") if key in options}
    values = comment_values(text_, author=author, **options)
    values["email"] = email
    values["text_hash"] = digest(text_)
    return await store.add(**values, **extra)


async def build(store: CommentStore, database: Database) -> World:  # noqa: F811
    subs = SubscriptionStore(database)
    bea_root = await _add(
        store, "Bea starts", "Bea", "bea@mail.example", events=["comment-new"], subscribe=True
    )
    ada_root = await _add(
        store,
        "Ada here; write to ADA.LOVELACE@MAIL.EXAMPLE or Ada.Lovelace@mail.example",
        "Ada",
        "Ada.Lovelace@Mail.Example",
        events=["comment-new"],
        subscribe=True,
    )
    cem_reply = await _add(store, "Cem answers Ada", "Cem", "cem@mail.example", parent=ada_root.id)
    ada_reply = await _add(
        store, "Ada answers Bea", "Ada", "ADA.LOVELACE@mail.example", parent=bea_root.id
    )
    ada_other = await _add(
        store, "Ada elsewhere", "Ada", ADA, site="other", subscribe=True, thread="post"
    )
    ada_pending = await _add(
        store, "Ada held", "Ada", "ada.lovelace@MAIL.example", status="pending", thread="second"
    )
    (ada_subscription,) = await subs.for_email(ADA, site="blog")
    (bea_subscription,) = await subs.for_email("bea@mail.example")
    for subscription in (ada_subscription, bea_subscription):
        assert await subs.confirm(subscription.id, subscription.email, T0)
    assert await subs.fan_out(cem_reply.id, T0) == 2  # one reply mail to Ada, one to Bea
    outbox = Outbox(database)
    await outbox.put("note", {"to": "Ada.Lovelace@mail.example", "site": "other"}, T0)
    await outbox.put("note", {"to": "bea@mail.example", "site": "other"}, T0)
    return World(
        bea_root,
        ada_root,
        cem_reply,
        ada_reply,
        ada_other,
        ada_pending,
        ada_subscription.id,
        bea_subscription.id,
    )


async def text_values(database: Database) -> list[tuple[str, str, str]]:  # noqa: F811
    """Every text value in every table of the database (JSON payloads decoded too)."""
    found = []
    async with database.reading() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {"comments", "subscriptions", "outbox", "threads", "rate_events"} <= set(names)
        for name in names:
            for row in await connection.execute(text(f'SELECT * FROM "{name}"')):
                for column, value in row._mapping.items():
                    if isinstance(value, str):
                        found.append((name, column, value))
                        if name == "outbox" and column == "payload":
                            found.append((name, "payload (decoded)", str(json.loads(value))))
    return found


def traces(values: list[tuple[str, str, str]], email: str) -> list[tuple[str, str]]:
    variants = {email, email.lower(), email.upper(), email.title()}
    return [
        (table, column)
        for table, column, value in values
        if any(variant.lower() in value.lower() for variant in variants)
    ]


def rewrite(value: str) -> tuple[str, str, str] | None:
    """What the privacy requests pass: the text without the address (any case)."""
    if ADA not in value.lower():
        return None
    start = value.lower().index(ADA)
    cleaned = value[:start] + "[…]" + value[start + len(ADA) :]
    again = rewrite(cleaned)
    if again is not None:
        return again
    return cleaned, f"<p>{cleaned}</p>", digest(cleaned)


async def versions(database: Database) -> dict[tuple[str, str], int]:  # noqa: F811
    async with database.reading() as connection:
        rows = await connection.execute(select(threads.c.site, threads.c.key, threads.c.version))
        return {(row.site, row.key): row.version for row in rows}


async def row(database: Database, comment_id: int) -> Any:  # noqa: F811
    async with database.reading() as connection:
        query = select(comments).where(comments.c.id == comment_id)
        return (await connection.execute(query)).first()


async def test_find_matches_the_address_in_any_case_on_every_site(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    world = await build(store, database)
    data = await privacy.find("  ADA.Lovelace@mail.EXAMPLE ")
    assert [item.comment.id for item in data.comments] == [
        world.ada_root.id,
        world.ada_reply.id,
        world.ada_pending.id,
        world.ada_other.id,
    ]
    assert data.comments[0].thread_url == "https://blog.example/post/post"
    assert data.comments[0].thread_title == "Title of post"
    assert [(s.site, s.confirmed) for s in data.subscriptions] == [
        ("blog", True),
        ("other", False),
    ]
    kinds = sorted(
        (mail.kind, json.dumps(dict(mail.payload), sort_keys=True)) for mail in data.mail
    )
    ada_sub = world.ada_subscription
    other_sub = data.subscriptions[1].id
    assert kinds == sorted(
        [
            ("comment-new", json.dumps({"comment": world.ada_root.id})),
            ("note", json.dumps({"site": "other", "to": "Ada.Lovelace@mail.example"})),
            (REPLY, json.dumps({"comment": world.cem_reply.id, "subscription": ada_sub})),
            (
                "subscription-confirm",
                json.dumps({"comment": world.ada_root.id, "subscription": ada_sub}),
            ),
            (
                "subscription-confirm",
                json.dumps({"comment": world.ada_other.id, "subscription": other_sub}),
            ),
        ]
    )
    assert all(mail.next_attempt_at is not None and mail.attempts == 0 for mail in data.mail)

    on_blog = await privacy.find(ADA, site="blog")
    assert {item.comment.site for item in on_blog.comments} == {"blog"}
    assert len(on_blog.comments) == 3
    assert [s.site for s in on_blog.subscriptions] == ["blog"]
    assert {mail.kind for mail in on_blog.mail} == {"comment-new", REPLY, "subscription-confirm"}
    assert len(on_blog.mail) == 3


@pytest.mark.parametrize(
    "other",
    ["ada.lovelace@mail.exampl", "da.lovelace@mail.example", "%@mail.example", "ada_lovelace@%"],
)
async def test_find_needs_the_whole_address_and_wildcards_are_literal(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
    other: str,
) -> None:
    await build(store, database)
    assert not await privacy.find(other)
    assert not await privacy.find("")


async def test_non_ascii_addresses_match_in_any_case(
    store: CommentStore,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    stored = await _add(store, "Grüße", "Jörg", "Jörg.Ärger@Mail.Example")
    await _add(store, "Andere", "Jorg", "jorg.arger@mail.example")
    for asked in ("JÖRG.ÄRGER@MAIL.EXAMPLE", "jörg.ärger@mail.example"):
        found = await privacy.find(asked)
        assert [item.comment.id for item in found.comments] == [stored.id]
    assert not await privacy.find("jörg.ärgerx@mail.example")


async def test_anonymise_keeps_the_text_and_leaves_no_trace_of_the_address(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    world = await build(store, database)
    before_values = await text_values(database)
    assert {table for table, _ in traces(before_values, ADA)} == {
        "comments",
        "subscriptions",
        "outbox",
    }
    before = await versions(database)

    erased = await privacy.erase("Ada.Lovelace@MAIL.example", mode="anonymise", rewrite=rewrite)

    assert erased == Erased(anonymised=4, deleted=0, subscriptions=2, mail=5, threads=3)
    assert not await privacy.find(ADA)
    assert traces(await text_values(database), ADA) == []
    after = await versions(database)
    assert {key for key in after if after[key] > before[key]} == {
        ("blog", "post"),
        ("blog", "second"),
        ("other", "post"),
    }
    root = await row(database, world.ada_root.id)
    assert root.status == "approved"
    assert root.text == "Ada here; write to […] or […]"
    assert root.html == "<p>Ada here; write to […] or […]</p>"
    assert (root.author, root.email, root.website, root.client_key, root.consent_at) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert root.author_key != world.ada_root.author_key
    assert len(root.author_key) == 64
    reply = await row(database, world.ada_reply.id)
    assert (reply.text, reply.parent_id, reply.author) == (
        "Ada answers Bea",
        world.bea_root.id,
        "",
    )
    assert reply.text_hash == world.ada_reply.text_hash
    assert reply.author_key != root.author_key
    # Everyone else's data stays: Cem's reply keeps its place, Bea keeps her subscription
    # and the mail about her.
    cem = await row(database, world.cem_reply.id)
    assert (cem.parent_id, cem.email) == (world.ada_root.id, "cem@mail.example")
    bea = await privacy.find("bea@mail.example")
    assert [s.id for s in bea.subscriptions] == [world.bea_subscription]
    assert sorted(mail.kind for mail in bea.mail) == [
        "comment-new",
        "note",
        REPLY,
        "subscription-confirm",
    ]
    # A second request finds nothing more to do.
    assert not await privacy.erase(ADA, mode="anonymise", rewrite=rewrite)


async def test_delete_removes_the_comments_and_keeps_the_replies_of_others(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    world = await build(store, database)
    erased = await privacy.erase(ADA.upper(), mode="delete")
    assert erased == Erased(anonymised=0, deleted=4, subscriptions=2, mail=5, threads=3)
    assert not await privacy.find(ADA)
    assert traces(await text_values(database), ADA) == []
    placeholder = await row(database, world.ada_root.id)
    assert (placeholder.status, placeholder.text, placeholder.html, placeholder.author) == (
        "deleted",
        "",
        "",
        "",
    )
    for gone in (world.ada_reply, world.ada_other, world.ada_pending):
        assert await row(database, gone.id) is None
    assert (await row(database, world.cem_reply.id)).parent_id == world.ada_root.id
    assert (await row(database, world.bea_root.id)).status == "approved"
    listed, _ = await store.list_thread("blog", "post", statuses=("approved", "deleted"))
    assert [c.id for c in listed] == [world.bea_root.id, world.ada_root.id, world.cem_reply.id]


async def test_erase_on_one_site_leaves_the_others(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    world = await build(store, database)
    erased = await privacy.erase(ADA, site="other", mode="delete")
    assert erased == Erased(anonymised=0, deleted=1, subscriptions=1, mail=2, threads=1)
    left = await privacy.find(ADA)
    assert {item.comment.site for item in left.comments} == {"blog"}
    assert len(left.comments) == 3
    assert [s.id for s in left.subscriptions] == [world.ada_subscription]
    assert len(left.mail) == 3
    assert not await privacy.find(ADA, site="other")
    assert await row(database, world.ada_other.id) is None


async def test_erase_is_one_transaction(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    await build(store, database)
    before = await text_values(database)
    calls = []

    def failing(value: str) -> tuple[str, str, str] | None:
        calls.append(value)
        if len(calls) == 2:
            raise RuntimeError("the second comment cannot be rewritten")
        return None

    with pytest.raises(RuntimeError):
        await privacy.erase(ADA, mode="anonymise", rewrite=failing)
    assert len(calls) == 2  # the first comment had been changed already
    assert await text_values(database) == before


async def test_same_address_escapes_like_wildcards() -> None:
    condition = same_address(comments.c.email, "A_b%c\\d@x.example")
    compiled = condition.compile(compile_kwargs={"literal_binds": True})
    assert "a\\_b\\%c\\\\d@x.example" in str(compiled)


async def test_nothing_is_created_for_a_request_on_an_empty_database(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}")  # noqa: F811
    try:
        privacy = PrivacyStore(database)
        assert not await privacy.find(ADA)
        assert not await privacy.erase(ADA, mode="delete")
        assert not (tmp_path / "sharekit.db").exists()
    finally:
        await database.close()


async def test_held_mail_that_failed_is_found_and_erased(
    store: CommentStore,  # noqa: F811
    database: Database,  # noqa: F811
    privacy: PrivacyStore,
) -> None:
    world = await build(store, database)
    outbox = Outbox(database)
    claimed = await outbox.claim(T0 + timedelta(minutes=1), timedelta(minutes=5), limit=100)
    for event in claimed:
        await outbox.give_up(event.id, "mailbox unavailable", T0 + timedelta(minutes=2))
    found = await privacy.find(ADA)
    assert len(found.mail) == 5
    assert all(mail.next_attempt_at is None and mail.failed_at for mail in found.mail)
    assert all(mail.attempts == 1 for mail in found.mail)
    assert (await privacy.erase(ADA, mode="anonymise")).mail == 5
    assert world.ada_root.id not in {
        json.loads(value).get("comment")
        for table, column, value in await text_values(database)
        if (table, column) == ("outbox", "payload")
    }
