"""Authors edit or delete their own comments within the window, and nobody else can."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app

PAGE = "https://blog.example/post"
JSON_HEADERS = {"origin": "https://blog.example", "accept": "application/json"}


def _settings(tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "secret_key": "authors-secret-0123456789abcdef",
        "data_dir": tmp_path,
        "sites": [Site(key="blog", origins=["https://blog.example"])],
        "comments_min_seconds": 0,
        "comments_rate_per_15s": 1000,
        "comments_rate_per_hour": 1000,
        "comments_moderation": "off",
        **changes,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    return create_app(_settings(tmp_path))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://blog.example") as test_client:
        yield test_client


def _data(app: Starlette, text: str, email: str = "ana@example.org") -> dict[str, str]:
    token = app.state.sharekit.comments.guard.issue("blog", "t1")
    return {
        "site": "blog",
        "thread": "t1",
        "url": PAGE,
        "title": "Post",
        "token": token,
        "name": "Ana",
        "email": email,
        "text": text,
    }


def _post_form(client: TestClient, app: Starlette, text: str) -> int:
    response = client.post("/comments", data=_data(app, text), follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("-", 1)[1])


def _listing(client: TestClient) -> dict[str, object]:
    response = client.get("/threads/t1/comments?site=blog&format=json")
    data: dict[str, object] = response.json()
    return data


def test_no_js_edit_with_the_author_cookie(client: TestClient, app: Starlette) -> None:
    comment = _post_form(client, app, "Erster Entwurf")
    page = client.get(f"/comments/{comment}/edit?url={PAGE}")
    assert page.status_code == 200
    assert "Erster Entwurf" in page.text
    response = client.post(
        f"/comments/{comment}/edit?url={PAGE}",
        data={"text": "Zweiter Entwurf"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}#comment-{comment}"
    (shown,) = _listing(client)["comments"]  # type: ignore[misc]
    assert shown["html"] == "<p>Zweiter Entwurf</p>"
    assert shown["edited"] is not None
    again = client.post(
        f"/comments/{comment}/edit", data={"text": "Dritter Entwurf"}, follow_redirects=False
    )
    assert again.status_code == 303  # the cookie follows the new text


def test_edit_errors_keep_the_text(client: TestClient, app: Starlette) -> None:
    comment = _post_form(client, app, "Ein Kommentar")
    response = client.post(f"/comments/{comment}/edit", data={"text": "x"})
    assert response.status_code == 422
    assert re.search(r"<textarea[^>]*aria-invalid=\"true\"[^>]*>x</textarea>", response.text)


def test_thread_shows_edit_links_to_the_author_only(client: TestClient, app: Starlette) -> None:
    comment = _post_form(client, app, "Mit Links zum Ändern")
    own = client.get(f"/threads/t1/comments?site=blog&fragment=1&url={PAGE}")
    assert f"/comments/{comment}/edit" in own.text
    with TestClient(app, base_url="https://blog.example") as stranger:
        other = stranger.get(f"/threads/t1/comments?site=blog&fragment=1&url={PAGE}")
    assert f"/comments/{comment}/edit" not in other.text


def test_json_edit_and_delete_with_the_token(client: TestClient, app: Starlette) -> None:
    posted = client.post("/comments", json=_data(app, "Per Skript"), headers=JSON_HEADERS)
    assert posted.status_code == 201
    comment, token = posted.json()["comment"]["id"], posted.json()["edit"]
    edited = client.post(
        f"/comments/{comment}/edit", json={"text": "Geändert", "edit": token}, headers=JSON_HEADERS
    )
    assert edited.status_code == 200
    assert edited.json()["comment"]["html"] == "<p>Geändert</p>"
    stale = client.post(f"/comments/{comment}/delete", json={"edit": token}, headers=JSON_HEADERS)
    assert stale.status_code == 403  # bound to the old text
    fresh = edited.json()["edit"]
    deleted = client.post(
        f"/comments/{comment}/delete", json={"edit": fresh}, headers=JSON_HEADERS
    )
    assert deleted.status_code == 204
    assert _listing(client)["comments"] == []


def test_nobody_else_may_change_it(client: TestClient, app: Starlette) -> None:
    comment = _post_form(client, app, "Meins")
    with TestClient(app, base_url="https://blog.example") as stranger:
        assert stranger.get(f"/comments/{comment}/edit").status_code == 403
        response = stranger.post(f"/comments/{comment}/delete", data={}, follow_redirects=False)
        assert response.status_code == 403
        forged = stranger.post(
            f"/comments/{comment}/edit", json={"text": "x y", "edit": "no"}, headers=JSON_HEADERS
        )
        assert forged.status_code == 403
    assert client.get("/comments/999999/edit").status_code == 404
    assert client.get("/comments/abc/edit").status_code == 404


def test_the_window_closes(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, comments_edit_window=0))
    with TestClient(app, base_url="https://blog.example") as client:
        comment = _post_form(client, app, "Zu spät")
        response = client.get(f"/comments/{comment}/edit", headers={"accept-language": "en"})
        assert response.status_code == 403
        assert "within" in response.text


def test_no_js_delete_asks_then_deletes(client: TestClient, app: Starlette) -> None:
    comment = _post_form(client, app, "Gleich weg")
    confirm = client.get(f"/comments/{comment}/delete?url={PAGE}")
    assert confirm.status_code == 200
    assert "Gleich weg" in confirm.text
    response = client.post(
        f"/comments/{comment}/delete?url={PAGE}", data={}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}#sk-comments"
    assert _listing(client)["comments"] == []
    assert client.get(f"/comments/{comment}/edit").status_code == 404
