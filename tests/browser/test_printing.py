"""The print view and printed pages in Chromium: axe-clean, no JavaScript needed, the host
page's print stylesheet hides what does not belong on paper; the demo article as a PDF."""

from __future__ import annotations

import io
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from .conftest import Recorder, describe, run_axe


def print_path(live_demo: str, lang: str) -> str:
    return "/sharekit/print?" + urlencode({"url": f"{live_demo}/{lang}/", "lang": lang})


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_print_view_is_clean_and_accessible(
    page: Page, recorder: Recorder, live_demo: str, lang: str, scheme: str
) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    response = page.goto(print_path(live_demo, lang))
    assert response is not None
    assert response.ok, response.status
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1
    assert page.locator("[data-sk-print]").is_visible()  # the script revealed it
    assert not page.locator("[data-sk-print-hint]").is_visible()
    assert recorder.hosts() == {urlsplit(live_demo).netloc}, recorder.requests
    assert recorder.csp_violations() == []
    assert recorder.errors == []
    assert recorder.failed == []
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_print_view_works_without_javascript(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(base_url=live_demo, java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(print_path(live_demo, "de"))
        assert response is not None
        assert response.ok
        assert page.locator("[data-sk-print-hint]").is_visible()
        assert not page.locator("[data-sk-print]").is_visible()
        assert page.locator(".sk-print__content img").count() >= 1  # the article's picture
    finally:
        context.close()


def test_print_button_without_javascript_opens_the_print_view(
    browser: Browser, live_demo: str
) -> None:
    context = browser.new_context(base_url=live_demo, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/de/")
        page.locator("[data-sk-network=print]").first.click()
        page.wait_for_url("**/sharekit/print?**")
        assert page.locator("h1").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_printed_host_page_shows_the_article_only(page: Page, scheme: str) -> None:
    page.goto("/de/")
    page.emulate_media(media="print", color_scheme=scheme)  # type: ignore[arg-type]
    assert not page.locator(".sk-share").first.is_visible()
    assert not page.locator("nav").first.is_visible()
    form = page.locator("form.sk-form")
    if form.count():
        assert not form.first.is_visible()
    assert page.locator("h1").first.is_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    colour = page.evaluate("getComputedStyle(document.body).color")
    assert background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), background
    assert colour == "rgb(0, 0, 0)", colour


def test_the_demo_article_as_a_pdf(live_demo: str) -> None:
    query = urlencode({"url": f"{live_demo}/de/", "lang": "de"})
    with urllib.request.urlopen(f"{live_demo}/sharekit/pdf?{query}", timeout=60) as response:
        assert response.headers["content-type"] == "application/pdf"
        data = response.read()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Drei Tage am Albtrauf" in text
    assert "€" in text
    assert any(ch in text for ch in "äöüÄÖÜß")
    assert reader.metadata is not None
    assert "Drei Tage am Albtrauf" in (reader.metadata.title or "")


def test_print_links_print_the_page_itself_with_javascript(page: Page) -> None:
    page.goto("/de/")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    links = page.locator(".sk-print-links")
    links.locator("[data-sk-network=print]").click()
    assert page.evaluate("window.printed") == 1
    assert page.url.endswith("/de/")  # stayed on the page
    pdf = links.locator(".sk-b-pdf").get_attribute("href") or ""
    assert pdf.startswith("/sharekit/pdf?")
    violations = run_axe(page)
    assert violations == [], describe(violations)
