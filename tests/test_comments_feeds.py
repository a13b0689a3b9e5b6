"""Atom feeds of approved comments, per thread and per site, through the real app."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from sharekit.comments import feeds

SECRET = "test-secret-key-0123456789abcdef"
BLOG = "https://blog.example"
URL = "https://blog.example/post"
ATOM = "{http://www.w3.org/2005/Atom}"
NS = {"a": "http://www.w3.org/2005/Atom"}
THREE_LINKS = "See https://a.example and https://b.example and https://c.example please"
EMAIL = "ada@example.org"

_numbers = count()


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    settings = Settings(
        secret_key=SECRET,
        data_dir=tmp_path,
        comments_min_seconds=0,
        comments_rate_per_15s=100_000,
        comments_rate_per_hour=100_000,
        comments_moderation="links",
        sites=[
            Site(key="blog", origins=[BLOG], language="de", name="Blog"),
            Site(key="other", origins=["http://other.example:8080"]),
        ],
    )
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def post(client: TestClient, app: Starlette, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    data = {
        "site": "blog",
        "thread": thread,
        "url": URL,
        "title": "My post",
        "token": app.state.sharekit.comments.guard.issue("blog", thread),
        "name": "Ada",
        "email": EMAIL,
        "text": f"Comment number {next(_numbers)}.",
        **fields,
    }
    response = client.post(
        "/comments", json=data, headers={"origin": BLOG, "accept-language": "en"}
    )
    assert response.status_code in {201, 202}, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


def feed(client: TestClient, thread: str = "t1", **params: str) -> Any:
    response = client.get(
        f"/threads/{thread}/feed.atom",
        params={"site": "blog", "url": URL, "title": "My post", "lang": "en", **params},
    )
    assert response.status_code == 200, response.text
    return response


def entry_ids(root: ET.Element) -> list[str]:
    return [entry.findtext("a:id", namespaces=NS) or "" for entry in root.findall("a:entry", NS)]


def test_feed_lists_approved_comments_newest_first(client: TestClient, app: Starlette) -> None:
    first = post(client, app, name="Ada")
    held = post(client, app, name="Spammer", text=THREE_LINKS)
    second = post(client, app, name="Grace", parent=first["id"])
    third = post(client, app, name="Linus")
    other = post(client, app, thread="t2")
    assert held["status"] == "pending"

    response = feed(client)
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["vary"] == "Accept-Language"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    ids = [f"{URL}#comment-{c['id']}" for c in (third, second, first)]
    assert entry_ids(root) == ids
    assert f"#comment-{held['id']}" not in response.text
    assert f"#comment-{other['id']}" not in response.text
    assert "Spammer" not in response.text
    assert root.findtext("a:id", namespaces=NS) == URL
    assert root.findtext("a:title", namespaces=NS) == "Comments on My post"
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", NS)}
    assert links["alternate"] == URL
    assert "/threads/t1/feed.atom" in (links["self"] or "")

    entry = root.findall("a:entry", NS)[1]
    assert entry.findtext("a:title", namespaces=NS) == "Grace on My post"
    assert entry.findtext("a:author/a:name", namespaces=NS) == "Grace"
    assert entry.find("a:link[@href]", NS) is not None
    assert entry.find(f"a:link[@href='{URL}#comment-{second['id']}']", NS) is not None
    assert entry.find("a:content[@type='html']", NS) is not None
    assert entry.findtext("a:content", namespaces=NS) == second["html"]
    assert entry.findtext("a:summary", namespaces=NS) == second["html"][3:-4]
    published = entry.findtext("a:published", namespaces=NS) or ""
    assert published.endswith("Z")
    assert datetime.fromisoformat(published) <= datetime.now(UTC)
    newest = root.findall("a:entry", NS)[0].findtext("a:updated", namespaces=NS)
    assert root.findtext("a:updated", namespaces=NS) == newest


def test_feed_never_shows_an_email(client: TestClient, app: Starlette) -> None:
    post(client, app)
    response = feed(client)
    root = ET.fromstring(response.content)
    assert not [element for element in root.iter() if element.tag.endswith("email")]
    assert EMAIL not in response.text
    assert "@" not in response.text


def test_content_html_is_escaped(client: TestClient, app: Starlette) -> None:
    post(client, app, text="<script>x</script> & more")
    response = feed(client)
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text  # the stored HTML, escaped once more
    root = ET.fromstring(response.content)
    content = root.findtext("a:entry/a:content", namespaces=NS) or ""
    assert "&lt;script&gt;x&lt;/script&gt; &amp; more" in content
    assert root.findtext("a:entry/a:summary", namespaces=NS) == "<script>x</script> & more"


def test_spam_deleted_and_edited_comments(client: TestClient, app: Starlette) -> None:
    store = app.state.sharekit.comments.store
    spam, deleted, edited = (post(client, app) for _ in range(3))
    client.portal.call(store.set_status, spam["id"], "spam")  # type: ignore[union-attr]
    client.portal.call(store.delete, deleted["id"])  # type: ignore[union-attr]
    later = datetime.now(UTC) + timedelta(hours=1)
    client.portal.call(  # type: ignore[union-attr]
        store.update_text, edited["id"], "Changed.", "<p>Changed.</p>", "h" * 64, later
    )
    root = ET.fromstring(feed(client).content)
    assert entry_ids(root) == [f"{URL}#comment-{edited['id']}"]
    entry = root.findall("a:entry", NS)[0]
    updated = entry.findtext("a:updated", namespaces=NS)
    assert updated == later.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert entry.findtext("a:published", namespaces=NS) != updated
    assert root.findtext("a:updated", namespaces=NS) == updated


def test_at_most_fifty_entries(client: TestClient, app: Starlette) -> None:
    posted = [post(client, app)["id"] for _ in range(52)]
    ids = entry_ids(ET.fromstring(feed(client).content))
    assert ids == [f"{URL}#comment-{i}" for i in reversed(posted)][:50]


def test_etag_and_not_modified(client: TestClient, app: Starlette) -> None:
    post(client, app)
    etag = feed(client).headers["etag"]
    params = {"site": "blog", "url": URL, "title": "My post", "lang": "en"}
    again = client.get("/threads/t1/feed.atom", params=params, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""
    post(client, app)
    changed = client.get("/threads/t1/feed.atom", params=params, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_title_in_the_requested_language(client: TestClient, app: Starlette) -> None:
    post(client, app)
    response = feed(client, lang="de")
    root = ET.fromstring(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert root.findtext("a:title", namespaces=NS) == "Kommentare zu My post"


def test_thread_without_comments_is_an_empty_feed(client: TestClient) -> None:
    root = ET.fromstring(feed(client, "nobody-here").content)
    assert root.findall("a:entry", NS) == []
    assert root.findtext("a:updated", namespaces=NS)


def test_url_and_title_default_to_the_threads_own(client: TestClient, app: Starlette) -> None:
    post(client, app)
    response = client.get("/threads/t1/feed.atom", params={"site": "blog"})
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.findtext("a:id", namespaces=NS) == URL


def test_unknown_site_is_not_found(client: TestClient) -> None:
    response = client.get("/threads/t1/feed.atom", params={"site": "nope", "url": URL})
    assert response.status_code == 404


def test_url_off_site_is_a_bad_request(client: TestClient) -> None:
    params = {"site": "blog", "url": "https://evil.example/post"}
    assert client.get("/threads/t1/feed.atom", params=params).status_code == 400


def test_no_url_for_a_new_thread_is_a_bad_request(client: TestClient) -> None:
    assert client.get("/threads/new/feed.atom", params={"site": "blog"}).status_code == 400


def test_rfc3339() -> None:
    moment = datetime(2024, 5, 1, 14, 0, 30, 123456, tzinfo=UTC)
    assert feeds.rfc3339(moment) == "2024-05-01T14:00:30Z"
    assert feeds.rfc3339(moment.replace(tzinfo=None)) == "2024-05-01T14:00:30Z"


# -- the whole site's feed -------------------------------------------------------------


def site_feed(client: TestClient, site: str = "blog", **headers: str) -> Any:
    return client.get(f"/sites/{site}/feed.atom", params={"lang": "en"}, headers=headers)


def test_site_feed_lists_every_thread_newest_first(client: TestClient, app: Starlette) -> None:
    first = post(client, app, thread="t1", name="Ada", title="First post")
    held = post(client, app, thread="t2", name="Spammer", text=THREE_LINKS)
    second = post(client, app, thread="t2", name="Grace", title="Second post")
    other_url = "http://other.example:8080/page"
    elsewhere = client.post(
        "/comments",
        json={
            "site": "other",
            "thread": "t1",
            "url": other_url,
            "title": "Elsewhere",
            "token": app.state.sharekit.comments.guard.issue("other", "t1"),
            "name": "Eve",
            "email": "eve@example.org",
            "text": "On another site.",
        },
        headers={"origin": "http://other.example:8080"},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    assert held["status"] == "pending"

    response = site_feed(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert entry_ids(root) == [f"{URL}#comment-{second['id']}", f"{URL}#comment-{first['id']}"]
    assert root.findtext("a:title", namespaces=NS) == "Comments on Blog"
    titles = [entry.findtext("a:title", namespaces=NS) for entry in root.findall("a:entry", NS)]
    assert titles == ["Grace on My post", "Ada on First post"]  # the first title stays
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", NS)}
    assert links["alternate"] == BLOG
    assert "/sites/blog/feed.atom" in (links["self"] or "")
    for hidden in ("Spammer", "Eve", "On another site", EMAIL, "eve@example.org"):
        assert hidden not in response.text


def test_site_feed_changes_its_etag_with_any_thread(client: TestClient, app: Starlette) -> None:
    post(client, app, thread="t1")
    etag = site_feed(client).headers["etag"]
    assert site_feed(client, **{"if-none-match": etag}).status_code == 304
    post(client, app, thread="t9")
    changed = site_feed(client, **{"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_site_feed_of_a_quiet_site_is_empty_and_valid(client: TestClient) -> None:
    response = site_feed(client, site="other")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert entry_ids(root) == []
    assert root.findtext("a:updated", namespaces=NS) == "1970-01-01T00:00:00Z"


def test_site_feed_of_an_unknown_site_is_a_404(client: TestClient) -> None:
    response = site_feed(client, site="nope")
    assert response.status_code == 404
