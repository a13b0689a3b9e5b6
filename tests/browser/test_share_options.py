"""Opt-in behaviour (skip arming in this tab, share counts) and the demo's playground."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from sharekit import Settings, Site, create_app

from .conftest import LiveServer, bound_socket, url_of

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Counted post</title>
<link rel="stylesheet" href="/sharekit/static/sharekit.css">
<script src="/sharekit/static/sharekit.js" defer></script></head>
<body><main><h1>Counted post</h1>
<div data-sharekit-share data-networks="bluesky,x" data-counts="true" data-url="{own}/post"></div>
</main></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sock = bound_socket()
    own = url_of(sock)
    settings = Settings(
        secret_key="options-secret-0123456789abcdef",
        data_dir=tmp_path_factory.mktemp("options"),
        sites=[Site(key="blog", origins=[own])],
        share_remember_consent=True,
        share_counts=True,
    )

    def make(_url: str) -> Starlette:
        async def post(request: Request) -> HTMLResponse:
            return HTMLResponse(PAGE.format(own=own))

        service = create_app(settings)
        return Starlette(
            lifespan=service.router.lifespan_context,
            routes=[Route("/post", post), Mount("/sharekit", app=service)],
        )

    with LiveServer(make, sock) as server:
        yield server.url


def test_dont_ask_again_in_this_tab(page: Page, site: str) -> None:
    page.context.route(re.compile(r"^https://"), lambda route: route.fulfill(body="stub"))
    page.goto(f"{site}/post")
    button = page.locator(".sk-b-bluesky")
    button.click()
    remember = page.get_by_label("Don't ask again in this tab")
    expect(remember).to_be_visible()
    remember.check()
    with page.expect_popup():
        button.click()
    with page.expect_popup():  # armed no more: one click shares
        button.click()
    other = page.locator(".sk-b-x")
    other.click()  # only for the network it was ticked for
    expect(page.locator(".sk-share__status")).to_contain_text("X")
    page.keyboard.press("Escape")
    fresh = page.context.new_page()  # a new tab asks again
    fresh.goto(f"{site}/post")
    fresh.locator(".sk-b-bluesky").click()
    expect(fresh.locator(".sk-share__status")).to_contain_text("Bluesky")


def test_counts_are_recorded_and_shown(browser: Browser, site: str) -> None:
    context = browser.new_context()
    try:
        context.route(re.compile(r"^https://"), lambda route: route.fulfill(body="stub"))
        page = context.new_page()
        page.goto(f"{site}/post")
        button = page.locator(".sk-b-x")
        button.click()
        with page.expect_request(lambda r: r.url.endswith("/api/share")), page.expect_popup():
            button.click()
        page.reload()
        count = page.locator(".sk-b-x [data-sk-count]")
        expect(count).to_have_text("1")
        assert context.cookies() == []
    finally:
        context.close()


def test_forced_colors_keeps_buttons_visible(page: Page, site: str) -> None:
    page.emulate_media(forced_colors="active")
    page.goto(f"{site}/post")
    button = page.locator(".sk-b-bluesky")
    expect(button).to_be_visible()
    style = button.evaluate(
        "b => { const s = getComputedStyle(b); return [s.borderTopStyle, s.borderTopWidth]; }"
    )
    assert style[0] == "solid"
    assert style[1] != "0px"


def test_playground_live_with_javascript(page: Page) -> None:
    page.goto("/en/playground")
    preview = page.locator("[data-playground-preview] .sk-share")
    expect(preview).to_have_class(re.compile(r"sk-share--color"))
    page.get_by_label("Theme").select_option("dark")
    expect(page.locator("[data-playground-preview] .sk-share")).to_have_class(
        re.compile(r"sk-share--dark")
    )
    expect(page.locator("#pg-jinja-code")).to_contain_text('theme="dark"')
    expect(page.locator("#pg-html-code")).to_contain_text('data-theme="dark"')
    assert "theme=dark" in page.url
    page.get_by_label("Order (keys, separated by commas; empty: as ticked)").fill("copy,bluesky")
    expect(page.locator("[data-playground-preview] .sk-share__button").first).to_have_attribute(
        "data-sk-network", "copy"
    )


def test_playground_without_javascript(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_demo)
    try:
        page = context.new_page()
        page.goto("/de/playground")
        page.get_by_label("Darstellung").select_option("label")
        page.get_by_label("Sprache der Leiste").select_option("fr")
        page.get_by_role("button", name="Anwenden").click()
        preview = page.locator("[data-playground-preview] .sk-share")
        expect(preview).to_have_class(re.compile(r"sk-share--label"))
        expect(preview.locator(".sk-b-bluesky")).to_contain_text("Bluesky")
        expect(preview).to_have_attribute("lang", "fr")
        page.get_by_label(
            "Reihenfolge (Schlüssel, durch Kommas getrennt; leer: wie angekreuzt)"
        ).fill("bluesky,myspace")
        page.get_by_role("button", name="Anwenden").click()
        expect(page.locator("#pg-order-error")).to_contain_text("myspace")
        expect(page.locator("#pg-order")).to_have_value("bluesky,myspace")
    finally:
        context.close()
