"""What the admin test modules share: settings with a password, logging in, posting comments
to moderate, and reading the admin's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

import httpx2 as httpx
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings
from sharekit.admin.passwords import MIN_COST, hash_password
from tests.comments_support import URL, make_settings, post_json, token

PASSWORD = "Wanderweg am Albtrauf 2026!"
PEER = ("203.0.113.5", 50000)  # an address, so that the network's client key is a real one


@cache
def password_hash(password: str = PASSWORD) -> str:
    """The cheapest hash the admin accepts (hashing is slow on purpose)."""
    return str(hash_password(password, n=MIN_COST))


def admin_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Comment settings with the admin on and every comment held for moderation."""
    values: dict[str, Any] = {
        "admin_password_hash": password_hash(),
        "comments_moderation": "all",
    }
    return make_settings(data_dir, **{**values, **overrides})


@contextmanager
def open_client(app: Starlette, **options: Any) -> Iterator[TestClient]:
    settings: dict[str, Any] = {
        "raise_server_exceptions": False,
        "follow_redirects": False,
        "client": PEER,
        **options,
    }
    with TestClient(app, **settings) as client:
        yield client


def log_in(client: TestClient, password: str = PASSWORD, prefix: str = "") -> httpx.Response:
    response = client.post(f"{prefix}/admin/login", data={"password": password})
    assert response.status_code == 303, response.text
    return response


def csrf_of(page: str) -> str:
    """The CSRF token of a page's forms (the same in each)."""
    found = set(re.findall(r'name="csrf" value="([^"]+)"', page))
    assert len(found) == 1, found
    return unescape(found.pop())


def csrf(client: TestClient, prefix: str = "") -> str:
    page = client.get(f"{prefix}/admin")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def post_comment(
    client: TestClient,
    app: Starlette,
    text: str,
    *,
    email: str = "ada@example.org",
    name: str = "Ada",
    thread: str = "t1",
    site: str = "blog",
    url: str = URL,
) -> int:
    """A comment posted as a visitor would; its id."""
    data = {
        "site": site,
        "thread": thread,
        "url": url,
        "token": token(app, site, thread),
        "name": name,
        "email": email,
        "text": text,
    }
    origin = "https://blog.example" if site == "blog" else "http://other.example:8080"
    response = post_json(client, data, origin=origin)
    assert response.status_code in (201, 202), response.text
    return int(response.json()["comment"]["id"])


def listed_ids(page: str) -> list[int]:
    """The ids of the comments on a list page, in order."""
    return [int(found) for found in re.findall(r'name="ids" type="checkbox" value="(\d+)"', page)]


def statuses(client: TestClient, ids: list[int]) -> dict[int, str]:
    """The stored status of each comment, or ``gone`` (read through the app's own store)."""
    store = client.app.state.sharekit.moderation.store  # type: ignore[attr-defined]
    assert client.portal is not None
    found = {comment_id: client.portal.call(store.get, comment_id) for comment_id in ids}
    return {key: row.comment.status if row else "gone" for key, row in found.items()}
