"""Comments as a visitor uses them, in headless Chromium: with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from jinja2 import DictLoader, Environment
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

import sharekit
from sharekit import Settings, Site, create_app

from .conftest import LiveServer, Recorder, bound_socket, describe, run_axe, url_of

PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<title>Ein Beitrag</title>{{ sharekit_head() }}</head>
<body><main><h1>Ein Beitrag</h1><p>Text.</p>
{{ comments(thread=thread, url=url, title="Ein Beitrag") }}</main></body></html>"""

XSS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    '<svg onload="window.__xss = 3"></svg>',
    "[klick](javascript:window.__xss=4)",
    '<a href="javascript:window.__xss=5">a</a>',
    '"><script>window.__xss = 6</script>',
    '<iframe src="javascript:parent.__xss=7"></iframe>',
    "&lt;script&gt;window.__xss = 8&lt;/script&gt;",
    '<details open ontoggle="window.__xss=9">',
    "javascript:window.__xss=10",
]


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sock = bound_socket()
    own = url_of(sock)
    settings = Settings(
        secret_key="comments-browser-secret-0123456789",
        data_dir=tmp_path_factory.mktemp("comments"),
        sites=[Site(key="blog", origins=[own], language="de")],
        comments_min_seconds=0.5,
        comments_rate_per_15s=1000,
        comments_rate_per_hour=1000,
        comments_markdown=True,
    )

    def make(_url: str) -> Any:
        env = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=True)
        tags = sharekit.install(env, settings)
        service = create_app(settings)

        async def page(request: Request) -> HTMLResponse:
            thread = request.path_params["thread"]
            html = env.get_template("page.html").render(
                request=request, lang="de", thread=thread, url=f"{own}/posts/{thread}"
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


def _fill(page: Page, text: str, name: str = "Jana", email: str = "jana@example.org") -> None:
    page.locator("#sk-c-text").fill(text)
    page.locator("#sk-c-name").fill(name)
    page.locator("#sk-c-email").fill(email)


def test_no_javascript_error_keeps_text_then_lands_on_anchor(browser: Browser, blog: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{blog}/posts/nojs")
        _fill(page, "Schöne Tour! Wie war das Wetter?", email="jana@example")
        page.wait_for_timeout(600)
        page.get_by_role("button", name="Kommentar abschicken").click()
        expect(page.locator("#sk-c-text")).to_have_value("Schöne Tour! Wie war das Wetter?")
        expect(page.locator("#sk-c-email")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#sk-c-email-error")).to_be_visible()
        page.locator("#sk-c-email").fill("jana@example.org")
        page.wait_for_timeout(600)
        page.get_by_role("button", name="Kommentar abschicken").click()
        page.wait_for_url(re.compile(r"/posts/nojs#comment-\d+$"))
        anchor = page.url.rsplit("#", 1)[1]
        expect(page.locator(f"#{anchor}")).to_contain_text("Schöne Tour! Wie war das Wetter?")
        assert {cookie["name"] for cookie in context.cookies()} == {"sharekit_own"}
    finally:
        context.close()


def test_javascript_posts_inline_and_announces(page: Page, blog: str, recorder: Recorder) -> None:
    page.goto(f"{blog}/posts/js")
    _fill(page, "Danke für die Kostenaufstellung!")
    page.wait_for_timeout(600)
    url_before = page.url
    page.get_by_role("button", name="Kommentar abschicken").click()
    new = page.locator(".sk-comment__body").filter(has_text="Danke für die Kostenaufstellung!")
    expect(new).to_be_visible()
    expect(new).to_be_focused()
    expect(page.locator("[data-sk-live]")).not_to_have_text("")
    assert page.url == url_before
    expect(page.locator("#sk-c-text")).to_have_value("")
    assert recorder.csp_violations() == []
    assert recorder.errors == []


def test_javascript_errors_are_shown_and_focused(page: Page, blog: str) -> None:
    page.goto(f"{blog}/posts/jserr")
    _fill(page, "Ein Kommentar mit falscher Adresse", email="jana@example")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Kommentar abschicken").click()
    email = page.locator("#sk-c-email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.locator("[data-sk-summary]")).to_have_attribute("role", "alert")
    expect(page.locator("#sk-c-text")).to_have_value("Ein Kommentar mit falscher Adresse")


def test_reply_moves_the_form_and_nests(page: Page, blog: str) -> None:
    page.goto(f"{blog}/posts/reply")
    _fill(page, "Erster Kommentar")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Kommentar abschicken").click()
    first = page.locator(".sk-comment__body").filter(has_text="Erster Kommentar")
    expect(first).to_be_visible()
    first.get_by_role("link", name=re.compile("Jana")).click()
    form = page.locator("[data-sk-comment-form]")
    expect(form).to_be_focused() if False else expect(page.locator("#sk-c-text")).to_be_focused()
    page.locator("#sk-c-text").fill("Eine Antwort darauf")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Kommentar abschicken").click()
    reply = page.locator(".sk-comments__replies .sk-comment__body").filter(has_text="Eine Antwort")
    expect(reply).to_be_visible()
    page.reload()
    expect(
        page.locator(".sk-comments__replies .sk-comment__body").filter(has_text="Eine Antwort")
    ).to_be_visible()


def test_stored_xss_never_runs(page: Page, blog: str) -> None:
    page.add_init_script("window.__xss = 0")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{blog}/posts/xss")
    for number, payload in enumerate(XSS):
        page.locator("#sk-c-text").fill(payload)
        page.locator("#sk-c-name").fill(f'<b onmouseover="window.__xss=99">Eve {number}</b>')
        page.locator("#sk-c-email").fill(f"eve{number}@example.org")
        page.wait_for_timeout(550)
        page.get_by_role("button", name="Kommentar abschicken").click()
        expect(page.locator(".sk-comment__body").nth(number)).to_be_visible()
    page.reload()
    page.wait_for_load_state("networkidle")
    for link in page.locator(".sk-comment__text a").all():
        link.click(modifiers=["Control"], trial=True)
    page.locator(".sk-comment__author").first.hover()
    assert page.evaluate("window.__xss") == 0
    assert dialogs == []
    expect(page.locator(".sk-comments")).to_contain_text("<script>window.__xss = 1</script>")
    hrefs = page.eval_on_selector_all(".sk-comments a[href]", "els => els.map(a => a.href)")
    assert not [href for href in hrefs if href.lower().startswith("javascript")]


def test_axe_on_thread_and_error_page(page: Page, blog: str) -> None:
    page.goto(f"{blog}/posts/axe")
    _fill(page, "Ein Kommentar für axe")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Kommentar abschicken").click()
    expect(page.locator(".sk-comment__body")).to_have_count(1)
    violations = run_axe(page)
    assert violations == [], describe(violations)
    _fill(page, "x", email="kaputt@")
    page.locator("#sk-c-text").evaluate("t => t.removeAttribute('minlength')")
    page.locator("#sk-c-email").evaluate("e => e.setAttribute('type', 'text')")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Kommentar abschicken").click()
    expect(page.locator("[data-sk-summary]")).to_be_visible()
    violations = run_axe(page)
    assert violations == [], describe(violations)
