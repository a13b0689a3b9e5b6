"""Moderation modes through the real app (``first`` holds until an address has an approved
comment; a site may choose its own mode), and the moderation service the admin, the mail
links and the CLI share."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from sharekit import Site, create_app
from sharekit.errors import NotFound, ValidationFailed
from sharekit.state import AppState
from sharekit.storage.moderation import Filter
from tests.comments_support import BLOG, make_settings, post_json
from tests.test_comments_routes import HELD, PUBLISHED, SELF, listing, open_client, submission


def state(app: Starlette) -> AppState:
    result: AppState = app.state.sharekit
    return result


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def post(app: Starlette, client: Any, email: str, text: str) -> tuple[int, int]:
    response = post_json(client, submission(app, email=email, text=text), origin=SELF)
    assert response.status_code in (201, 202), response.text
    assert response.json()["message"] == (PUBLISHED if response.status_code == 201 else HELD)
    return response.status_code, int(response.json()["comment"]["id"])


def test_first_holds_until_an_address_has_an_approved_comment(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_moderation="first"))
    with open_client(app) as client:
        status, first = post(app, client, "ada@example.org", "My first comment")
        assert status == 202
        status, _ = post(app, client, "ada@example.org", "Still held: none approved yet")
        assert status == 202
        approved = run(state(app).moderation.approve([first]))
        assert [c.id for c in approved] == [first]
        status, _ = post(app, client, "ada@example.org", "Now I am known")
        assert status == 201
        # Another address, and a known address with too many links, are still held.
        assert post(app, client, "bob@example.org", "Hello from Bob")[0] == 202
        many = "https://a.example https://b.example https://c.example"
        assert post(app, client, "ada@example.org", many)[0] == 202
        with open_client(app) as stranger:
            assert listing(stranger)["total"] == 2


def test_a_site_chooses_its_own_mode(tmp_path: Path) -> None:
    sites = [Site(key="blog", origins=[BLOG], moderation="all")]
    app = create_app(make_settings(tmp_path, comments_moderation="off", sites=sites))
    with open_client(app) as client:
        assert post(app, client, "ada@example.org", "Held by the site's mode")[0] == 202


def test_moderation_service_approves_spams_deletes_and_edits(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_moderation="all"))
    moderation = state(app).moderation
    site = state(app).settings.sites[0]
    with open_client(app) as client:
        ids = [post(app, client, f"u{n}@example.org", f"Comment number {n}")[1] for n in range(4)]
        with open_client(app) as stranger:
            assert listing(stranger)["total"] == 0
            run(moderation.approve(ids[:2]))
            assert listing(stranger)["total"] == 2  # the cached listing was dropped
            run(moderation.spam([ids[0]]))
            assert [c["id"] for c in listing(stranger)["comments"]] == [ids[1]]
            edited = run(moderation.edit(ids[1], site, "  Corrected **text** ", "Ada L."))
            assert (edited.text, edited.author) == ("Corrected **text**", "Ada L.")
            shown = listing(stranger)["comments"][0]
            assert shown["author"] == "Ada L."
            assert "Corrected" in shown["html"]
            with pytest.raises(ValidationFailed):
                run(moderation.edit(ids[1], site, ""))
            assert run(moderation.delete([ids[1], 123_456])) == 1
            assert listing(stranger)["total"] == 0
        found, total = run(moderation.find(Filter(statuses=["pending"])))
        assert total == 2
        assert {item.comment.id for item in found} == set(ids[2:])
        assert run(moderation.get(ids[2])).comment.email == "u2@example.org"
        with pytest.raises(NotFound):
            run(moderation.get(123_456))


def test_a_deleted_comment_with_replies_stays_as_a_placeholder(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_moderation="off"))
    with open_client(app) as client:
        parent = post(app, client, "ada@example.org", "The parent comment")[1]
        data = submission(app, email="bob@example.org", text="A reply to it", parent=parent)
        reply = post_json(client, data, origin=SELF).json()["comment"]["id"]
        assert run(state(app).moderation.delete([parent])) == 1
        with open_client(app) as stranger:
            shown = listing(stranger)["comments"]
            assert [(c["id"], c["status"], c["author"]) for c in shown] == [
                (parent, "deleted", ""),
                (reply, "approved", "Ada"),
            ]
            page = stranger.get("/threads/t1/comments", params={"site": "blog", "lang": "en"}).text
            assert "Deleted comment" in page
            assert "The parent comment" not in page
            assert "A reply to it" in page
