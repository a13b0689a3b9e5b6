"""The demo page as a visitor's browser sees it: own host only, no cookies, clean CSP, axe."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from .conftest import Recorder, describe, run_axe

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "assets" / "demo.png"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_only_own_host_no_cookies_no_csp_violation(
    page: Page, recorder: Recorder, live_demo: str, lang: str
) -> None:
    response = page.goto(f"/{lang}/")
    assert response is not None
    assert response.ok
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert recorder.hosts() == {urlsplit(live_demo).netloc}, recorder.requests
    assert len(recorder.requests) >= 3  # page, stylesheets, image: the recorder works
    assert page.context.cookies() == []
    assert recorder.csp_violations() == []
    assert recorder.errors == []
    assert recorder.failed == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_finds_no_violation(page: Page, lang: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(f"/{lang}/")
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_works_without_javascript(browser: Browser, live_demo: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_demo)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.url.endswith("/de/") or page.url.endswith("/en/")
        page.goto("/de/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Drei Tage")
        page.get_by_role("link", name="English").click()
        assert page.url.endswith("/en/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("img").first.evaluate("img => img.naturalWidth") > 0
    finally:
        context.close()


def test_screenshot_for_the_readme(browser: Browser, live_demo: str) -> None:
    """Takes the README's screenshot; writes docs/assets/demo.png when asked to."""
    context = browser.new_context(base_url=live_demo, viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto("/de/")
        image = page.screenshot(full_page=False)
        assert image.startswith(b"\x89PNG")
        if os.environ.get("SHAREKIT_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_bytes(image)
    finally:
        context.close()


def test_axe_helper_reports_violations(page: Page) -> None:
    page.set_content('<html lang="en"><body><main><img src="x.png"></main></body></html>')
    assert "image-alt" in {violation["id"] for violation in run_axe(page)}
