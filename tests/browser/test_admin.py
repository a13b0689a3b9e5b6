"""The admin in headless Chromium: moderating without JavaScript, keyboard use, axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette

from sharekit import Settings, Site, create_app
from tests.admin_support import PASSWORD, password_hash

from .conftest import LiveServer, Recorder, bound_socket, describe, run_axe, url_of


class Service:
    """The service served alone (the admin at /admin), and a way to post comments to it."""

    def __init__(self, url: str, app: Starlette) -> None:
        self.url = url
        self.app = app

    def post(self, text: str, name: str, email: str, thread: str = "tour") -> int:
        guard = self.app.state.sharekit.comments.guard
        data = {
            "site": "blog",
            "thread": thread,
            "url": f"{self.url}/posts/{thread}",
            "title": "Drei Tage am Albtrauf",
            "token": guard.issue("blog", thread),
            "name": name,
            "email": email,
            "text": text,
        }
        answer = httpx.post(f"{self.url}/comments", json=data, headers={"origin": self.url})
        assert answer.status_code == 202, answer.text
        return int(answer.json()["comment"]["id"])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    sock = bound_socket()
    own = url_of(sock)
    made: dict[str, Any] = {}

    def make(_url: str) -> Starlette:
        settings = Settings(
            secret_key="admin-browser-secret-0123456789",
            data_dir=tmp_path_factory.mktemp("admin"),
            sites=[Site(key="blog", origins=[own], language="de", name="Wanderblog")],
            admin_password_hash=password_hash(),
            comments_moderation="all",
            comments_min_seconds=0,
            comments_rate_per_15s=1000,
            comments_rate_per_hour=1000,
        )
        made["app"] = create_app(settings)
        return made["app"]  # type: ignore[no-any-return]

    with LiveServer(make, sock) as server:
        yield Service(server.url, made["app"])


def _log_in(page: Page, service: Service) -> None:
    page.goto(f"{service.url}/admin")
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin$"))


def test_approve_a_comment_without_javascript(browser: Browser, service: Service) -> None:
    wanted = service.post("Wie steil ist der Abstieg?", "Jana", "jana@example.org")
    other = service.post("Kauft Uhren hier!", "Spam Bot", "bot@example.org")
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        _log_in(page, service)
        cookie = next(c for c in context.cookies() if c["name"] == "sharekit_admin")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/admin"
        item = page.locator(f"#sk-admin-c{wanted}")
        expect(item).to_contain_text("jana@example.org")
        expect(item).to_contain_text("Wie steil ist der Abstieg?")
        page.get_by_label(f"Select comment {wanted} by Jana").check()
        page.get_by_role("group", name="Selected comments").get_by_role(
            "button", name="Approve"
        ).click()
        expect(page.get_by_role("status")).to_have_text("1 comment approved.")
        expect(page.locator(f"#sk-admin-c{wanted}")).to_have_count(0)
        expect(page.locator(f"#sk-admin-c{other}")).to_be_visible()
        # The row's own button, used with the keyboard.
        spam = page.locator(f"#sk-admin-c{other}").get_by_role("button", name="Spam")
        spam.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("1 comment marked as spam.")
        page.get_by_role("link", name=re.compile("^Approved")).click()
        expect(page.locator(f"#sk-admin-c{wanted}")).to_contain_text("Approved")
        listing = httpx.get(
            f"{service.url}/threads/tour/comments", params={"site": "blog", "format": "json"}
        )
        assert [c["id"] for c in listing.json()["comments"]] == [wanted]
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/admin/login$"))
        assert not [c for c in context.cookies() if c["name"] == "sharekit_admin"]
    finally:
        context.close()


def test_edit_without_javascript_keeps_the_text_on_error(
    browser: Browser, service: Service
) -> None:
    comment = service.post("Tippfeler im Text.", "Ömer", "oemer@example.org", thread="edit")
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        _log_in(page, service)
        page.goto(f"{service.url}/admin?thread=edit")
        page.locator(f"#sk-admin-c{comment}").get_by_role("link", name="Edit").click()
        name = page.get_by_label("Name")
        expect(name).to_have_value("Ömer")
        page.get_by_label("Comment").fill("Tippfehler im Text.")
        name.fill(" ")  # passes the browser's own check of a required field; not the server's
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("alert")).to_have_text("Some fields need your attention.")
        expect(page.get_by_label("Comment")).to_have_value("Tippfehler im Text.")
        expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Name").fill("Ömer K.")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("status")).to_have_text("The comment was saved.")
        expect(page.locator(f"#sk-admin-c{comment}")).to_contain_text("Tippfehler im Text.")
        expect(page.locator(f"#sk-admin-c{comment}")).to_contain_text("Ömer K.")
    finally:
        context.close()


def test_axe_login_list_and_edit_pages(page: Page, service: Service, recorder: Recorder) -> None:
    comment = service.post("Ein Kommentar für axe.", "Axel", "axel@example.org", thread="axe")
    page.goto(f"{service.url}/admin/login")
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(f"#sk-admin-c{comment}")).to_be_visible()
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.goto(f"{service.url}/admin/comments/{comment}/edit")
    violations = run_axe(page)
    assert violations == [], describe(violations)
    assert recorder.csp_violations() == []
    assert recorder.errors == []
    assert recorder.hosts() == {service.url.removeprefix("http://")}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_mail_links_pages_are_accessible_and_work_by_keyboard(
    page: Page, service: Service, recorder: Recorder, lang: str
) -> None:
    # The pages an owner reaches from a notification mail: the question, the answer after
    # the POST, and the page for a link used before. Keyboard only, no JavaScript needed.
    comment = service.post(f"Moderiert per Mail ({lang}).", "Mia", "mia@example.org")
    links = service.app.state.sharekit.comments.links
    approve = f"{service.url}/moderate/{links.moderate(comment, 'approve', 'pending')}"
    page.goto(f"{approve}?lang={lang}")
    question = {"de": "Diesen Kommentar veröffentlichen?", "en": "Publish this comment?"}
    expect(page.get_by_role("heading", level=1)).to_have_text(question[lang])
    assert describe(run_axe(page)) == ""
    button = page.get_by_role("button", name={"de": "Veröffentlichen", "en": "Publish"}[lang])
    for _ in range(20):  # Tab until the button has the focus, as a keyboard user would
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the button cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    done = {"de": "Der Kommentar wurde veröffentlicht.", "en": "The comment is published."}
    expect(page.get_by_role("heading", level=1)).to_have_text(done[lang])
    assert describe(run_axe(page)) == ""
    # The same link again: the comment was moderated since, so the link says so.
    page.goto(f"{approve}?lang={lang}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert describe(run_axe(page)) == ""
    assert recorder.csp_violations() == []
    assert recorder.errors == []
    assert recorder.hosts() == {service.url.removeprefix("http://")}
