"""Moderating in the admin: the list (tabs, filters, search, pages), actions on one or many
comments, editing, and the commenter's email shown here and nowhere else."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings
from sharekit.openapi import openapi_schema
from tests.admin_support import (
    admin_settings,
    csrf,
    listed_ids,
    log_in,
    open_client,
    post_comment,
    statuses,
)
from tests.comments_support import parse
from tests.test_openapi import conforms


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return admin_settings(tmp_path)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with open_client(app, headers={"accept-language": "en"}) as test_client:
        yield test_client


def _act(
    client: TestClient, action: str, ids: Sequence[int] = (), back: str = ""
) -> httpx.Response:
    data = {"csrf": csrf(client), "action": action, "back": back, "ids": [str(i) for i in ids]}
    return client.post("/admin/comments", data=data)


def _notice(page: str) -> str:
    found = re.search(r'<p class="sk-admin__notice" role="status">\s*(.*?)\s*</p>', page, re.S)
    return found.group(1) if found else ""


# The list ----------------------------------------------------------------------------------


def test_list_shows_pending_first_newest_first_with_everything(
    app: Starlette, client: TestClient
) -> None:
    first = post_comment(client, app, "Wie lang ist die **Etappe**?", name="Jana")
    second = post_comment(
        client, app, "Danke <script>alert(1)</script>!", name="Ömer", email="oemer@example.org"
    )
    log_in(client)
    page = client.get("/admin")
    assert page.status_code == 200
    assert listed_ids(page.text) == [second, first]
    text = page.text
    assert "<dd>ada@example.org</dd>" in text
    assert "<dd>oemer@example.org</dd>" in text
    assert "Ömer" in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert f'href="https://blog.example/post#comment-{second}"' in text
    assert '<span class="sk-admin__count">(2)</span>' in text  # the pending tab
    assert re.search(r'href="/admin" aria-current="page">Pending', text)
    assert "Comments 1 to 2 of 2, newest first." in text
    assert "<time datetime=" in text


def test_tabs_by_status(app: Starlette, client: TestClient) -> None:
    ids = [post_comment(client, app, f"Comment number {n}.") for n in range(4)]
    log_in(client)
    _act(client, "approve", ids[:2])
    _act(client, "spam", ids[2:3])
    expected = {
        "pending": [ids[3]],
        "approved": [ids[1], ids[0]],
        "spam": [ids[2]],
        "deleted": [],
        "all": ids[::-1],
    }
    for status, shown in expected.items():
        page = client.get("/admin", params={"status": status})
        assert listed_ids(page.text) == shown, status
        assert re.search(
            rf'aria-current="page">\w+ <span class="sk-admin__count">\({len(shown)}\)', page.text
        )
    assert "No comments here." in client.get("/admin", params={"status": "deleted"}).text
    # An unknown tab is the default one.
    assert listed_ids(client.get("/admin", params={"status": "nope"}).text) == [ids[3]]


def test_filter_by_site_and_thread_and_search(app: Starlette, client: TestClient) -> None:
    a = post_comment(client, app, "Schöne Aussicht vom Albtrauf.", thread="alb")
    b = post_comment(client, app, "Regen am Bodensee.", thread="see", email="see@example.org")
    c = post_comment(
        client,
        app,
        "Other site, same thread key.",
        site="other",
        thread="alb",
        url="http://other.example:8080/page",
    )
    log_in(client)

    def shown(**params: str) -> list[int]:
        page = client.get("/admin", params=params)
        assert page.status_code == 200
        return listed_ids(page.text)

    assert shown() == [c, b, a]
    assert shown(site="blog") == [b, a]
    assert shown(site="other") == [c]
    assert shown(thread="alb") == [c, a]
    assert shown(site="blog", thread="alb") == [a]
    assert shown(q="albtrauf") == [a]  # case-insensitive, in the text
    assert shown(q="see@example") == [b]  # in the email address
    assert shown(q="Ada") == [c, b, a]  # in the name
    assert shown(q="100%_") == []  # wildcards are literal
    assert shown(site="unknown") == [c, b, a]  # an unknown site is no filter
    page = client.get("/admin", params={"site": "blog", "thread": "alb", "q": "Aussicht"})
    fields = parse(page.text).fields
    assert fields["q"]["value"] == "Aussicht"
    assert fields["thread"]["value"] == "alb"
    assert '<option value="blog" selected>' in page.text
    # The tabs keep the filters; the "this thread only" link filters by the comment's thread.
    assert 'href="/admin?status=approved&amp;site=blog&amp;thread=alb&amp;q=Aussicht"' in page.text
    assert 'href="/admin?site=other&amp;thread=alb"' in client.get("/admin").text


def test_paging_with_next_and_previous(app: Starlette, client: TestClient) -> None:
    ids = [post_comment(client, app, f"Comment number {n:02}.") for n in range(27)]
    log_in(client)
    newest_first = ids[::-1]
    first = client.get("/admin", params={"q": "number"})
    assert listed_ids(first.text) == newest_first[:25]
    assert "Comments 1 to 25 of 27, newest first." in first.text
    assert 'href="/admin?q=number&amp;page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    second = client.get("/admin", params={"q": "number", "page": "2"})
    assert listed_ids(second.text) == newest_first[25:]
    assert "Comments 26 to 27 of 27, newest first." in second.text
    assert 'href="/admin?q=number" rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    beyond = client.get("/admin", params={"page": "9"})
    assert listed_ids(beyond.text) == []
    assert 'href="/admin?page=8" rel="prev"' in beyond.text
    for junk in ("0", "-1", "x", "99999999999"):
        assert listed_ids(client.get("/admin", params={"page": junk}).text) == newest_first[:25]


# Actions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("approve", "approved", "2 comments approved."),
        ("spam", "spam", "2 comments marked as spam."),
        ("delete", "gone", "2 comments deleted."),
    ],
)
def test_bulk_actions(
    app: Starlette, client: TestClient, action: str, status: str, message: str
) -> None:
    ids = [post_comment(client, app, f"Comment number {n}.") for n in range(3)]
    log_in(client)
    back = "site=blog&q=number"
    response = _act(client, action, ids[:2], back=back)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/admin?site=blog&q=number&done={action}&n=2"
    assert statuses(client, ids) == {ids[0]: status, ids[1]: status, ids[2]: "pending"}
    landed = client.get(location)
    assert _notice(landed.text) == message
    assert listed_ids(landed.text) == [ids[2]]


def test_hold_takes_comments_back_and_one_row_button_acts_alone(
    app: Starlette, client: TestClient
) -> None:
    ids = [post_comment(client, app, f"Comment number {n}.") for n in range(3)]
    log_in(client)
    _act(client, "approve", ids)
    # A row's button acts on its own comment, whatever else is ticked.
    response = _act(client, f"hold:{ids[1]}", [ids[0], ids[2]], back="status=approved")
    assert response.headers["location"] == "/admin?status=approved&done=hold&n=1"
    assert statuses(client, ids) == {ids[0]: "approved", ids[1]: "pending", ids[2]: "approved"}
    assert _notice(client.get(response.headers["location"]).text) == (
        "1 comment put back into moderation."
    )
    _act(client, f"spam:{ids[0]}")
    assert statuses(client, ids)[ids[0]] == "spam"
    _act(client, "hold", [ids[0]])
    assert statuses(client, ids)[ids[0]] == "pending"


def test_approving_publishes_on_the_site(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "Bitte freischalten.")
    thread = {"site": "blog", "format": "json"}
    assert client.get("/threads/t1/comments", params=thread).json()["comments"] == []
    log_in(client)
    _act(client, f"approve:{comment}")
    (shown,) = client.get("/threads/t1/comments", params=thread).json()["comments"]
    assert shown["id"] == comment


def test_nothing_selected_says_so(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "Not selected.")
    log_in(client)
    response = _act(client, "approve", [])
    assert response.headers["location"] == "/admin?done=none"
    assert "select one or more comments" in _notice(client.get(response.headers["location"]).text)
    assert statuses(client, [comment]) == {comment: "pending"}


@pytest.mark.parametrize(
    ("action", "ids"),
    [
        ("publish", ["1"]),
        ("approve:abc", []),
        ("approve:", ["x"]),
        ("approve", ["1; DROP TABLE comments"]),
        ("approve", ["-1"]),
        ("approve", [str(2**70)]),
        ("approve", ["1"] * 501),
    ],
)
def test_bad_actions_are_refused(
    app: Starlette, client: TestClient, action: str, ids: list[str]
) -> None:
    comment = post_comment(client, app, "Stays pending.")
    log_in(client)
    data = {"csrf": csrf(client), "action": action, "ids": ids}
    assert client.post("/admin/comments", data=data).status_code == 400
    assert statuses(client, [comment]) == {comment: "pending"}


def test_unknown_ids_change_nothing(app: Starlette, client: TestClient) -> None:
    log_in(client)
    response = _act(client, "approve", [4711])
    assert response.headers["location"] == "/admin?done=approve&n=0"


def test_a_repeated_field_is_refused(client: TestClient) -> None:
    log_in(client)
    token = csrf(client)
    body = {"csrf": [token, token], "action": "approve", "ids": ["1"]}
    assert client.post("/admin/comments", data=body).status_code == 400


def test_a_forged_back_link_stays_in_the_admin(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "Any comment.")
    log_in(client)
    response = _act(client, "approve", [comment], back="status=../../evil&next=//evil.example")
    assert response.headers["location"] == "/admin?done=approve&n=1"


# Editing -----------------------------------------------------------------------------------


def test_edit_text_and_name(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "Tippfeler im Text.", name="Jna")
    log_in(client)
    page = client.get(f"/admin/comments/{comment}/edit", params={"back": "status=all"})
    assert page.status_code == 200
    fields = parse(page.text).fields
    assert fields["text"]["value"] == "Tippfeler im Text."
    assert fields["author"]["value"] == "Jna"
    assert fields["back"]["value"] == "status=all"
    assert "ada@example.org" in page.text
    data = {
        "csrf": fields["csrf"]["value"],
        "back": "status=all",
        "author": "  Jana  ",
        "text": "Tippfehler im *Text*.",
    }
    response = client.post(f"/admin/comments/{comment}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?status=all&done=edit&n=1"
    landed = client.get(response.headers["location"])
    assert _notice(landed.text) == "The comment was saved."
    assert '<h2 class="sk-admin__author" id="sk-admin-c1-author">Jana</h2>' in landed.text
    assert "Tippfehler im *Text*." in landed.text
    stored = client.app.state.sharekit.comments.store  # type: ignore[attr-defined]
    assert client.portal is not None
    row = client.portal.call(stored.get, comment)
    assert (row.author, row.text) == ("Jana", "Tippfehler im *Text*.")
    assert row.edited_at is None  # a moderator's correction is not the author's edit


@pytest.mark.parametrize(
    ("author", "text", "errors"),
    [
        ("Jana", "x", {"text"}),
        ("", "Long enough text.", {"author"}),
        ("J" * 101, "Long enough text.", {"author"}),
        ("Ja\x00na", "Long enough text.", {"author"}),
        ("", "", {"author", "text"}),
    ],
)
def test_edit_with_errors_keeps_what_was_typed(
    app: Starlette, client: TestClient, author: str, text: str, errors: set[str]
) -> None:
    comment = post_comment(client, app, "The original text.")
    log_in(client)
    token = csrf(client)
    data = {"csrf": token, "back": "q=original", "author": author, "text": text}
    response = client.post(f"/admin/comments/{comment}/edit", data=data)
    assert response.status_code == 422
    assert response.headers["cache-control"] == "no-store"
    page = parse(response.text)
    assert page.fields["text"]["value"] == text
    assert page.fields["author"]["value"] == author
    assert page.fields["back"]["value"] == "q=original"
    for name in ("author", "text"):
        invalid = page.fields[name].get("aria-invalid") == "true"
        assert invalid is (name in errors), name
        if name in errors:
            assert page.texts[f"sk-admin-{name}-error"]
    assert "Some fields need your attention." in response.text
    row = client.portal.call(client.app.state.sharekit.comments.store.get, comment)  # type: ignore[union-attr,attr-defined]
    assert (row.author, row.text) == ("Ada", "The original text.")


def test_text_errors_are_the_sites_messages(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "The original text.")
    log_in(client)
    data = {"csrf": csrf(client), "author": "Ada", "text": "x"}
    response = client.post(f"/admin/comments/{comment}/edit", data=data)
    assert parse(response.text).texts["sk-admin-text-error"] == (
        "Please write at least 2 characters."
    )


def test_editing_a_missing_or_deleted_comment_is_404(app: Starlette, client: TestClient) -> None:
    parent = post_comment(client, app, "A parent with a reply.")
    log_in(client)
    token = csrf(client)
    assert client.get("/admin/comments/999/edit").status_code == 404
    assert client.get("/admin/comments/abc/edit").status_code == 404
    assert client.get(f"/admin/comments/{'9' * 30}/edit").status_code == 404
    data = {"csrf": token, "author": "Ada", "text": "New text here."}
    assert client.post("/admin/comments/999/edit", data=data).status_code == 404
    _act(client, "delete", [parent])
    assert client.get(f"/admin/comments/{parent}/edit").status_code == 404


# The email address -------------------------------------------------------------------------


def test_the_email_is_shown_in_the_admin_and_nowhere_else(
    app: Starlette, client: TestClient
) -> None:
    email = "only-the-admin-sees-this@example.org"
    comment = post_comment(client, app, "Where does my address show?", email=email)
    log_in(client)
    _act(client, f"approve:{comment}")
    admin_pages = [client.get("/admin", params={"status": "approved"})]
    admin_pages.append(client.get(f"/admin/comments/{comment}/edit"))
    for page in admin_pages:
        assert email in page.text
    public = [
        client.get("/threads/t1/comments", params={"site": "blog"}),
        client.get("/threads/t1/comments", params={"site": "blog", "format": "json"}),
        client.get(
            "/threads/t1/feed.atom", params={"site": "blog", "url": "https://blog.example/post"}
        ),
        client.get("/sites/blog/feed.atom"),
    ]
    client.cookies.clear()
    public += [
        client.get("/admin"),
        client.get("/admin/login"),
        client.get("/admin/comments/1/edit"),
    ]
    for response in public:
        assert response.status_code < 500
        assert email not in response.text
        assert "only-the-admin-sees-this" not in response.text


# The OpenAPI document ----------------------------------------------------------------------


def test_answers_are_documented(app: Starlette, client: TestClient, settings: Settings) -> None:
    document = openapi_schema(settings)
    comment = post_comment(client, app, "Documented answers.")
    samples = [("get", "/admin", client.get("/admin"))]
    samples.append(("get", "/admin/login", client.get("/admin/login")))
    samples.append(("post", "/admin/login", client.post("/admin/login", data={"password": "no"})))
    samples.append(("post", "/admin/comments", client.post("/admin/comments", data={"csrf": "x"})))
    samples.append(("post", "/admin/login", log_in(client)))
    samples.append(("get", "/admin/login", client.get("/admin/login")))
    samples.append(("get", "/admin", client.get("/admin")))
    token = csrf(client)
    edit = f"/admin/comments/{comment}/edit"
    samples.append(("get", "/admin/comments/{comment}/edit", client.get(edit)))
    bad_edit = client.post(edit, data={"csrf": token, "author": "A", "text": "x"})
    samples.append(("post", "/admin/comments/{comment}/edit", bad_edit))
    good_edit = client.post(edit, data={"csrf": token, "author": "A", "text": "Fine text."})
    samples.append(("post", "/admin/comments/{comment}/edit", good_edit))
    bulk = client.post("/admin/comments", data={"csrf": token, "action": f"spam:{comment}"})
    samples.append(("post", "/admin/comments", bulk))
    samples.append(
        (
            "post",
            "/admin/comments",
            client.post("/admin/comments", data={"csrf": token, "action": "x"}),
        )
    )
    samples.append(("post", "/admin/logout", client.post("/admin/logout", data={"csrf": token})))
    seen = set()
    for method, path, response in samples:
        conforms(document, method, path, response)
        seen.add((method, path, response.status_code))
    assert {status for *_, status in seen} >= {200, 303, 400, 403, 422}
    limited = admin_settings(Path(settings.data_dir) / "x", admin_login_attempts=1)
    assert (
        "After 1 wrong passwords"
        in openapi_schema(limited)["paths"]["/admin/login"]["post"]["description"]
    )


def test_location_of_redirects_is_relative_to_the_mount(client: TestClient) -> None:
    location = client.get("/admin", params={"q": "x y"}).headers["location"]
    parts = urlsplit(location)
    assert parts.path == "/admin/login"
    assert parse_qs(parts.query) == {"next": ["q=x+y"]}
    assert unescape(location) == location
