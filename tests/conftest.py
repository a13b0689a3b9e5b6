"""Shared fixtures: settings, a real app per test, a client for it, and an SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from tests.mail_support import Inbox

SECRET = "test-secret-key-0123456789abcdef"
ORIGIN = "https://blog.example"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        secret_key=SECRET,
        data_dir=tmp_path,
        sites=[
            Site(key="blog", origins=[ORIGIN], language="de", name="Blog"),
            Site(key="other", origins=["http://other.example:8080"]),
        ],
    )


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """An SMTP server on loopback that is running."""
    server = Inbox()
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Playwright's sync API keeps an event loop running in this thread from the first
    # browser test to the end of the session; tests that run their own loop (asyncio.run,
    # anyio) must come before it. A stable sort keeps the order within each group.
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
