"""Rendered comment articles kept per (comment, page): rendered once, never served stale."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup
from starlette.testclient import TestClient

from sharekit import create_app
from sharekit.comments.fragments import Fragments, Page
from sharekit.comments.models import Comment
from sharekit.rendering import Renderer
from tests.comments_support import BLOG, URL, make_settings, submission

PAGE = Page("blog", "t1", URL, "A walk", "en", "")


def comment(**changes: Any) -> Comment:
    fields: dict[str, Any] = {
        "id": 7,
        "thread": "t1",
        "parent": None,
        "depth": 0,
        "author": "Ada",
        "website": None,
        "html": "<p>First words.</p>",
        "avatar": "<svg></svg>",
        "status": "approved",
        "created": datetime(2026, 5, 1, 14, 3, tzinfo=UTC),
        "edited": None,
    }
    return Comment(**{**fields, **changes})


@pytest.fixture
def renders(tmp_path: Path) -> tuple[Fragments, list[str]]:
    """Fragments over the app's renderer, and a list of every template it rendered."""
    renderer: Renderer = create_app(make_settings(tmp_path)).state.sharekit.renderer
    done: list[str] = []
    original = renderer.render

    def counting(template: str, lang: str, **context: Any) -> Markup:
        done.append(template)
        return original(template, lang, **context)

    renderer.render = counting  # type: ignore[method-assign]
    return Fragments(renderer, size=3), done


def test_an_article_is_rendered_once_per_comment_and_page(
    renders: tuple[Fragments, list[str]],
) -> None:
    fragments, done = renders
    first = fragments.article(comment(), PAGE, editable=False)
    # The same comment read again from the database is a new, equal object: still kept.
    again = fragments.article(comment(), dataclasses.replace(PAGE), editable=False)
    assert again is first
    assert done == ["comments/comment.html"]
    assert 'id="comment-7"' in first
    assert "First words." in first


@pytest.mark.parametrize(
    ("change", "shows"),
    [
        ({"html": "<p>Edited words.</p>", "edited": datetime(2026, 5, 2, tzinfo=UTC)}, "edited"),
        ({"status": "pending"}, "awaiting moderation"),
        ({"status": "deleted", "author": "", "html": ""}, "Deleted comment"),
        ({"author": "Ada Lovelace"}, "Ada Lovelace"),
        ({"website": "https://ada.example/"}, 'href="https://ada.example/"'),
    ],
)
def test_any_change_to_the_comment_renders_it_anew(
    renders: tuple[Fragments, list[str]], change: dict[str, Any], shows: str
) -> None:
    fragments, done = renders
    before = fragments.article(comment(), PAGE, editable=False)
    after = fragments.article(comment(**change), PAGE, editable=False)
    assert shows not in before
    assert shows in after
    assert len(done) == 2


def test_the_page_and_the_edit_links_are_part_of_the_key(
    renders: tuple[Fragments, list[str]],
) -> None:
    fragments, done = renders
    plain = fragments.article(comment(), PAGE, editable=False)
    own = fragments.article(comment(), PAGE, editable=True)
    german = fragments.article(comment(), Page("blog", "t1", URL, "A walk", "de", ""), False)
    mounted = fragments.article(comment(), Page("blog", "t1", URL, "A walk", "en", "/sk"), False)
    assert "/comments/7/edit" not in plain
    assert "/comments/7/edit" in own
    assert "Antworten" in german
    assert 'href="/sk/comments/new?' in mounted
    assert len(done) == 4


def test_at_most_size_articles_are_kept_and_clear_forgets_them(
    renders: tuple[Fragments, list[str]],
) -> None:
    fragments, done = renders
    for number in range(1, 6):
        fragments.article(comment(id=number), PAGE, editable=False)
    fragments.article(comment(id=5), PAGE, editable=False)  # kept: no new render
    fragments.article(comment(id=1), PAGE, editable=False)  # dropped long ago: rendered
    assert len(done) == 6
    fragments.clear()
    fragments.article(comment(id=5), PAGE, editable=False)
    assert len(done) == 7


def test_an_edit_through_the_service_forgets_the_old_text(tmp_path: Path) -> None:
    # The listing shows the new text at once, and the old one is gone from memory too.
    app = create_app(make_settings(tmp_path))
    fragments = app.state.sharekit.comments.fragments
    with TestClient(app) as client:
        data = submission(app, text="The old words, soon gone.")
        posted = client.post("/comments", json=data, headers={"origin": BLOG})
        assert posted.status_code == 201, posted.text
        # The answer's list item is rendered, not kept: posts would push listings out.
        assert not fragments._kept
        listing = {"site": "blog", "url": URL, "fragment": "1"}
        assert "The old words" in client.get("/threads/t1/comments", params=listing).text
        assert any("The old words" in html for html in fragments._kept.values())
        edit = posted.json()["edit"]
        edited = client.post(
            f"/comments/{posted.json()['comment']['id']}/edit",
            json={"text": "Fresh words instead.", "edit": edit},
        )
        assert edited.status_code == 200, edited.text
        assert not any("The old words" in html for html in fragments._kept.values())
        page = client.get("/threads/t1/comments", params=listing).text
        assert "Fresh words instead." in page
        assert "The old words" not in page


def test_the_list_item_after_a_post_is_the_authors_article_of_a_listing(
    tmp_path: Path,
) -> None:
    # The script inserts this item; a reload must show the very same markup.
    app = create_app(make_settings(tmp_path))
    service = app.state.sharekit.comments
    site = app.state.sharekit.settings.sites[0]
    for depth, status in ((0, "approved"), (2, "pending")):
        shown = comment(depth=depth, status=status)
        item = service.render_item(shown, site, PAGE.url, PAGE.title, "de", "")
        article = service.fragments.render(shown, dataclasses.replace(PAGE, lang="de"), True)
        pending = " sk-comment--pending" if status == "pending" else ""
        assert (
            item == f'<li class="sk-comment sk-comment--depth-{depth}{pending}">\n{article}</li>'
        )
        assert "Bearbeiten" in article  # the author's Edit link, in the page language
