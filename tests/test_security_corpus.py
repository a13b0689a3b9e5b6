"""The security regression corpus (``tests/data/security/``) through the real routes:
open redirects, mail header injection, SQL metacharacters, path traversal, oversized and
slow requests, replayed and cross-site tokens. The XSS vectors run in Chromium
(``tests/browser/test_xss_corpus.py``)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import create_app
from sharekit.origins import origin_of
from sharekit.storage.moderation import Filter
from tests.admin_support import PASSWORD, admin_settings, csrf, log_in, open_client
from tests.browser.conftest import LiveServer
from tests.comments_support import (
    BLOG,
    EN,
    SECRET,
    THREE_LINKS,
    URL,
    make_settings,
    post_form,
    post_json,
    stored,
    submission,
    token,
)
from tests.mail_support import OWNER, SENDER, Inbox, mail_settings

DATA = Path(__file__).parent / "data" / "security"
SERVICE = "http://testserver"
SITE_ORIGINS = {BLOG, "http://other.example:8080"}


def load(name: str) -> list[str]:
    """The vectors of one corpus file (one JSON string per line, ``#`` comments)."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    vectors = [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]
    assert all(isinstance(vector, str) for vector in vectors)
    return vectors


REDIRECTS = load("open_redirect.txt")
INJECTIONS = load("header_injection.txt")
SQL = load("sql.txt")
TRAVERSALS = load("path_traversal.txt")


def test_every_corpus_file_has_vectors() -> None:
    counts = {path.name: len(load(path.name)) for path in DATA.glob("*.txt")}
    assert set(counts) >= {
        "xss.txt",
        "open_redirect.txt",
        "header_injection.txt",
        "sql.txt",
        "path_traversal.txt",
    }
    assert all(count >= 15 for count in counts.values()), counts


def assert_stays_home(response: httpx.Response, allowed: set[str] = SITE_ORIGINS) -> None:
    """A redirect, if any, goes to the service itself or a configured site origin."""
    assert response.status_code < 500, response.text
    location = response.headers.get("location")
    if location is not None:
        assert_home(location, allowed)


def assert_home(location: str, allowed: set[str]) -> None:
    """``location``, resolved as a browser would, is on the service or an allowed origin."""
    assert not any(ch in location for ch in "\r\n\t\x00\\"), location
    target = urljoin(f"{SERVICE}/comments", location)
    parts = urlsplit(target)
    assert parts.scheme in {"http", "https"}, location
    assert "@" not in parts.netloc, location
    # A browser decodes %-escapes in the host before IDNA (a fullwidth dot becomes ".").
    host = f"{parts.scheme}://{unquote(parts.netloc)}/"
    assert target.startswith(f"{SERVICE}/") or origin_of(host) in allowed, location


def assert_links_home(page: str, allowed: set[str]) -> None:
    """Every link and form target of a page stays on the service or an allowed origin."""
    for found in re.findall(r'(?:href|action|src)="([^"]*)"', page):
        assert_home(unescape(found), allowed)


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    return create_app(admin_settings(tmp_path, comments_moderation="off"))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with open_client(app, headers=EN) as test_client:
        yield test_client


def form(app: Starlette, thread: str = "t1", **fields: str) -> dict[str, str]:
    return submission(app, thread, **{"text": "A comment long enough.", **fields})


# Open redirects


def test_comment_post_never_redirects_off_the_site(client: TestClient, app: Starlette) -> None:
    for number, vector in enumerate(REDIRECTS):
        before = stored(app.state.sharekit.settings)
        data = form(app, text=f"Redirect probe number {number}.", url=vector)
        response = post_form(client, data)
        assert_stays_home(response, {BLOG})
        if response.status_code == 303:
            assert not response.headers["location"].startswith(SERVICE), vector
        else:
            assert stored(app.state.sharekit.settings) == before, vector


def test_author_edit_and_delete_never_redirect_off_the_site(
    client: TestClient, app: Starlette
) -> None:
    post = post_form(client, form(app))
    assert post.status_code == 303  # the author cookie is set now
    comment = int(post.headers["location"].rsplit("-", 1)[1])
    for number, vector in enumerate(REDIRECTS):
        response = client.post(
            f"/comments/{comment}/edit",
            params={"url": vector},
            data={"text": f"Edited for probe {number}."},
        )
        assert response.status_code == 303, (vector, response.text)
        assert_stays_home(response, {BLOG})
        for page in ("edit", "delete"):
            shown = client.get(f"/comments/{comment}/{page}", params={"url": vector})
            assert shown.status_code == 200
            assert_links_home(shown.text, {BLOG})
    response = client.post(f"/comments/{comment}/delete", params={"url": REDIRECTS[0]})
    assert response.status_code == 303
    assert_stays_home(response, {BLOG})


def test_admin_login_next_stays_in_the_admin(app: Starlette) -> None:
    with open_client(app) as client:
        for vector in REDIRECTS:
            bounced = client.get("/admin", params={"q": "x", "next": vector})
            assert bounced.status_code == 303
            assert_stays_home(bounced, set())
            shown = client.get("/admin/login", params={"next": vector})
            assert shown.status_code == 200
            assert_links_home(shown.text, set())
        # Logging in hashes the password (slow on purpose): a sample logs in for real,
        # the rest are bounced by the login page of a session that has logged in.
        for vector in REDIRECTS[::6]:
            response = client.post("/admin/login", data={"password": PASSWORD, "next": vector})
            assert response.status_code == 303, response.text
            assert_stays_home(response, set())
            assert response.headers["location"].startswith("/admin"), vector
        for vector in REDIRECTS:
            response = client.get("/admin/login", params={"next": vector})
            assert response.status_code == 303, vector
            assert_stays_home(response, set())
            assert response.headers["location"].startswith("/admin"), vector


def test_share_redirects_go_to_the_network_or_the_print_view(client: TestClient) -> None:
    hosts = {
        network: urlsplit(client.post(f"/share/{network}", data={"url": URL}).headers["location"])
        for network in ("facebook", "linkedin", "email")
    }
    for vector in REDIRECTS:
        printed = client.get("/share/print", params={"url": vector})
        assert printed.status_code < 500
        if printed.status_code == 303:
            assert printed.headers["location"].startswith("/print?"), vector
        for network in ("facebook", "linkedin", "email"):
            response = client.post(f"/share/{network}", data={"url": vector, "title": "T"})
            if origin_of(vector) == BLOG:  # e.g. a fullwidth dot: browsers read it as "."
                target = urlsplit(response.headers["location"])
                assert target[:3] == hosts[network][:3], (network, vector)
                continue
            assert response.status_code in {400, 404, 422}, (network, vector, response.text)
            assert "location" not in response.headers


# Mail header injection


EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "auto-submitted",
    "mime-version",
    "content-type",
}


def test_header_injection_through_the_posting_path(tmp_path: Path, inbox: Inbox) -> None:
    settings = mail_settings(tmp_path, inbox, comments_reply_notifications=False)
    app = create_app(settings)
    accepted = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for number, vector in enumerate(INJECTIONS):
            for field in ("name", "website", "title"):
                before = stored(settings)
                data = {
                    "site": "blog",
                    "thread": f"t{number}-{field}",
                    "url": f"{URL}/{number}-{field}",
                    "title": "Post",
                    "token": token(app, "blog", f"t{number}-{field}"),
                    "name": "Ada",
                    "email": "ada@example.org",
                    "text": f"Header probe {number} in {field}.",
                    field: vector,
                }
                response = post_json(client, data)
                assert response.status_code in {201, 202, 400, 422}, (vector, response.text)
                if response.status_code in {400, 422}:
                    assert stored(settings) == before, vector
                else:
                    accepted += 1
        mails = inbox.wait(accepted, timeout=20)
        time.sleep(0.3)  # nothing more may come
    assert accepted > 0
    assert len(inbox.mails) == accepted
    for mail in mails:
        assert mail.recipients == [OWNER]
        message = mail.message
        assert {key.lower() for key in message} == EXPECTED_HEADERS, message.as_bytes()[:300]
        assert [a.addr_spec for a in message["To"].addresses] == [OWNER]
        assert [a.addr_spec for a in message["From"].addresses] == [SENDER]
        assert message["From"].addresses[0].display_name == "Blog"
        for key, value in message.items():
            assert "victim@evil.example" not in str(value) or key == "Subject", (key, value)
            assert not any(ch in str(value) for ch in "\r\n\u2028\u2029\x85"), (key, value)
        head = message.as_bytes().split(b"\n\n", 1)[0].decode("ascii")
        starts = {line.split(":", 1)[0].lower() for line in head.splitlines() if line[:1].strip()}
        assert starts == EXPECTED_HEADERS, head


# SQL metacharacters


def test_sql_metacharacters_are_stored_and_searched_literally(app: Starlette) -> None:
    with open_client(app, headers=EN) as client:
        ids: dict[str, int] = {}
        for number, vector in enumerate(SQL):
            data = {
                "site": "blog",
                "thread": vector,
                "url": URL,
                "token": token(app, "blog", vector),
                "name": f"N{number} {vector}",
                "email": "ada@example.org",
                "text": f"T{number} {vector} end",
            }
            response = post_json(client, data)
            assert response.status_code == 201, (vector, response.text)
            ids[vector] = int(response.json()["comment"]["id"])
        assert client.portal is not None
        store = app.state.sharekit.moderation.store
        for number, vector in enumerate(SQL):
            found = client.portal.call(store.get, ids[vector])
            assert found is not None
            assert found.comment.text == f"T{number} {vector} end"
            assert found.comment.author == f"N{number} {vector}"
            listing = client.get(
                f"/threads/{vector}/comments", params={"site": "blog", "format": "json"}
            )
            assert listing.status_code == 200
            assert [c["id"] for c in listing.json()["comments"]] == [ids[vector]], vector

        def search(needle: str) -> set[int]:
            rows, total = client.portal.call(  # type: ignore[union-attr]
                lambda: store.find(Filter(search=needle), limit=500)
            )
            assert total == len(rows)
            return {row.comment.id for row in rows}

        def fields(number: int, vector: str) -> str:
            return f"N{number} {vector}\nada@example.org\nT{number} {vector} end".lower()

        for number, vector in enumerate(SQL):
            assert search(f"T{number} {vector} end") == {ids[vector]}, vector
            literal = {ids[v] for n, v in enumerate(SQL) if vector.strip().lower() in fields(n, v)}
            assert search(vector) == literal, vector
        log_in(client)
        for number, vector in enumerate(SQL):
            page = client.get("/admin", params={"q": f"T{number} {vector} end", "status": "all"})
            assert page.status_code == 200
            assert f'value="{ids[vector]}"' in page.text, vector
            assert page.text.count('name="ids" type="checkbox"') == 1, vector
        assert stored(app.state.sharekit.settings) == len(SQL)


# Path traversal


def test_static_paths_never_leave_the_asset_directory(client: TestClient) -> None:
    script = client.get("/static/sharekit.js")
    assert script.status_code == 200
    for vector in TRAVERSALS:
        for method in ("GET", "HEAD"):
            response = client.request(method, f"/static/{vector}")
            if response.status_code == 200:  # the client removed a dot segment itself
                assert response.content in {script.content, b""}, vector
                continue
            assert response.status_code in {400, 404}, (vector, response.status_code)
            body = response.content
            assert b"root:" not in body
            assert b"BaseModel" not in body
            assert b"import " not in body


def test_raw_traversal_paths_on_a_live_server(live: str) -> None:
    port = int(live.rsplit(":", 1)[1])
    for vector in TRAVERSALS:
        head = f"GET /static/{vector} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        status, body = raw_request(port, head.encode("utf-8", "surrogateescape"))
        assert status in {0, 400, 404}, (vector, status)
        assert b"root:" not in body
        assert b"import " not in body


# Oversized headers and bodies, slow clients (a real uvicorn server)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("live")
    settings = admin_settings(data_dir, request_body_timeout=1.5)
    with LiveServer(lambda url: create_app(settings)) as server:
        yield server.url


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send bytes, read the answer until the server closes; (status, body), 0 if none."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # closed by the server while sending
            sock.sendall(data)
        answer = bytearray()
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    if not answer.startswith(b"HTTP/1.1 "):
        return 0, bytes(answer)
    return int(answer[9:12]), bytes(answer).partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize(
    "headers",
    [
        "X-Big: " + "a" * 100_000 + "\r\n",
        "".join(f"X-H{i}: v\r\n" for i in range(1000)),
        "Cookie: " + "; ".join(f"c{i}=v" for i in range(5000)) + "\r\n",
        "Accept-Language: " + ",".join(["de;q=0.5"] * 5000) + "\r\n",
    ],
    ids=["100kb-header", "1000-headers", "5000-cookies", "huge-accept-language"],
)
def test_oversized_headers_are_refused_or_served_never_500(live: str, headers: str) -> None:
    port = int(live.rsplit(":", 1)[1])
    for path in ("/threads/t1/comments?site=blog", "/healthz", "/static/sharekit.js"):
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"
        status, _ = raw_request(port, head.encode())
        assert status < 500, (path, status)


POST_ROUTES = [
    "/comments",
    "/comments/preview",
    "/api/comment-counts",
    "/api/share",
    "/share/mastodon",
    "/admin/login",
    "/admin/comments",
    "/admin/comments/1/edit",
    "/comments/1/edit",
    "/moderate/x",
    "/replies/confirm/x",
    "/privacy/erase/x",
]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_bodies_over_the_cap_are_refused_and_nothing_is_stored(
    client: TestClient, app: Starlette, path: str
) -> None:
    big = b"text=" + b"a" * 300_000
    for kind in ("application/x-www-form-urlencoded", "application/json"):
        sized = client.post(path, content=big, headers={"content-type": kind})
        chunked = client.post(
            path, content=iter([big[:1000], big[1000:]]), headers={"content-type": kind}
        )
        for response in (sized, chunked):
            assert 400 <= response.status_code < 500, (path, response.status_code)
    assert stored(app.state.sharekit.settings) == 0


SLOW_BODIES = {
    "/comments": ("application/json", b'{"site": "blog", "text": "slow"}'),
    "/comments/preview": ("application/json", b'{"site": "blog", "text": "slow"}'),
    "/admin/login": ("application/x-www-form-urlencoded", b"password=slow-slow-slow-slow"),
    "/share/mastodon": ("application/x-www-form-urlencoded", b"url=https%3A%2F%2Fblog.example"),
}


def slow_post(port: int, path: str, interval: float, chunked: bool) -> float:
    """POST ``body`` one byte every ``interval`` seconds; seconds until the server answered
    or closed. Fails if that takes longer than the body would."""
    kind, body = SLOW_BODIES[path]
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nOrigin: {BLOG}\r\n"
        f"Content-Type: {kind}\r\n{framing}\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=interval) as sock:
        sock.sendall(head.encode())
        for byte in body:
            piece = bytes([byte])
            try:
                sock.sendall(b"1\r\n" + piece + b"\r\n" if chunked else piece)
            except OSError:
                return time.monotonic() - started
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:60]
            return time.monotonic() - started
    raise AssertionError("the server read the whole slow body")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SLOW_BODIES))
def test_a_slow_body_times_out_and_others_are_served(live: str, path: str, chunked: bool) -> None:
    port = int(live.rsplit(":", 1)[1])
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(slow_post, port, path, 0.25, chunked)
        time.sleep(0.3)
        for _ in range(3):  # the worker is not tied up meanwhile
            started = time.monotonic()
            status, _ = raw_request(
                port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            assert status == 200
            assert time.monotonic() - started < 1.0
        took = slow.result(timeout=10)
    assert 1.4 < took < 4.0, took  # request_body_timeout is 1.5 s here


def test_the_timeout_answers_408_in_the_visitors_language(live: str) -> None:
    port = int(live.rsplit(":", 1)[1])
    head = (
        "POST /comments HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50\r\n\r\ntext="
    )
    started = time.monotonic()
    status, body = raw_request(port, head.encode())
    assert status == 408
    assert b"took too long" in body
    assert 1.4 < time.monotonic() - started < 4.0


# Replayed and cross-site tokens


def test_a_moderation_link_works_once(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_moderation="links"))
    with TestClient(app, raise_server_exceptions=False, headers=EN) as client:
        data = {**form(app, text=THREE_LINKS), "email": "ada@example.org"}
        posted = post_json(client, data)
        assert posted.status_code == 202
        comment = posted.json()["comment"]["id"]
        links = app.state.sharekit.comments.links
        approve = f"/moderate/{links.moderate(comment, 'approve', 'pending')}"
        spam = f"/moderate/{links.moderate(comment, 'spam', 'pending')}"
        assert client.post(approve).status_code == 200
        for replay in (approve, spam, approve):
            assert client.post(replay).status_code == 409
        assert client.portal is not None
        found = client.portal.call(app.state.sharekit.moderation.store.get, comment)
        assert found is not None
        assert found.comment.status == "approved"
        other = create_app(
            make_settings(tmp_path / "other", secret_key="another-secret-0123456789")
        )
        forged = other.state.sharekit.comments.links.moderate(comment, "delete", "approved")
        assert client.post(f"/moderate/{forged}").status_code in {400, 403, 404}
        found = client.portal.call(app.state.sharekit.moderation.store.get, comment)
        assert found is not None
        assert found.comment.status == "approved"


def test_an_edit_token_dies_when_the_text_changes(client: TestClient, app: Starlette) -> None:
    posted = post_json(client, {**form(app), "email": "ada@example.org"})
    assert posted.status_code == 201
    comment, old = posted.json()["comment"]["id"], posted.json()["edit"]
    fresh = TestClient(app, raise_server_exceptions=False)  # no author cookie
    first = fresh.post(
        f"/comments/{comment}/edit", json={"text": "First edit, fine.", "edit": old}
    )
    assert first.status_code == 200, first.text
    new = first.json()["edit"]
    replayed = fresh.post(
        f"/comments/{comment}/edit", json={"text": "Replayed edit.", "edit": old}
    )
    assert replayed.status_code == 403
    deleted = fresh.post(f"/comments/{comment}/delete", json={"edit": old})
    assert deleted.status_code == 403
    foreign = create_app(
        make_settings(Path("/nonexistent"), secret_key="another-secret-0123456789")
    )
    forged = foreign.state.sharekit.comments.guard.tokens.dumps("edit", {"id": comment, "h": "x"})
    assert (
        fresh.post(
            f"/comments/{comment}/edit", json={"text": "Forged.", "edit": forged}
        ).status_code
        == 403
    )
    assert client.portal is not None
    found = client.portal.call(app.state.sharekit.comments.store.get, comment)
    assert found is not None
    assert found.text == "First edit, fine."
    assert new != old


@pytest.mark.parametrize(
    "issued",
    [("blog", "t2"), ("other", "t1"), ("blog", "t1 "), ("blog", "T1")],
    ids=["other-thread", "other-site", "padded-thread", "other-case"],
)
def test_a_form_token_for_another_site_or_thread_is_refused(
    client: TestClient, app: Starlette, issued: tuple[str, str]
) -> None:
    foreign = token(app, *issued)
    assert post_form(client, form(app, token=foreign)).status_code == 400
    assert post_json(client, form(app, token=foreign)).status_code == 400
    assert stored(app.state.sharekit.settings) == 0


def test_a_token_signed_with_another_secret_is_refused(
    tmp_path: Path, client: TestClient, app: Starlette
) -> None:
    other = create_app(make_settings(tmp_path / "other", secret_key="another-secret-0123456789"))
    forged = token(other)
    assert post_form(client, form(app, token=forged)).status_code == 400
    assert post_json(client, form(app, token=forged)).status_code == 400
    assert stored(app.state.sharekit.settings) == 0
    assert SECRET != "another-secret-0123456789"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "https://blog.example.evil.example", "http://blog.example"],
)
def test_cross_site_posts_are_refused(client: TestClient, app: Starlette, origin: str) -> None:
    assert post_form(client, form(app), origin=origin).status_code == 403
    assert post_form(client, form(app), referer=f"{origin}/page").status_code == 403
    assert post_json(client, form(app), origin=origin).status_code == 403
    assert client.post("/comments", json=form(app), headers=EN).status_code == 403
    assert stored(app.state.sharekit.settings) == 0


def test_admin_posts_need_the_sessions_csrf_token(app: Starlette) -> None:
    with open_client(app, headers=EN) as visitor:
        posted = post_json(visitor, {**form(app), "email": "ada@example.org"})
        comment = posted.json()["comment"]["id"]
    with open_client(app) as first, open_client(app) as second:
        log_in(first)
        log_in(second)
        theirs = csrf(second)
        for csrf_value in ("", theirs, theirs + "x"):
            response = first.post(
                "/admin/comments",
                data={"ids": str(comment), "action": "delete", "csrf": csrf_value},
                headers={"origin": "https://evil.example"},
            )
            assert response.status_code in {400, 403}, response.text
    assert stored(app.state.sharekit.settings) == 1
    with open_client(app) as check:
        assert check.portal is not None
        found = check.portal.call(app.state.sharekit.moderation.store.get, comment)
        assert found is not None
        assert found.comment.status == "approved"
