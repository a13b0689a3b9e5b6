"""Share buttons as a visitor uses them, in headless Chromium on the demo under its CSP."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from sharekit.share.fediverse import fediverse_share_url
from sharekit.share.networks import NETWORKS
from sharekit.share.networks import Page as SharedPage

from .conftest import Recorder, describe, run_axe

TITLE_DE = "Drei Tage am Albtrauf: Route, Kosten und was wir gelernt haben"
NOTICE_DE = (
    "Teilen sendet die Adresse und den Titel dieser Seite an Bluesky. Zum Teilen erneut klicken."
)


def _stub_networks(context: BrowserContext) -> None:
    """Answer every request to another host with a tiny page, so popups have a URL to show
    and nothing leaves the machine. Only requests after the second click get here."""

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<title>stub</title>")

    context.route(re.compile(r"^https://"), fulfil)


@pytest.fixture
def article(page: Page, context: BrowserContext, recorder: Recorder) -> Page:
    _stub_networks(context)
    page.goto("/de/")
    return page


def _expected(live_demo: str, key: str, lang: str = "de") -> str:
    build = NETWORKS[key].build
    assert build is not None
    return build(SharedPage(url=f"{live_demo}/{lang}/", title=TITLE_DE))


def _top(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f".sk-share .sk-b-{key}").first


def test_page_view_only_talks_to_its_own_host(
    article: Page, recorder: Recorder, live_demo: str
) -> None:
    article.wait_for_load_state("networkidle")
    _top(article, "bluesky").click()  # arming sends nothing
    article.wait_for_timeout(200)
    assert recorder.hosts() == {urlsplit(live_demo).netloc}
    assert article.context.cookies() == []
    assert recorder.csp_violations() == []
    assert recorder.errors == []


def test_first_click_arms_second_click_shares(article: Page, live_demo: str) -> None:
    button = _top(article, "bluesky")
    button.click()
    status = article.locator(".sk-share__status").first
    expect(status).to_have_text(NOTICE_DE)
    expect(status).to_have_attribute("role", "status")
    assert button.get_attribute("aria-describedby") == status.get_attribute("id")
    with article.expect_popup() as popup_info:
        button.click()
    popup = popup_info.value
    assert popup.url == _expected(live_demo, "bluesky")
    assert popup.evaluate("window.opener") is None  # noopener
    expect(status).to_have_text("")


def test_keyboard_only(article: Page, live_demo: str) -> None:
    button = _top(article, "bluesky")
    button.focus()
    article.keyboard.press("Enter")
    expect(article.locator(".sk-share__status").first).to_have_text(NOTICE_DE)
    with article.expect_popup() as popup_info:
        article.keyboard.press(" ")
    assert popup_info.value.url == _expected(live_demo, "bluesky")


def test_space_arms_too(article: Page) -> None:
    _top(article, "linkedin").focus()
    article.keyboard.press(" ")
    expect(article.locator(".sk-share__status").first).to_contain_text("LinkedIn")


@pytest.mark.parametrize("how", ["escape", "click elsewhere", "blur"])
def test_disarm(article: Page, how: str) -> None:
    button = _top(article, "whatsapp")
    button.click()
    status = article.locator(".sk-share__status").first
    expect(status).to_contain_text("WhatsApp")
    if how == "escape":
        article.keyboard.press("Escape")
        expect(button).to_be_focused()
    elif how == "click elsewhere":
        article.locator("h1").click()
    else:
        article.locator(".site-title").focus()
    expect(status).to_have_text("")
    assert "sk-armed" not in (button.get_attribute("class") or "")


def test_fediverse_inline(article: Page, live_demo: str) -> None:
    _top(article, "mastodon").click()
    form = article.locator("[data-sk-fediverse]").first
    expect(form).to_be_visible()
    server = form.locator("[data-sk-server]")
    expect(server).to_be_focused()
    server.fill("https://Mastodon.Social/")
    with article.expect_popup() as popup_info:
        form.get_by_role("button", name="Teilen").click()
    page = SharedPage(url=f"{live_demo}/de/", title=TITLE_DE)
    assert popup_info.value.url == fediverse_share_url("mastodon.social", "mastodon", page)


def test_fediverse_rejects_bad_server_and_remembers_good_one(article: Page) -> None:
    _top(article, "mastodon").click()
    form = article.locator("[data-sk-fediverse]").first
    server = form.locator("[data-sk-server]")
    server.fill("127.0.0.1:8080")
    form.get_by_role("button", name="Teilen").click()
    expect(server).to_have_attribute("aria-invalid", "true")
    expect(article.locator(".sk-share__status").first).to_contain_text("mastodon.social")
    server.fill("fosstodon.org")
    form.locator("[data-sk-remember-server]").check()
    with article.expect_popup() as popup_info:
        form.get_by_role("button", name="Teilen").click()
    assert popup_info.value.url.startswith("https://fosstodon.org/share?text=")
    assert article.evaluate("localStorage.getItem('sharekit:server')") == "fosstodon.org"
    article.reload()
    _top(article, "mastodon").click()
    expect(article.locator("[data-sk-server]").first).to_have_value("fosstodon.org")


def test_copy_link(article: Page, context: BrowserContext, live_demo: str) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    _top(article, "copy").click()
    expect(article.locator(".sk-share__status").first).to_have_text("Link kopiert")
    assert article.evaluate("navigator.clipboard.readText()") == f"{live_demo}/de/"


def test_native_share_is_hidden_unless_supported(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(base_url=live_demo)
    try:
        plain = context.new_page()
        plain.goto("/de/")
        if plain.evaluate("'share' in navigator"):
            pytest.skip("this Chromium has navigator.share")
        expect(plain.locator("[data-sk-action=native]")).to_be_hidden()
        shared = context.new_page()
        shared.add_init_script(
            "navigator.share = (data) => { window.__shared = data; return Promise.resolve(); }"
        )
        shared.goto("/de/")
        native = shared.locator("[data-sk-action=native]").first
        expect(native).to_be_visible()
        native.click()
        assert shared.evaluate("window.__shared.url") == f"{live_demo}/de/"
    finally:
        context.close()


def test_no_javascript_consent_flow(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_demo)
    try:
        _stub_networks(context)
        page = context.new_page()
        page.goto("/de/")
        _top(page, "bluesky").click()
        assert urlsplit(page.url).path == "/sharekit/share/bluesky"
        expect(page.locator(".sk-page__message")).to_have_text(
            "Teilen sendet die Adresse und den Titel dieser Seite an Bluesky. "
            "Bisher wurde nichts gesendet."
        )
        with page.expect_response(lambda r: r.request.method == "POST") as response_info:
            page.get_by_role("button", name="Auf Bluesky teilen").click()
        response = response_info.value
        assert response.status == 303
        assert response.headers["location"] == _expected(live_demo, "bluesky")
        page.wait_for_url(_expected(live_demo, "bluesky"))
    finally:
        context.close()


def test_no_javascript_fediverse_flow(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_demo)
    try:
        _stub_networks(context)
        page = context.new_page()
        page.goto("/de/")
        _top(page, "mastodon").click()
        page.get_by_label("Ihr Server").fill("mastodon.social:443")
        page.get_by_role("button", name="Teilen").click()
        expect(page.get_by_label("Ihr Server")).to_have_value("mastodon.social:443")
        expect(page.get_by_label("Ihr Server")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Ihr Server").fill("mastodon.social")
        page.get_by_role("button", name="Teilen").click()
        shared = SharedPage(url=f"{live_demo}/de/", title=TITLE_DE)
        page.wait_for_url(fediverse_share_url("mastodon.social", "mastodon", shared))
    finally:
        context.close()


THEMES = ["color", "grey", "white", "dark", "high-contrast"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_axe_in_every_theme(page: Page, theme: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    networks = "".join(f"&n={key}" for key in NETWORKS)
    page.goto(f"/en/playground?theme={theme}&style=icon-label{networks}")
    page.locator("[data-playground-preview] .sk-b-bluesky").click()  # armed: notice showing
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.locator("[data-playground-preview] .sk-b-mastodon").click()  # the fediverse form
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_consent_pages_pass_axe(page: Page) -> None:
    # The consent pages have no script; axe itself needs one, so this context keeps JS on
    # and opens the pages the no-JS links point to.
    page.goto("/de/")
    for key in ("bluesky", "mastodon", "copy"):
        href = _top(page, key).get_attribute("href")
        assert href is not None
        page.goto(href)
        violations = run_axe(page)
        assert violations == [], f"{key}: {describe(violations)}"
        page.goto("/de/")
