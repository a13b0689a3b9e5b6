"""The one-click moderation links of owner mails: ask on GET, act on POST, work once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.links import ModerationAction
from tests.comments_support import BLOG, EN, SECRET, THREE_LINKS, URL, make_settings

USED = "This link was already used"
EXPIRED = "This link or form has expired. Please reload the page and try again."
INVALID = "This link or form is not valid. Please reload the page and try again."
GONE = "This comment does not exist or was deleted."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, comments_moderation="links")


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, headers=EN) as test_client:
        yield test_client


def post_comment(client: TestClient, app: Starlette, **fields: Any) -> dict[str, Any]:
    data = {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "title": "Post",
        "token": app.state.sharekit.comments.guard.issue("blog", "t1"),
        "name": "Ada",
        "email": "ada@example.org",
        "text": THREE_LINKS,  # held for moderation
        **fields,
    }
    response = client.post("/comments", json=data, headers={"origin": BLOG})
    assert response.status_code in {201, 202}, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


def link(app: Starlette, comment: int, action: ModerationAction, status: str = "pending") -> str:
    token = app.state.sharekit.comments.links.moderate(comment, action, status)
    return f"/moderate/{token}"


def public(client: TestClient) -> list[tuple[int, str]]:
    """What any reader sees of the thread (no author cookie)."""
    fresh = TestClient(client.app, raise_server_exceptions=False)
    body = fresh.get("/threads/t1/comments", params={"site": "blog", "format": "json"}).json()
    return [(c["id"], c["status"]) for c in body["comments"]]


def status_of(app: Starlette, client: TestClient, comment: int) -> str | None:
    assert client.portal is not None
    found = client.portal.call(app.state.sharekit.moderation.store.get, comment)
    return None if found is None else str(found.comment.status)


def test_the_link_asks_first_and_a_get_changes_nothing(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], "approve")
    for _ in range(3):  # a mail scanner may fetch it again and again
        page = client.get(url)
        assert page.status_code == 200
        assert "Publish this comment?" in page.text
        # The answer after the POST speaks the language this page was shown in.
        assert f'<form method="post" action="{url}?lang=en">' in page.text
        assert '<meta name="robots" content="noindex, nofollow">' in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert "ada@example.org" not in page.text
    assert status_of(app, client, comment["id"]) == "pending"
    assert public(client) == []


@pytest.mark.parametrize(
    ("action", "done", "after", "seen"),
    [
        ("approve", "The comment is published.", "approved", True),
        ("spam", "The comment is marked as spam and hidden.", "spam", False),
    ],
)
def test_a_link_works_once(
    client: TestClient,
    app: Starlette,
    action: ModerationAction,
    done: str,
    after: str,
    seen: bool,
) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], action)
    first = client.post(url)
    assert first.status_code == 200
    assert done in first.text
    assert "<form" not in first.text
    assert status_of(app, client, comment["id"]) == after
    assert public(client) == ([(comment["id"], "approved")] if seen else [])
    for again in (client.post(url), client.get(url)):
        assert again.status_code == 409
        assert USED in again.text
    # The other links of the same mail were bound to "pending" too: used up as well.
    other = link(app, comment["id"], "delete")
    assert client.post(other).status_code == 409
    assert status_of(app, client, comment["id"]) == after


def test_the_delete_link_works_once(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], "delete")
    first = client.post(url)
    assert first.status_code == 200
    assert "The comment is deleted." in first.text
    assert status_of(app, client, comment["id"]) is None
    again = client.post(url)
    assert again.status_code == 404
    assert GONE in again.text


def test_deleting_a_comment_with_replies_leaves_a_used_link(
    client: TestClient, app: Starlette
) -> None:
    root = post_comment(client, app, text="A root comment, published")
    post_comment(client, app, text="A reply, published", parent=root["id"])
    url = link(app, root["id"], "delete", "approved")
    assert client.post(url).status_code == 200
    assert status_of(app, client, root["id"]) == "deleted"  # a placeholder for the reply
    again = client.post(url)
    assert again.status_code == 409
    assert "This link was already used: the comment was deleted." in again.text


def test_a_link_is_used_up_by_moderation_elsewhere(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], "approve")
    assert client.portal is not None
    client.portal.call(app.state.sharekit.moderation.spam, [comment["id"]])
    response = client.get(url)
    assert response.status_code == 409
    assert "This link was already used: the comment is marked as spam now." in response.text
    assert client.post(url).status_code == 409
    assert status_of(app, client, comment["id"]) == "spam"


def old_token(comment: int, action: str, days: float) -> str:
    """A genuine moderation token made ``days`` ago."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * 86400)

    serializer = URLSafeTimedSerializer(SECRET, salt="sharekit.mail-moderate", signer=Then)
    return str(serializer.dumps([comment, action, "pending"]))


def test_an_expired_link_is_refused(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    fresh = client.get(f"/moderate/{old_token(comment['id'], 'approve', 6.9)}")
    assert fresh.status_code == 200  # the crafted token is genuine
    for send in (client.get, client.post):
        response = send(f"/moderate/{old_token(comment['id'], 'approve', 7.1)}")
        assert response.status_code == 400
        assert EXPIRED in response.text
    assert status_of(app, client, comment["id"]) == "pending"


def test_the_lifetime_follows_the_settings(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, mail_link_max_age_days=30))
    with TestClient(app, raise_server_exceptions=False, headers=EN) as client:
        comment = post_comment(client, app)
        assert client.get(f"/moderate/{old_token(comment['id'], 'spam', 29)}").status_code == 200


def tampered(url: str) -> list[str]:
    token = url.removeprefix("/moderate/")
    payload, stamp, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return [
        f"/moderate/{payload}.{stamp}.{flipped}",
        f"/moderate/{payload[:-2]}.{stamp}.{signature}",
        f"/moderate/{token[:-1]}",
        "/moderate/not-a-token",
    ]


def test_a_tampered_link_is_refused(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    for url in tampered(link(app, comment["id"], "approve")):
        for send in (client.get, client.post):
            response = send(url)
            assert response.status_code == 400, url
            assert INVALID in response.text
    assert status_of(app, client, comment["id"]) == "pending"


def test_a_token_for_another_purpose_is_refused(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    token = app.state.sharekit.comments.links.confirm(comment["id"], "ada@example.org")
    response = client.post(f"/moderate/{token}")
    assert response.status_code == 400
    assert status_of(app, client, comment["id"]) == "pending"


def test_a_link_to_an_unknown_comment_is_404(client: TestClient, app: Starlette) -> None:
    post_comment(client, app)
    for send in (client.get, client.post):
        response = send(link(app, 999, "approve"))
        assert response.status_code == 404
        assert GONE in response.text


def test_errors_answer_json_to_api_clients(client: TestClient, app: Starlette) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], "approve")
    assert client.post(url).status_code == 200
    response = client.post(url, headers={"accept": "application/json"})
    assert response.status_code == 409
    assert response.json() == {
        "error": "This link was already used: the comment is published now.",
        "status": 409,
    }


def test_the_page_speaks_the_sites_language_unless_asked(
    client: TestClient, app: Starlette
) -> None:
    comment = post_comment(client, app)
    url = link(app, comment["id"], "delete")
    german = client.get(url, headers={"accept-language": ""})
    assert '<html lang="de">' in german.text
    english = client.get(url, headers={"accept-language": "en"})
    assert '<html lang="en">' in english.text


def test_the_form_posts_below_the_mount_point(tmp_path: Path) -> None:
    service = create_app(make_settings(tmp_path))
    outer = Starlette(
        routes=[Mount("/sharekit", app=service)], lifespan=service.router.lifespan_context
    )
    with TestClient(outer, headers=EN) as mounted:
        data = {
            "site": "blog",
            "thread": "t1",
            "url": URL,
            "token": service.state.sharekit.comments.guard.issue("blog", "t1"),
            "name": "Ada",
            "email": "ada@example.org",
            "text": THREE_LINKS,
        }
        posted = mounted.post("/sharekit/comments", json=data, headers={"origin": BLOG})
        assert posted.status_code == 202
        url = link(service, posted.json()["comment"]["id"], "approve")
        page = mounted.get(f"/sharekit{url}")
        assert page.status_code == 200
        assert f'action="/sharekit{url}?lang=en"' in page.text
        assert mounted.post(f"/sharekit{url}").status_code == 200
