"""Reply notifications as a commenter meets them, in headless Chromium: the box on the form
(with and without JavaScript), the confirmation page from the mail, the unsubscribe page.
The service's own background sender delivers to a real SMTP server on loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from jinja2 import DictLoader, Environment
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

import sharekit
from sharekit import Settings, Site, create_app
from sharekit.settings import Smtp
from tests.test_mail_replies import Mailbox, Received, free_port

from .conftest import LiveServer, Recorder, bound_socket, describe, run_axe, url_of

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A walk</title>{{ sharekit_head() }}</head>
<body><main><h1>A walk</h1><p>Text.</p>
{{ comments(thread=thread, url=url, title="A walk") }}</main></body></html>"""

BOX = "Notify me of replies to my comment by email"
POST = "Post comment"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def box(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    return smtp_server[0]


@pytest.fixture(scope="module")
def blog(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Mailbox, int]
) -> Iterator[str]:
    sock = bound_socket()
    own = url_of(sock)
    port = smtp_server[1]
    settings = Settings(
        secret_key="replies-browser-secret-0123456789",
        data_dir=tmp_path_factory.mktemp("replies"),
        sites=[Site(key="blog", origins=[own], language="en", name="Blog")],
        comments_min_seconds=0.5,
        comments_rate_per_15s=1000,
        comments_rate_per_hour=1000,
        smtp=Smtp(host="127.0.0.1", port=port, security="none", sender="blog@example.org"),
        mail_poll_seconds=0.2,
    )

    def make(_url: str) -> Any:
        env = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=True)
        tags = sharekit.install(env, settings)
        service = create_app(settings)

        async def page(request: Request) -> HTMLResponse:
            thread = request.path_params["thread"]
            html = env.get_template("page.html").render(
                request=request, thread=thread, url=f"{own}/posts/{thread}"
            )
            return HTMLResponse(html)

        @asynccontextmanager
        async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
            async with service.router.lifespan_context(service):
                yield
            tags.close()

        app = Starlette(
            lifespan=lifespan,
            routes=[Route("/posts/{thread}", page), Mount("/sharekit", app=service)],
        )
        return sharekit.SecurityHeadersMiddleware(app, frame_ancestors=[own])

    with LiveServer(make, sock) as server:
        yield server.url


def mails(box: Mailbox, address: str, count: int) -> list[Received]:
    """Wait until ``address`` has ``count`` mails (the background sender is quick)."""
    deadline = time.monotonic() + 15
    while len(found := box.to(address)) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} mails"
        time.sleep(0.05)
    time.sleep(0.3)  # and no more than that
    found = box.to(address)
    assert len(found) == count
    return found


def link(mail: Received, kind: str) -> str:
    found = re.findall(rf"(http://127\.0\.0\.1:\d+/sharekit/replies/{kind}/[\w.\-]+)", mail.text)
    assert len(set(found)) == 1
    return str(found[0])


def fill(page: Page, text: str, name: str, email: str) -> None:
    page.locator("#sk-c-text").fill(text)
    page.locator("#sk-c-name").fill(name)
    page.locator("#sk-c-email").fill(email)


def test_with_javascript_the_box_the_confirmation_and_unsubscribing(
    page: Page, blog: str, box: Mailbox, recorder: Recorder
) -> None:
    page.goto(f"{blog}/posts/js")
    fill(page, "Who walked this in winter?", "Ana", "ana@js.example")
    page.get_by_label(BOX).check()
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.wait_for_timeout(600)
    page.get_by_role("button", name=POST).click()
    expect(page.locator(".sk-comment__body").filter(has_text="in winter")).to_be_visible()
    (confirmation,) = mails(box, "ana@js.example", 1)

    page.goto(link(confirmation, "confirm"))
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.get_by_role("button", name="Yes, mail me about replies").click()
    expect(page.get_by_role("status")).to_contain_text("your subscription is confirmed")
    violations = run_axe(page)
    assert violations == [], describe(violations)

    page.goto(f"{blog}/posts/js")
    fill(page, "I did, in February.", "Bea", "bea@js.example")
    page.wait_for_timeout(600)
    page.get_by_role("button", name=POST).click()
    expect(page.locator(".sk-comment__body").filter(has_text="February")).to_be_visible()
    reply = mails(box, "ana@js.example", 2)[1]
    assert "Bea commented" in reply.text
    assert box.to("bea@js.example") == []  # she did not tick the box

    page.goto(link(reply, "unsubscribe"))
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text("no longer be mailed")
    assert recorder.csp_violations() == []
    assert recorder.errors == []


def test_without_javascript_the_box_stays_ticked_after_an_error(
    browser: Browser, blog: str, box: Mailbox
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{blog}/posts/nojs")
        fill(page, "Lovely pictures.", "Cem", "cem@nojs")
        page.get_by_label(BOX).check()
        page.wait_for_timeout(600)
        page.get_by_role("button", name=POST).click()
        expect(page.locator("#sk-c-email")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label(BOX)).to_be_checked()
        page.locator("#sk-c-email").fill("cem@nojs.example")
        page.wait_for_timeout(600)
        page.get_by_role("button", name=POST).click()
        page.wait_for_url(re.compile(r"/posts/nojs#comment-\d+$"))
        (confirmation,) = mails(box, "cem@nojs.example", 1)
        assert "/sharekit/replies/confirm/" in confirmation.text
    finally:
        context.close()
