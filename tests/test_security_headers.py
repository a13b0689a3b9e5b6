"""Every route, every method, success and error paths: the security headers are on every
response, and every cookie the service sets is HttpOnly, SameSite and (over https) Secure.

The routes come from the app itself: ``CALLS`` must name exactly the app's routes, so a
new route without a way to call it here fails ``test_every_route_has_calls``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from sharekit import create_app
from tests.admin_support import PASSWORD, PEER, admin_settings, csrf_of, log_in
from tests.comments_support import BLOG, EN, URL, submission, token

ORIGINS = {BLOG, "http://other.example:8080"}
ARTICLE = (
    "<html><head><title>Post</title></head><body><article><p>Text.</p></article></body></html>"
)


@dataclass(frozen=True)
class Call:
    """One request: ``method`` and URL built from the context, plus httpx keywords."""

    label: str
    method: str
    url: Callable[[Context], str]
    options: Callable[[Context], dict[str, Any]] = lambda ctx: {}


@dataclass
class Context:
    app: Starlette
    client: TestClient
    comment: int  # the author's own comment (held for moderation)
    own: str  # the author cookie of that comment
    session: str  # an admin session cookie
    csrf: str
    subscription: int  # the author's (unconfirmed) reply notifications
    doomed: int  # a second comment of the author's, to delete
    doomed_own: str
    email: str = "ada@example.org"

    @property
    def links(self) -> Any:
        return self.app.state.sharekit.comments.links

    def form(self, text: str) -> dict[str, str]:
        return {
            "site": "blog",
            "thread": "t1",
            "url": URL,
            "token": token(self.app, "blog", "t1"),
            "name": "Ada",
            "email": self.email,
            "text": text,
        }


def get(label: str, url: Callable[[Context], str] | str, **options: Any) -> Call:
    return _call(label, "GET", url, options)


def post(label: str, url: Callable[[Context], str] | str, **options: Any) -> Call:
    return _call(label, "POST", url, options)


def _call(
    label: str, method: str, url: Callable[[Context], str] | str, options: dict[str, Any]
) -> Call:
    def built(ctx: Context) -> dict[str, Any]:
        return {key: value(ctx) if callable(value) else value for key, value in options.items()}

    return Call(label, method, url if callable(url) else (lambda ctx: url), built)


def author(ctx: Context) -> dict[str, str]:
    return {"sharekit_own": ctx.own}


def admin(ctx: Context) -> dict[str, str]:
    return {"sharekit_admin": ctx.session}


def edit_url(ctx: Context) -> str:
    return f"/comments/{ctx.comment}/edit"


def delete_url(ctx: Context) -> str:
    return f"/comments/{ctx.doomed}/delete"


def doomed_author(ctx: Context) -> dict[str, str]:
    return {"sharekit_own": ctx.doomed_own}


def admin_edit_url(ctx: Context) -> str:
    return f"/admin/comments/{ctx.comment}/edit"


JSON_BLOG = {"origin": BLOG, **EN}
# (route path as the app declares it, method) -> requests that reach its success path and
# at least one error path.
CALLS: dict[tuple[str, str], list[Call]] = {
    ("/comments", "POST"): [
        post("form", "/comments", data=lambda c: c.form("Eine neue Meinung dazu."), headers=EN),
        post("json", "/comments", json=lambda c: c.form("Noch eine Meinung."), headers=JSON_BLOG),
        post(
            "json same origin",
            "/comments",
            json=lambda c: c.form("Dritte Meinung hier."),
            headers={"origin": "http://testserver", **EN},
        ),
        post("invalid", "/comments", data={"site": "blog"}, headers=EN),
        post("wrong type", "/comments", content=b"x", headers={"content-type": "text/plain"}),
    ],
    ("/comments/new", "GET"): [
        get("form", "/comments/new", params={"site": "blog", "thread": "t1", "url": URL}),
        get("foreign url", "/comments/new", params={"url": "https://evil.example/"}),
    ],
    ("/comments/preview", "POST"): [
        post(
            "draft",
            "/comments/preview",
            json={"site": "blog", "text": "*Entwurf*"},
            headers=JSON_BLOG,
        ),
        post("bad", "/comments/preview", json=[], headers=JSON_BLOG),
    ],
    ("/threads/{thread:path}/comments", "GET"): [
        get("html", "/threads/t1/comments", params={"site": "blog", "url": URL}),
        get(
            "json",
            "/threads/t1/comments",
            params={"site": "blog", "format": "json"},
            headers={"origin": BLOG},
        ),
        get(
            "as author",
            "/threads/t1/comments",
            params={"site": "blog", "url": URL},
            cookies=author,
        ),
        get("unknown site", "/threads/t1/comments", params={"site": "nope"}),
    ],
    ("/api/comment-counts", "POST"): [
        post(
            "counts",
            "/api/comment-counts",
            json={"site": "blog", "threads": ["t1"]},
            headers=JSON_BLOG,
        ),
        post("bad", "/api/comment-counts", json={"threads": 1}, headers=JSON_BLOG),
    ],
    ("/comments/{comment}/edit", "GET"): [
        get("author", edit_url, params={"url": URL}, cookies=author),
        get("stranger", edit_url, params={"url": URL}),
    ],
    ("/comments/{comment}/edit", "POST"): [
        post(
            "author",
            edit_url,
            params={"url": URL},
            cookies=author,
            data={"text": "Korrigierte Fassung."},
        ),
        post("stranger", edit_url, params={"url": URL}, data={"text": "Fremde Fassung."}),
    ],
    ("/comments/{comment}/delete", "GET"): [
        get("author", delete_url, params={"url": URL}, cookies=doomed_author),
        get("stranger", delete_url, params={"url": URL}),
    ],
    ("/threads/{thread:path}/feed.atom", "GET"): [
        get("feed", "/threads/t1/feed.atom", params={"site": "blog", "url": URL}),
        get("unknown site", "/threads/t1/feed.atom", params={"site": "nope"}),
    ],
    ("/sites/{site}/feed.atom", "GET"): [
        get("feed", "/sites/blog/feed.atom"),
        get("unknown", "/sites/nope/feed.atom"),
    ],
    ("/", "GET"): [get("index", "/")],
    ("/healthz", "GET"): [get("health", "/healthz")],
    ("/static/{name:path}", "GET"): [
        get("script", "/static/sharekit.js"),
        get("style", "/static/sharekit.css"),
        get("missing", "/static/nope.js"),
        get("traversal", "/static/..%2F..%2Fpyproject.toml"),
    ],
    ("/share/info", "GET"): [get("info", "/share/info")],
    ("/share/{network}", "GET"): [
        get("consent", "/share/mastodon", params={"url": URL, "title": "Post"}),
        get("direct", "/share/bluesky", params={"url": URL}),
        get("unknown", "/share/nope", params={"url": URL}),
    ],
    ("/share/{network}", "POST"): [
        post("confirm", "/share/bluesky", data={"url": URL, "title": "Post"}),
        post("mastodon", "/share/mastodon", data={"url": URL, "instance": "mastodon.social"}),
        post("bad", "/share/bluesky", data={"url": "https://evil.example/"}),
    ],
    ("/share-bar", "GET"): [
        get("bar", "/share-bar", params={"url": URL}),
        get("foreign", "/share-bar", params={"url": "https://evil.example/"}),
    ],
    ("/api/counts", "GET"): [
        get("counts", "/api/counts", params={"url": URL}),
        get("foreign", "/api/counts", params={"url": "https://evil.example/"}),
    ],
    ("/api/share", "POST"): [
        post("record", "/api/share", data={"url": URL, "network": "bluesky"}),
        post("bad", "/api/share", data={"url": URL, "network": "nope"}),
    ],
    ("/print", "GET"): [
        get("print", "/print", params={"url": URL}),
        get("foreign", "/print", params={"url": "https://evil.example/"}),
    ],
    ("/pdf", "GET"): [
        get("pdf", "/pdf", params={"url": URL}),
        get("foreign", "/pdf", params={"url": "https://evil.example/"}),
    ],
    ("/replies/confirm/{token}", "GET"): [
        get("page", lambda c: f"/replies/confirm/{c.links.confirm(c.subscription, c.email)}"),
        get("tampered", "/replies/confirm/tampered"),
    ],
    ("/replies/confirm/{token}", "POST"): [
        post("confirm", lambda c: f"/replies/confirm/{c.links.confirm(c.subscription, c.email)}"),
        post("tampered", "/replies/confirm/tampered"),
    ],
    ("/replies/unsubscribe/{token}", "GET"): [
        get(
            "page",
            lambda c: f"/replies/unsubscribe/{c.links.unsubscribe(c.subscription, c.email)}",
        ),
        get("tampered", "/replies/unsubscribe/tampered"),
    ],
    ("/replies/unsubscribe/{token}", "POST"): [
        post(
            "one-click",
            lambda c: f"/replies/unsubscribe/{c.links.unsubscribe(c.subscription, c.email)}",
            data={"List-Unsubscribe": "One-Click"},
        ),
        post("tampered", "/replies/unsubscribe/tampered"),
    ],
    ("/moderate/{token}", "GET"): [
        get("page", lambda c: f"/moderate/{c.links.moderate(c.comment, 'approve', 'pending')}"),
        get("tampered", "/moderate/tampered"),
    ],
    ("/moderate/{token}", "POST"): [
        post("tampered", "/moderate/tampered"),
        post("spam", lambda c: f"/moderate/{c.links.moderate(10**6, 'spam', 'pending')}"),
        post(
            "approve", lambda c: f"/moderate/{c.links.moderate(c.comment, 'approve', 'pending')}"
        ),
    ],
    ("/privacy/erase/{token}", "GET"): [
        get("page", lambda c: f"/privacy/erase/{c.links.erase('blog', c.email)}"),
        get("tampered", "/privacy/erase/tampered"),
    ],
    ("/privacy/erase/{token}", "POST"): [
        post("tampered", "/privacy/erase/tampered"),
        post("erase", lambda c: f"/privacy/erase/{c.links.erase('blog', 'bob@example.org')}"),
    ],
    ("/admin", "GET"): [
        get("list", "/admin", cookies=admin),
        get("logged out", "/admin"),
    ],
    ("/admin/login", "GET"): [get("form", "/admin/login")],
    ("/admin/login", "POST"): [
        post("wrong", "/admin/login", data={"password": "falsch"}),
        post("right", "/admin/login", data={"password": PASSWORD}),
    ],
    ("/admin/comments", "POST"): [
        post(
            "approve",
            "/admin/comments",
            cookies=admin,
            data=lambda c: {"csrf": c.csrf, "action": f"approve:{c.comment}"},
        ),
        post("no csrf", "/admin/comments", cookies=admin, data={"action": "approve"}),
    ],
    ("/admin/comments/{comment}/edit", "GET"): [
        get("form", admin_edit_url, cookies=admin),
        get("missing", "/admin/comments/999999/edit", cookies=admin),
    ],
    ("/admin/comments/{comment}/edit", "POST"): [
        post(
            "save",
            admin_edit_url,
            cookies=admin,
            data=lambda c: {"csrf": c.csrf, "author": "Ada", "text": "Vom Admin berichtigt."},
        ),
        post("no csrf", admin_edit_url, cookies=admin, data={"author": "Ada", "text": "Nein."}),
    ],
    ("/admin/logout", "POST"): [
        post("no csrf", "/admin/logout", cookies=admin, data={}),
        post("logout", "/admin/logout", cookies=admin, data=lambda c: {"csrf": c.csrf}),
    ],
    ("/openapi.json", "GET"): [get("document", "/openapi.json")],
    ("/comments/{comment}/delete", "POST"): [
        post("stranger", delete_url, params={"url": URL}, data={}),
        post("author", delete_url, params={"url": URL}, cookies=doomed_author, data={}),
    ],
}
# Answers of the router itself, and of the error handlers.
ELSEWHERE = [
    get("404", "/no/such/page"),
    get("404 json", "/no/such/page", headers={"accept": "application/json"}),
    get("405", "/comments"),
    post("405 post", "/healthz"),
    Call("405 put", "PUT", lambda ctx: "/admin"),
]


async def _page(url: str) -> str | None:
    return ARTICLE if url.startswith(BLOG) else None


def _app(data_dir: Path) -> Starlette:
    smtp = {"host": "127.0.0.1", "port": 9, "security": "none", "sender": "s@example.org"}
    settings = admin_settings(data_dir, smtp=smtp, share_counts=True)
    return create_app(settings, content_providers={"blog": _page, "other": _page})


def _routes(app: Starlette) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        assert isinstance(route, Route), f"{route!r}: only plain routes are covered here"
        for method in route.methods or ():
            if method != "HEAD":
                found.add((route.path, method))
    return found


def test_every_route_has_calls(tmp_path: Path) -> None:
    assert set(CALLS) == _routes(_app(tmp_path))


def _context(app: Starlette, client: TestClient, data_dir: Path) -> Context:
    first = submission(app, text="Der erste Kommentar.", notify="1")
    comment, own = _post(client, first)
    doomed, doomed_own = _post(client, {**first, "text": "Der zweite, bald gelöscht."})
    logged_in = log_in(client)
    session = logged_in.cookies["sharekit_admin"]
    client.cookies.clear()
    client.cookies.set("sharekit_admin", session)
    page = client.get("/admin")
    client.cookies.clear()
    assert page.status_code == 200, page.text
    with closing(sqlite3.connect(data_dir / "sharekit.db")) as db:
        (subscription,) = db.execute("SELECT id FROM subscriptions").fetchone()
    return Context(
        app, client, comment, own, session, csrf_of(page.text), subscription, doomed, doomed_own
    )


def _post(client: TestClient, form: dict[str, str]) -> tuple[int, str]:
    """A comment posted through the form: its id and the author cookie set for it."""
    posted = client.post("/comments", data=form, headers=EN)
    assert posted.status_code == 303, posted.text
    client.cookies.clear()
    return int(posted.headers["location"].rpartition("-")[2]), posted.cookies["sharekit_own"]


def check_headers(label: str, response: httpx.Response) -> None:
    headers = response.headers
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers.get("content-security-policy", "").split(";")
        if directive.strip()
    }
    assert policy.get("default-src") == ["'self'"], (label, policy)
    assert policy.get("object-src") == ["'none'"], (label, policy)
    assert policy.get("base-uri") == ["'none'"], (label, policy)
    ancestors = set(policy.get("frame-ancestors", []))
    # Framing only by the service itself and the sites' own pages (or by no one).
    assert ancestors in ({"'none'"}, {"'self'", *ORIGINS}), (label, policy)
    assert headers.get("x-content-type-options") == "nosniff", label
    assert headers.get("referrer-policy") in {"same-origin", "no-referrer"}, label
    assert "interest-cohort=()" in headers.get("permissions-policy", ""), label
    assert headers.get("cross-origin-opener-policy", "").startswith("same-origin"), label


def check_cookies(label: str, response: httpx.Response, https: bool) -> list[str]:
    names = []
    for cookie in response.headers.get_list("set-cookie"):
        name, _, rest = cookie.partition("=")
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in rest.split(";")}
        assert "httponly" in attributes, (label, cookie)
        assert attributes.get("samesite", "").lower() in {"samesite=lax", "samesite=strict"}, (
            label,
            cookie,
        )
        assert ("secure" in attributes) == https, (label, cookie)
        names.append(name.strip())
    return names


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def calls(tmp_path: Path, scheme: str) -> Iterator[Context]:
    app = _app(tmp_path)
    options: dict[str, Any] = {"raise_server_exceptions": False, "follow_redirects": False}
    with TestClient(app, base_url=f"{scheme}://testserver", client=PEER, **options) as client:
        yield _context(app, client, tmp_path)


def test_every_response_carries_security_headers_and_safe_cookies(
    calls: Context, scheme: str
) -> None:
    context = calls
    client = context.client
    outcomes: dict[tuple[str, str], set[int]] = {}
    cookies: set[str] = set()
    for key, calls in CALLS.items():
        for call in calls:
            label = f"{key[1]} {key[0]} ({call.label})"
            url, options = call.url(context), call.options(context)
            client.cookies.clear()
            for name, value in options.pop("cookies", {}).items():
                client.cookies.set(name, value)
            response = client.request(call.method, url, **options)
            assert response.status_code < 500, (label, response.status_code, response.text)
            outcomes.setdefault(key, set()).add(response.status_code)
            check_headers(label, response)
            cookies.update(check_cookies(label, response, scheme == "https"))
            if key[0] == "/comments/{comment}/edit" and "sharekit_own" in response.cookies:
                # An edit changes the text hash the author cookie vouches for.
                context.own = response.cookies["sharekit_own"]
            if call.method == "GET":
                head = client.request("HEAD", url, **options)
                check_headers(f"HEAD {label}", head)
                cookies.update(check_cookies(f"HEAD {label}", head, scheme == "https"))
    for call in ELSEWHERE:
        response = client.request(call.method, call.url(context), **call.options(context))
        assert response.status_code in (404, 405), (call.label, response.status_code)
        check_headers(call.label, response)
    # Each route answered on its success path (2xx or 3xx) at least once.
    missed = {k: codes for k, codes in outcomes.items() if not any(c < 400 for c in codes)}
    assert not missed, sorted(missed.items())
    # The cookies the service sets were among the answers checked (not a vacuous pass).
    assert {"sharekit_own", "sharekit_admin"} <= cookies, cookies
