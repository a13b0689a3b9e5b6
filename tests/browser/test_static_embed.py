"""The static-HTML snippet: a page on another origin loads the bar from the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sharekit import Settings, Site, create_app
from sharekit.share.networks import NETWORKS
from sharekit.share.networks import Page as SharedPage

from .conftest import LiveServer, Recorder, bound_socket, url_of

SNIPPET = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Ein statischer Beitrag</title>
<link rel="canonical" href="{own}/post">
<link rel="stylesheet" href="{service}/static/sharekit.css">
<script src="{service}/static/sharekit.js" defer></script>
</head><body><main><h1>Ein statischer Beitrag</h1>
<div data-sharekit-share data-networks="bluesky,mastodon,copy" data-style="icon-label"></div>
</main></body></html>"""


def _static_site(service: str):  # type: ignore[no-untyped-def]
    def make(own: str) -> Starlette:
        async def post(request: Request) -> HTMLResponse:
            return HTMLResponse(SNIPPET.format(own=own, service=service))

        return Starlette(routes=[Route("/post", post)])

    return make


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    service_sock, good_sock, bad_sock = bound_socket(), bound_socket(), bound_socket()
    service, good = url_of(service_sock), url_of(good_sock)
    settings = Settings(
        secret_key="static-embed-secret-0123456789",
        data_dir=tmp_path_factory.mktemp("embed"),
        sites=[Site(key="blog", origins=[good], language="de")],
    )
    with (
        LiveServer(lambda _url: create_app(settings), service_sock),
        LiveServer(_static_site(service), good_sock) as good_server,
        LiveServer(_static_site(service), bad_sock) as bad_server,
    ):
        yield {"service": service, "good": good_server.url, "bad": bad_server.url}


def test_embed_works_on_a_configured_origin(
    page: Page, recorder: Recorder, origins: dict[str, str]
) -> None:
    page.goto(f"{origins['good']}/post")
    button = page.locator(".sk-share .sk-b-bluesky")
    expect(button).to_be_visible()
    expect(button).to_contain_text("Bluesky")
    assert button.get_attribute("href", timeout=1000).startswith(f"{origins['service']}/share/")
    button.click()
    expect(page.locator(".sk-share__status")).to_have_text(
        "Teilen sendet die Adresse und den Titel dieser Seite an Bluesky. "
        "Zum Teilen erneut klicken."
    )
    page.context.route("https://bsky.app/**", lambda route: route.fulfill(body="stub"))
    with page.expect_popup() as popup_info:
        button.click()
    build = NETWORKS["bluesky"].build
    assert build is not None
    shared = SharedPage(url=f"{origins['good']}/post", title="Ein statischer Beitrag")
    assert popup_info.value.url == build(shared)
    hosts = {origins["good"].split("//")[1], origins["service"].split("//")[1], "bsky.app"}
    assert recorder.hosts() <= hosts
    assert page.context.cookies() == []


def test_embed_is_refused_on_another_origin(
    page: Page, recorder: Recorder, origins: dict[str, str]
) -> None:
    page.goto(f"{origins['bad']}/post")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".sk-share")).to_have_count(0)
    bar_requests = [url for url in recorder.requests if "/share-bar?" in url]
    assert bar_requests, "the script asked the service for the bar"
    assert any("/share-bar?" in url for url in recorder.failed)
    assert any("CORS" in line for line in recorder.console)


def test_snippet_files_exist() -> None:
    static = Path(__file__).resolve().parents[2] / "widgets" / "static"
    assert (static / "sharekit.js").is_file()
    assert (static / "sharekit.css").is_file()
