"""Several workers on one PostgreSQL database behave like one: no per-process state that
changes what a visitor or the owner sees.

Each "worker" is an app of its own made by ``create_app`` from the same settings, as
``sharekit serve --workers N`` makes one per process: its own listing cache, its own
database pool, its own mail sender. The tests send consecutive requests to different
workers on purpose and check flood control, duplicate detection, the listing cache and its
ETags, the admin login limit, and the mail queue (two senders on one backlog: each mail
goes out exactly once).

Each test gets a PostgreSQL database of its own at 127.0.0.1:5432 (``SHAREKIT_TEST_POSTGRES``
names another server), dropped afterwards; without a server the tests skip, unless
``CI=true``: then they fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.mail.context import MailContext
from sharekit.mail.sender import MailSender
from tests.admin_support import PASSWORD, admin_settings, csrf, log_in
from tests.comments_support import BLOG, make_settings, submission
from tests.mail_support import OWNER, Inbox, mail_settings
from tests.postgres_support import database

PEER = ("203.0.113.5", 50000)  # one visitor, whichever worker answers
OTHER_PEER = ("198.51.100.7", 50000)  # a visitor on another network
JSON = {"origin": BLOG, "accept-language": "en"}


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own."""
    with database("sk_scale") as url:
        yield url


def workers(settings: Settings, stack: ExitStack, peer: tuple[str, int] = PEER) -> list[Any]:
    """Two workers on the same settings, each an app with a running client."""
    found = []
    for _ in range(2):
        app = create_app(settings)
        client = TestClient(
            app, raise_server_exceptions=False, follow_redirects=False, client=peer
        )
        stack.enter_context(client)
        found.append((app, client))
    return found


def comment(app: Starlette, text_: str, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    return submission(app, thread, text=text_, **fields)


def post(client: TestClient, data: dict[str, Any]) -> httpx.Response:
    return client.post("/comments", json=data, headers=JSON)


def test_flood_control_counts_posts_to_every_worker(tmp_path: Path, pg_url: str) -> None:
    # One comment per 15 s per client network (the default), nothing else limiting.
    settings = make_settings(
        tmp_path, database_url=pg_url, auto_migrate=True, comments_rate_per_15s=1
    )
    with ExitStack() as stack:
        (app_a, a), (app_b, b) = workers(settings, stack)
        assert post(a, comment(app_a, "First, through worker A.")).status_code == 201
        assert post(b, comment(app_b, "Second, through worker B.")).status_code == 429
        assert post(a, comment(app_a, "Third, through worker A.")).status_code == 429
        # Another network is not limited by the first one's posts. A third worker answers
        # it: a second client on app B would run B's lifespan again on another event loop
        # while B's pool still holds connections made on the first one.
        app_c = create_app(settings)
        other = stack.enter_context(
            TestClient(app_c, raise_server_exceptions=False, client=OTHER_PEER)
        )
        assert post(other, comment(app_c, "From next door, through C.")).status_code == 201


def test_a_duplicate_is_refused_by_the_other_worker(tmp_path: Path, pg_url: str) -> None:
    settings = make_settings(tmp_path, database_url=pg_url, auto_migrate=True)
    with ExitStack() as stack:
        (app_a, a), (app_b, b) = workers(settings, stack)
        same = "The very same words, posted twice."
        assert post(a, comment(app_a, same)).status_code == 201
        assert post(b, comment(app_b, same)).status_code == 409
        assert post(b, comment(app_b, same + " Now with more.")).status_code == 201


def _listing(client: TestClient, etag: str | None = None) -> httpx.Response:
    headers = {"if-none-match": etag} if etag else {}
    return client.get(
        "/threads/t1/comments", params={"site": "blog", "format": "json"}, headers=headers
    )


def _texts(response: httpx.Response) -> list[str]:
    """The texts of the listed comments (plain words: their HTML is one paragraph)."""
    assert response.status_code == 200, response.text
    return [
        found["html"].removeprefix("<p>").removesuffix("</p>")
        for found in response.json()["comments"]
    ]


def test_a_listing_cached_by_one_worker_shows_changes_made_through_another(
    tmp_path: Path, pg_url: str
) -> None:
    settings = admin_settings(
        tmp_path, database_url=pg_url, auto_migrate=True, comments_moderation="off"
    )
    with ExitStack() as stack:
        (_, a), (app_b, b) = workers(settings, stack)
        first = post(b, comment(app_b, "The first comment."))
        assert first.status_code == 201
        cached = _listing(a)
        assert _texts(cached) == ["The first comment."]
        etag = cached.headers["etag"]
        assert _listing(a, etag).status_code == 304  # A has it cached now

        # A new comment through B: A's next answer has it, and A's old ETag is stale.
        assert post(b, comment(app_b, "The second comment.")).status_code == 201
        stale = _listing(a, etag)
        assert stale.status_code == 200
        assert _texts(stale) == ["The first comment.", "The second comment."]
        etag = stale.headers["etag"]
        assert _listing(a, etag).status_code == 304

        # Moderated through B's admin: marked as spam, it leaves A's listing at once.
        log_in(b)
        spam = first.json()["comment"]["id"]
        data = {"csrf": csrf(b), "action": "spam", "ids": [str(spam)]}
        assert b.post("/admin/comments", data=data).status_code == 303
        moderated = _listing(a, etag)
        assert moderated.status_code == 200
        assert _texts(moderated) == ["The second comment."]
        etag = moderated.headers["etag"]

        # Deleted through B's admin: gone from A's listing too.
        second = stale.json()["comments"][1]["id"]
        data = {"csrf": csrf(b), "action": "delete", "ids": [str(second)]}
        assert b.post("/admin/comments", data=data).status_code == 303
        emptied = _listing(a, etag)
        assert emptied.status_code == 200
        assert _texts(emptied) == []


def test_failed_admin_logins_count_on_every_worker(tmp_path: Path, pg_url: str) -> None:
    settings = admin_settings(
        tmp_path, database_url=pg_url, auto_migrate=True, admin_login_attempts=3
    )
    with ExitStack() as stack:
        (_, a), (_, b) = workers(settings, stack)
        for client in (a, b, a):
            wrong = client.post("/admin/login", data={"password": "not it"})
            assert wrong.status_code == 403
        # Three failures in all, spread over both workers: the right password is refused
        # now, on either.
        assert b.post("/admin/login", data={"password": PASSWORD}).status_code == 429
        assert a.post("/admin/login", data={"password": PASSWORD}).status_code == 429


def outbox_of(app: Starlette) -> Any:
    return app.state.sharekit.comments.outbox


async def _tried(database: Any) -> int:
    """Outbox events whose first try failed (and that nobody holds now)."""
    async with database.reading() as connection:
        query = text("SELECT count(*) FROM outbox WHERE last_error IS NOT NULL")
        return int((await connection.execute(query)).scalar_one())


def test_two_senders_deliver_each_queued_mail_exactly_once(tmp_path: Path, pg_url: str) -> None:
    # The SMTP server is down while the comments arrive: their owner mails wait in the
    # outbox (the first try fails, the next is due in five minutes). Then the server is
    # back, and both workers' senders work through the same backlog at the same moment.
    inbox = Inbox()
    settings = mail_settings(
        tmp_path,
        inbox,
        database_url=pg_url,
        auto_migrate=True,
        comments_moderation="off",
        comments_reply_notifications=False,
        mail_poll_seconds=3600,  # the background senders stay out of the way
    )
    count = 40
    with ExitStack() as stack:
        pair = workers(settings, stack)
        posted = []
        for number in range(count):
            app, client = pair[number % 2]
            posted.append(f"Queued comment number {number}.")
            assert post(client, comment(app, posted[-1])).status_code == 201
        outbox = pair[0][0].state.sharekit.comments.outbox
        portal = pair[0][1].portal
        assert portal is not None
        # Wait until the background senders (woken by the posts) have tried every mail once.
        deadline = time.monotonic() + 20
        while portal.call(_tried, outbox.database) < count:
            assert time.monotonic() < deadline, "the first tries did not happen"
            time.sleep(0.1)
        assert portal.call(outbox.waiting) == count
        inbox.start()
        stack.callback(inbox.stop)

        later = datetime.now(UTC) + timedelta(minutes=6)  # past the first retry
        finished: list[int] = []
        start = threading.Barrier(2)

        def send(app: Starlette, client: TestClient) -> None:
            sender = MailSender(MailContext.of(app.state.sharekit.comments))
            assert client.portal is not None
            start.wait()
            # A sender stops when a claim comes back empty, also when the other one won
            # it; so each goes on until the queue is empty.
            while client.portal.call(outbox_of(app).waiting):
                finished.append(client.portal.call(sender.run_once, later))

        threads = [threading.Thread(target=send, args=worker) for worker in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sum(finished) == count
        assert portal.call(outbox.waiting) == 0
    mails = inbox.wait(count)
    assert len(mails) == count
    assert all(mail.recipients == [OWNER] for mail in mails)
    found = sorted(next(t for t in posted if t in mail.text()) for mail in mails)
    assert found == sorted(posted)
