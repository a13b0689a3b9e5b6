"""The erase link's pages in headless Chromium: axe-core clean before and after erasing,
no request beyond the service, no CSP violation, and the button works without script."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sharekit import Settings, Site, create_app
from sharekit.links import MailLinks
from sharekit.security import Tokens
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from tests.test_storage_comments import comment_values

from .conftest import LiveServer, Recorder, bound_socket, describe, run_axe, url_of

SECRET = "privacy-browser-secret-0123456789"
ADA = "ada@mail.example"


def _store_a_comment(settings: Settings) -> None:
    async def work() -> None:
        database = Database(settings.database_url)
        try:
            await CommentStore(database).add(**comment_values("Hello from Ada", author="Ada"))
        finally:
            await database.close()

    # Playwright's sync API keeps an event loop running in this thread: use another one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work()).result()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    sock = bound_socket()
    settings = Settings(
        secret_key=SECRET,
        data_dir=tmp_path,
        sites=[Site(key="blog", origins=[url_of(sock)], language="en", name="Blog")],
    )
    _store_a_comment(settings)
    with LiveServer(lambda _url: create_app(settings), sock) as server:
        yield server.url


def test_the_erase_pages_are_accessible_and_work(
    page: Page, recorder: Recorder, service: str
) -> None:
    token = MailLinks(Tokens(SECRET), 7).erase("blog", ADA)
    page.goto(f"{service}/privacy/erase/{token}?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase your data?")
    expect(page.get_by_text("a…@mail.example", exact=False)).to_be_visible()
    assert describe(run_axe(page)) == ""

    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data has been erased")
    expect(page.get_by_role("status")).to_contain_text("now show no name")
    assert describe(run_axe(page)) == ""

    page.goto(f"{service}/privacy/erase/{token}?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing to erase")
    assert describe(run_axe(page)) == ""

    assert recorder.hosts() == {service.removeprefix("http://")}
    assert recorder.csp_violations() == []
    assert recorder.errors == []
