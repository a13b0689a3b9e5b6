"""Who gets into the admin: login, rate limit, session cookie, expiry, logout, CSRF."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.admin.passwords import PasswordHash
from sharekit.security import client_key
from tests.admin_support import (
    PASSWORD,
    PEER,
    admin_settings,
    csrf,
    csrf_of,
    log_in,
    open_client,
    password_hash,
    post_comment,
    statuses,
)
from tests.comments_support import SECRET, make_settings
from tests.postgres_support import database

# Every admin route with a request that would do something if it were allowed.
ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/admin", {}),
    ("GET", "/admin/login", {}),
    ("POST", "/admin/login", {"data": {"password": PASSWORD}}),
    ("POST", "/admin/logout", {"data": {"csrf": "x"}}),
    ("POST", "/admin/comments", {"data": {"csrf": "x", "action": "approve", "ids": "1"}}),
    ("GET", "/admin/comments/1/edit", {}),
    ("POST", "/admin/comments/1/edit", {"data": {"csrf": "x", "author": "A", "text": "Hi!"}}),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return admin_settings(tmp_path)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with open_client(app) as test_client:
        yield test_client


def _served(app: Starlette) -> set[tuple[str, str]]:
    return {
        (method, route.path.replace("{comment}", "1"))
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/admin")
        for method in (route.methods or set()) - {"HEAD"}
    }


def test_the_route_list_here_is_every_admin_route(app: Starlette) -> None:
    assert {(method, path) for method, path, _ in ROUTES} == _served(app)


# The admin off -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "options"), ROUTES)
def test_without_a_password_hash_every_route_is_404(
    tmp_path: Path, method: str, path: str, options: dict[str, Any]
) -> None:
    app = create_app(make_settings(tmp_path))
    with open_client(app) as client:
        response = client.request(method, path, headers={"accept-language": "en"}, **options)
    assert response.status_code == 404
    assert "The admin is off" in response.text
    assert "admin_password_hash" in response.text
    assert "sharekit hash-password" in response.text


# Refused without login ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "options"), ROUTES)
def test_every_route_refuses_without_login(
    app: Starlette, client: TestClient, method: str, path: str, options: dict[str, Any]
) -> None:
    comment = post_comment(client, app, "Held until someone approves it.")
    assert comment == 1
    response = client.request(method, path, **options)
    if (method, path) == ("POST", "/admin/login"):
        assert response.status_code == 303  # the right password: this is the way in
    elif path == "/admin/login":
        assert response.status_code == 200
        assert 'type="password"' in response.text
    elif method == "GET":
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login"
    else:
        assert response.status_code == 403
        assert "log in" in response.text
    assert statuses(client, [comment]) == {comment: "pending"}
    assert "ada@example.org" not in response.text


def test_a_tampered_cookie_is_no_session(client: TestClient) -> None:
    log_in(client)
    value = client.cookies["sharekit_admin"]
    client.cookies.clear()
    for forged in (value[:-2] + "xx", value.replace(".", "A", 1), "garbage", ""):
        client.cookies.set("sharekit_admin", forged, path="/admin")
        response = client.get("/admin")
        assert response.status_code == 303, forged
        client.cookies.clear()


def test_a_list_link_survives_the_login(client: TestClient) -> None:
    response = client.get("/admin", params={"status": "spam", "q": "Wetter", "x": "evil"})
    assert response.status_code == 303
    login = client.get(response.headers["location"])
    assert 'name="next" value="status=spam&amp;q=Wetter"' in login.text
    done = client.post("/admin/login", data={"password": PASSWORD, "next": "status=spam&q=Wetter"})
    assert done.headers["location"] == "/admin?status=spam&q=Wetter"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/elsewhere"])
def test_login_never_redirects_off_the_admin(client: TestClient, target: str) -> None:
    done = client.post("/admin/login", data={"password": PASSWORD, "next": target})
    assert done.status_code == 303
    assert done.headers["location"] == "/admin"


# Login -------------------------------------------------------------------------------------


def test_login_page_and_wrong_password(client: TestClient) -> None:
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert '<label for="sk-admin-password">' in page.text
    assert 'autocomplete="current-password"' in page.text
    messages = set()
    for wrong in ("", "hunter2", PASSWORD.upper()):
        response = client.post("/admin/login", data={"password": wrong})
        assert response.status_code == 403
        assert "set-cookie" not in response.headers
        assert 'aria-invalid="true"' in response.text
        messages.add(re.search(r'role="alert">([^<]+)<', response.text).group(1))  # type: ignore[union-attr]
    assert messages == {"This password is not right."}  # the same for every wrong password
    assert client.get("/admin").status_code == 303


def test_logged_in_the_login_page_leads_to_the_list(client: TestClient) -> None:
    log_in(client)
    response = client.get("/admin/login")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


def test_the_password_check_runs_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[bool] = []
    original = PasswordHash.verify

    def watched(self: PasswordHash, password: str) -> bool:
        try:
            asyncio.get_running_loop()
            threads.append(False)
        except RuntimeError:
            threads.append(True)  # no loop in this thread: a worker thread
        return original(self, password)

    monkeypatch.setattr(PasswordHash, "verify", watched)
    log_in(client)
    assert threads == [True]


# Rate limit --------------------------------------------------------------------------------


def test_login_rate_limit_refuses_even_the_right_password(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_login_attempts=3))
    with open_client(app) as client, open_client(app, client=("198.51.100.7", 1)) as elsewhere:
        for _ in range(3):
            assert client.post("/admin/login", data={"password": "nope"}).status_code == 403
        limited = client.post("/admin/login", data={"password": PASSWORD})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "900"
        assert limited.headers["cache-control"] == "no-store"
        assert "set-cookie" not in limited.headers
        assert client.get("/admin").status_code == 303
        # Same /24 network: limited too; another network is not.
        neighbour = {"client": ("203.0.113.77", 2)}
        with open_client(app, **neighbour) as next_door:
            assert next_door.post("/admin/login", data={"password": PASSWORD}).status_code == 429
        assert log_in(elsewhere).status_code == 303


def test_only_failures_of_the_last_15_minutes_count(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_login_attempts=2))
    key = client_key(SECRET, ip_address(PEER[0]))
    store = app.state.sharekit.comments.store
    now = datetime.now(UTC)
    with open_client(app) as client:
        assert client.portal is not None
        for minutes in (16, 20, 60):
            client.portal.call(store.hit, "admin-login", key, now - timedelta(minutes=minutes))
        assert log_in(client).status_code == 303  # three old failures: not limited
        client.portal.call(store.hit, "admin-login", key, now - timedelta(minutes=14))
        client.portal.call(store.hit, "admin-login", key, now - timedelta(minutes=1))
        assert client.post("/admin/login", data={"password": PASSWORD}).status_code == 429


def test_a_right_password_does_not_count_as_a_failure(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_login_attempts=2))
    with open_client(app) as client:
        for _ in range(4):
            assert log_in(client).status_code == 303
        assert client.post("/admin/login", data={"password": "nope"}).status_code == 403
        assert log_in(client).status_code == 303


def test_parallel_guesses_cannot_pass_the_limit(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_login_attempts=2))
    with open_client(app) as client:
        assert client.portal is not None
        send = client.portal.call  # many requests at once, on the app's own event loop

        async def burst() -> list[int]:
            import httpx2 as httpx

            transport = httpx.ASGITransport(app=app, client=PEER)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                answers = await asyncio.gather(
                    *(c.post("/admin/login", data={"password": f"guess {n}"}) for n in range(8))
                )
            return [answer.status_code for answer in answers]

        codes = send(burst)
    assert sorted(codes) == [403, 403, 429, 429, 429, 429, 429, 429]


@contextmanager
def _database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield ""
        return

    with database("sk_admin") as url:
        yield url


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_limit_and_logout_hold_across_processes(tmp_path: Path, backend: str) -> None:
    """Two apps on one database, as two worker processes would be."""
    with _database(backend, tmp_path) as url:
        settings = admin_settings(
            tmp_path, database_url=url, admin_login_attempts=2, auto_migrate=True
        )
        one, two = create_app(settings), create_app(settings)
        with open_client(one) as first, open_client(two) as second:
            log_in(first)
            cookie = first.cookies["sharekit_admin"]
            second.cookies.set("sharekit_admin", cookie, path="/admin")
            assert second.get("/admin").status_code == 200  # a session works in every worker
            token = csrf(first)
            assert first.post("/admin/logout", data={"csrf": token}).status_code == 303
            assert second.get("/admin").status_code == 303  # and a logout ends it in every one
            assert first.post("/admin/login", data={"password": "nope"}).status_code == 403
            assert second.post("/admin/login", data={"password": "nope"}).status_code == 403
            assert first.post("/admin/login", data={"password": PASSWORD}).status_code == 429
            assert second.post("/admin/login", data={"password": PASSWORD}).status_code == 429


# The session cookie ------------------------------------------------------------------------


def _cookie_parts(header: str) -> dict[str, str]:
    parts = [part.strip() for part in header.split(";")]
    return {name.lower(): value for name, _, value in (part.partition("=") for part in parts[1:])}


def test_session_cookie_flags_over_http(client: TestClient, settings: Settings) -> None:
    response = log_in(client)
    header = response.headers["set-cookie"]
    assert header.startswith("sharekit_admin=")
    parts = _cookie_parts(header)
    assert "httponly" in parts
    assert parts["samesite"].lower() == "strict"
    assert parts["path"] == "/admin"
    assert parts["max-age"] == str(settings.admin_session_max_age)
    assert "secure" not in parts
    assert response.headers["location"] == "/admin"


def test_session_cookie_is_secure_over_https(app: Starlette) -> None:
    with open_client(app, base_url="https://testserver") as client:
        response = log_in(client)
        assert "secure" in _cookie_parts(response.headers["set-cookie"])
        assert client.get("/admin").status_code == 200
        logout = client.post("/admin/logout", data={"csrf": csrf(client)})
    expired = _cookie_parts(logout.headers["set-cookie"])
    assert {"secure", "httponly"} <= set(expired)
    assert expired["max-age"] == "0"


def test_mounted_the_cookie_path_is_the_admins(app: Starlette) -> None:
    outer = Starlette(routes=[Mount("/sharekit", app=app)], lifespan=app.router.lifespan_context)
    with open_client(outer) as client:
        assert client.get("/sharekit/admin").headers["location"] == "/sharekit/admin/login"
        response = log_in(client, prefix="/sharekit")
        assert _cookie_parts(response.headers["set-cookie"])["path"] == "/sharekit/admin"
        assert response.headers["location"] == "/sharekit/admin"
        page = client.get("/sharekit/admin")
        assert page.status_code == 200
        assert 'action="/sharekit/admin/comments"' in page.text or "No comments here." in page.text
        assert 'action="/sharekit/admin/logout"' in page.text


class _PastSerializer(URLSafeTimedSerializer):
    """Signs as if it were ``age`` seconds ago."""

    age = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outer = self

        class Signer(self.signer):  # type: ignore[name-defined,misc]
            def get_timestamp(self) -> int:
                return int(time.time()) - outer.age

        self.signer = Signer


def _session_cookie(age: int, key: str | None = None, session_id: str = "a" * 32) -> str:
    serializer = _PastSerializer(SECRET, salt="sharekit.admin-session")
    serializer.age = age
    fingerprint = key or PasswordHash.parse(password_hash()).fingerprint()
    return str(serializer.dumps({"id": session_id, "key": fingerprint}))


def test_session_expires_after_its_max_age(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_session_max_age=600))
    with open_client(app) as client:
        client.cookies.set("sharekit_admin", _session_cookie(age=590), path="/admin")
        fresh = client.get("/admin")
        assert fresh.status_code == 200  # a crafted cookie made like the app's own works
        token = csrf_of(fresh.text)
        client.cookies.set("sharekit_admin", _session_cookie(age=610), path="/admin")
        assert client.get("/admin").status_code == 303
        refused = client.post("/admin/comments", data={"csrf": token, "action": "approve"})
        assert refused.status_code == 403


def test_a_new_password_ends_every_session(tmp_path: Path) -> None:
    first = create_app(admin_settings(tmp_path))
    with open_client(first) as client:
        log_in(client)
        cookie = client.cookies["sharekit_admin"]
    changed = admin_settings(
        tmp_path, admin_password_hash=password_hash("Ein ganz neues Passwort")
    )
    with open_client(create_app(changed)) as client:
        client.cookies.set("sharekit_admin", cookie, path="/admin")
        assert client.get("/admin").status_code == 303
        client.cookies.set("sharekit_admin", _session_cookie(0, key="forged"), path="/admin")
        assert client.get("/admin").status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(client: TestClient) -> None:
    log_in(client)
    copied = client.cookies["sharekit_admin"]
    token = csrf(client)
    response = client.post("/admin/logout", data={"csrf": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    assert _cookie_parts(response.headers["set-cookie"])["max-age"] == "0"
    client.cookies.clear()
    assert client.get("/admin").status_code == 303
    client.cookies.set("sharekit_admin", copied, path="/admin")
    assert client.get("/admin").status_code == 303
    assert (
        client.post("/admin/comments", data={"csrf": token, "action": "approve"}).status_code
        == 403
    )
    assert log_in(client).status_code == 303  # logging in again works
    assert client.get("/admin").status_code == 200


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    log_in(client)
    assert client.post("/admin/logout", data={"other": "1"}).status_code == 403
    assert client.post("/admin/logout", data={"csrf": "x"}).status_code == 403
    assert client.get("/admin").status_code == 200  # still logged in


# CSRF --------------------------------------------------------------------------------------


def test_state_changes_need_the_sessions_csrf_token(
    app: Starlette, client: TestClient, tmp_path: Path
) -> None:
    comment = post_comment(client, app, "Please approve me.")
    log_in(client)
    token = csrf(client)
    with open_client(app) as other:
        log_in(other)
        foreign = csrf(other)  # valid, but for another session
    assert foreign != token
    bad_tokens: list[dict[str, str]] = [
        {},
        {"csrf": ""},
        {"csrf": "nonsense"},
        {"csrf": token[:-3] + "abc"},
        {"csrf": foreign},
    ]
    for extra in bad_tokens:
        for path, fields in (
            ("/admin/comments", {"action": f"approve:{comment}"}),
            (f"/admin/comments/{comment}/edit", {"author": "Eve", "text": "Changed by Eve"}),
        ):
            response = client.post(path, data={**fields, **extra})
            assert response.status_code == 403, (path, extra)
            assert "did not come from the admin" in response.text
            assert response.headers["cache-control"] == "no-store"
    assert statuses(client, [comment]) == {comment: "pending"}
    edit = client.get(f"/admin/comments/{comment}/edit")
    assert "Please approve me." in edit.text
    done = client.post("/admin/comments", data={"csrf": token, "action": f"approve:{comment}"})
    assert done.status_code == 303
    assert statuses(client, [comment]) == {comment: "approved"}


def test_a_csrf_token_without_the_cookie_is_refused(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "Please approve me.")
    log_in(client)
    token = csrf(client)
    client.cookies.clear()
    response = client.post("/admin/comments", data={"csrf": token, "action": f"approve:{comment}"})
    assert response.status_code == 403
    assert statuses(client, [comment]) == {comment: "pending"}


# Headers -----------------------------------------------------------------------------------


def test_admin_pages_are_private(app: Starlette, client: TestClient) -> None:
    comment = post_comment(client, app, "A comment to edit.")
    answers = [client.get("/admin"), client.get("/admin/login"), log_in(client)]
    answers += [client.get("/admin"), client.get(f"/admin/comments/{comment}/edit")]
    for response in answers:
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["x-frame-options"] == "DENY"
    for response in answers[1:2] + answers[3:]:
        assert '<meta name="robots" content="noindex, nofollow">' in response.text
        assert "<script" not in response.text
        assert " style=" not in response.text
        assert not re.search(r"\son[a-z]+=", response.text)
