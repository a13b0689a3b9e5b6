"""The erase link through the real app: the page shows what would go (the address only
masked) and changes nothing; its POST erases on the link's site only; the thread still
lists, replies in place; tampered, foreign and expired links fail. Last, the link from a
real mail (aiosmtpd on loopback) erases its commenter's data."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.openapi import openapi_schema
from sharekit.privacy import DataRequests, mask
from sharekit.state import AppState
from sharekit.storage.database import Database
from tests.comments_support import BLOG, SECRET, URL, make_settings, post_json, token
from tests.mail_support import Inbox, mail_settings
from tests.test_openapi import conforms

ADA = "Ada.Lovelace@example.org"
OTHER = "http://other.example:8080"
ERASED = "Your data has been erased"
NOTHING = "Nothing is stored about this address on this site."


def state(app: Starlette) -> AppState:
    result: AppState = app.state.sharekit
    return result


def open_client(app: Starlette) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def comment(
    client: TestClient,
    app: Starlette,
    email: str,
    text: str,
    *,
    site: str = "blog",
    thread: str = "t1",
    parent: int | None = None,
    name: str = "Ada",
) -> int:
    origin = BLOG if site == "blog" else OTHER
    page = URL if site == "blog" else f"{OTHER}/post"
    data: dict[str, Any] = {
        "site": site,
        "thread": thread,
        "url": page,
        "token": token(app, site, thread),
        "name": name,
        "email": email,
        "website": "https://ada.example",
        "text": text,
    }
    if parent is not None:
        data["parent"] = parent
    response = post_json(client, data, origin=origin)
    assert response.status_code == 201, response.text
    return int(response.json()["comment"]["id"])


def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    with closing(sqlite3.connect(settings.data_dir / "sharekit.db")) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            name: db.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names
        }


def find(app: Starlette, email: str, site: str | None = None) -> Any:
    """What is stored for ``email``, read through a database connection of its own (the
    app's pool belongs to the test client's event loop)."""
    settings = state(app).settings

    async def read() -> Any:
        database = Database(settings.database_url)
        try:
            return await DataRequests(settings, database).find(email, site)
        finally:
            await database.close()

    return asyncio.run(read())


def stored(settings: Settings, comment_id: int) -> tuple[Any, ...] | None:
    """A comment's status, parent, author and text."""
    with closing(sqlite3.connect(settings.data_dir / "sharekit.db")) as db:
        query = "SELECT status, parent_id, author, text FROM comments WHERE id = ?"
        row: tuple[Any, ...] | None = db.execute(query, (comment_id,)).fetchone()
        return row


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, comments_moderation="off")


@pytest.fixture
def world(app: Starlette) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """Ada's comments on both sites (her address in three spellings), and Bea's reply to
    her first one."""
    with open_client(app) as client:
        ids = {
            "root": comment(client, app, ADA, "First comment by Ada"),
            "second": comment(client, app, ADA.upper(), "Ada again", thread="t2"),
            "other": comment(client, app, ADA.lower(), "Ada elsewhere", site="other"),
        }
        ids["reply"] = comment(
            client, app, "bea@example.org", "Bea replies to Ada", parent=ids["root"], name="Bea"
        )
        yield client, ids


def erase_path(app: Starlette, site: str = "blog", email: str = ADA) -> str:
    return f"/privacy/erase/{state(app).comments.links.erase(site, email)}"


def test_the_page_shows_what_would_go_and_changes_nothing(
    app: Starlette, settings: Settings, world: tuple[TestClient, dict[str, int]]
) -> None:
    client, _ = world
    before = snapshot(settings)
    response = client.get(erase_path(app, email="ada.lovelace@EXAMPLE.org"), params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "<h1>Erase your data?</h1>" in response.text
    assert "a…@example.org" in response.text  # masked, as the link spells it
    assert "lovelace" not in response.text.lower()
    assert "<li>2 comments</li>" in response.text  # on this site only
    assert "<li>0 reply notifications</li>" in response.text
    assert '<form method="post" class="sk-page__form">' in response.text
    assert "stay on the pages without your name" in response.text
    assert snapshot(settings) == before  # nothing changed, not even a thread's version


def test_post_erases_on_the_links_site_only(
    app: Starlette, world: tuple[TestClient, dict[str, int]]
) -> None:
    client, ids = world
    path = erase_path(app)
    response = client.post(path, params={"lang": "en"})
    assert response.status_code == 200, response.text
    assert f"<h1>{ERASED}</h1>" in response.text
    assert "<li>2 comments</li>" in response.text
    assert "now show no name, email address or website" in response.text
    assert not find(app, ADA, "blog")
    left = find(app, ADA)
    assert [item.comment.id for item in left.comments] == [ids["other"]]

    # The thread still lists: Ada's comment without her name, Bea's reply under it.
    listed = client.get("/threads/t1/comments", params={"site": "blog", "format": "json"})
    assert listed.status_code == 200
    shown = {c["id"]: c for c in listed.json()["comments"]}
    assert shown[ids["root"]]["author"] == ""
    assert shown[ids["root"]]["website"] is None
    assert shown[ids["root"]]["html"] == "<p>First comment by Ada</p>"
    assert shown[ids["reply"]]["parent"] == ids["root"]
    page = client.get("/threads/t1/comments", params={"site": "blog", "url": URL})
    assert page.status_code == 200
    assert "Bea replies to Ada" in page.text
    assert "First comment by Ada" in page.text

    # A second visit finds nothing more to erase.
    again = client.post(path, params={"lang": "en"})
    assert again.status_code == 200
    assert NOTHING in again.text
    assert "<form" not in client.get(path, params={"lang": "en"}).text


def test_delete_mode_deletes_and_keeps_the_replies(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_moderation="off", privacy_erase="delete"))
    with open_client(app) as client:
        root = comment(client, app, ADA, "To be deleted")
        reply = comment(client, app, "bea@example.org", "Answer by Bea", parent=root, name="Bea")
        page = client.get(erase_path(app), params={"lang": "en"})
        assert "Your comments are deleted." in page.text
        response = client.post(erase_path(app), params={"lang": "en"})
        assert "Your comments have been deleted." in response.text
        # The placeholder keeps the reply's place; the thread still renders.
        settings = state(app).settings
        assert stored(settings, reply) == (("approved", root, "Bea", "Answer by Bea"))
        assert stored(settings, root) == ("deleted", None, "", "")
        listed = client.get("/threads/t1/comments", params={"site": "blog", "url": URL})
        assert listed.status_code == 200
        assert "To be deleted" not in listed.text
    assert not find(app, ADA)


def _tampered(path: str) -> str:
    return path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")


def _expired(email: str) -> str:
    then = time.time() - 366 * 86400
    with mock.patch("itsdangerous.timed.time.time", return_value=then):
        serializer = URLSafeTimedSerializer(SECRET, salt="sharekit.privacy-erase")
        return f"/privacy/erase/{serializer.dumps(['blog', email])}"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("tampered", "This link or form is not valid."),
        ("foreign", "This link or form is not valid."),
        ("expired", "This link or form has expired."),
    ],
)
def test_bad_links_fail_and_change_nothing(
    app: Starlette,
    settings: Settings,
    world: tuple[TestClient, dict[str, int]],
    method: str,
    kind: str,
    message: str,
) -> None:
    client, _ = world
    paths = {
        "tampered": _tampered(erase_path(app)),
        # A genuine token for another purpose (an unsubscribe link) is no erase link.
        "foreign": f"/privacy/erase/{state(app).comments.links.unsubscribe(1, ADA)}",
        "expired": _expired(ADA),
    }
    before = snapshot(settings)
    response = client.request(method, paths[kind], headers={"accept-language": "en"})
    assert response.status_code == 400
    assert message in response.text
    assert "lovelace" not in response.text.lower()
    assert snapshot(settings) == before


def test_a_link_just_inside_its_year_still_works(
    app: Starlette, world: tuple[TestClient, dict[str, int]]
) -> None:
    client, _ = world
    then = time.time() - 364 * 86400
    with mock.patch("itsdangerous.timed.time.time", return_value=then):
        path = erase_path(app)
    assert client.get(path).status_code == 200


def test_answers_are_documented(
    app: Starlette, settings: Settings, world: tuple[TestClient, dict[str, int]]
) -> None:
    client, _ = world
    document = openapi_schema(settings)
    route = "/privacy/erase/{token}"
    assert document["paths"][route]["get"]["tags"] == ["privacy"]
    conforms(document, "get", route, client.get(erase_path(app)))
    conforms(document, "post", route, client.post(erase_path(app)))
    conforms(document, "get", route, client.get(_tampered(erase_path(app))))
    conforms(
        document,
        "post",
        route,
        client.post(_tampered(erase_path(app)), headers={"accept": "application/json"}),
    )


def test_mask_shows_the_first_character_and_the_domain() -> None:
    assert mask(" jane.doe@example.org ") == "j…@example.org"
    assert mask("J@example.org") == "J…@example.org"
    assert mask("a@b@example.org") == "a…@example.org"
    assert mask("nobody") == "n…"


def test_the_link_in_a_real_mail_erases_its_commenters_data(tmp_path: Path) -> None:
    inbox = Inbox()
    inbox.start()
    try:
        settings = mail_settings(tmp_path, inbox, comments_moderation="off", mail_poll_seconds=0.1)
        app = create_app(settings)
        with open_client(app) as client:
            data = {
                "site": "blog",
                "thread": "t1",
                "url": URL,
                "token": token(app),
                "name": "Ada",
                "email": ADA,
                "text": "Tell me about replies, please.",
                "notify": True,
            }
            response = post_json(client, data, origin=BLOG)
            assert response.status_code == 201, response.text
            mails = [
                mail
                for mail in inbox.wait(2)
                if any(ADA.lower() == r.lower() for r in mail.recipients)
            ]
            assert len(mails) == 1  # the confirmation; the other mail is the owner's
            found = re.search(r"https?://\S*(/privacy/erase/[A-Za-z0-9_.\-]+)", mails[0].text())
            assert found is not None, mails[0].text()
            path = found.group(1)
            assert len(find(app, ADA).subscriptions) == 1
            page = client.get(path, headers={"accept-language": "en"})
            assert page.status_code == 200
            assert "<li>1 reply notification</li>" in page.text
            assert "<li>1 comment</li>" in page.text
            erased = client.post(path, headers={"accept-language": "en"})
            assert ERASED in erased.text
            assert not find(app, ADA)
    finally:
        inbox.stop()
