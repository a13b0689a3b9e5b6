"""The print view and PDF routes, through the real app, with pages from a content provider
(the in-process path) — the HTTP fetch has its own tests in test_printing_fetch."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from pypdf import PdfReader
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from sharekit.printing import service as print_service

SECRET = "test-secret-key-0123456789abcdef"
BLOG = "https://blog.example"
URL = f"{BLOG}/2026/albtrauf/"
ARTICLE = """<!doctype html>
<html lang="de"><head><title>Drei Tage am Albtrauf - Blog</title>
<meta name="author" content="Jana Müller"></head>
<body><nav><a href="/">Start</a></nav>
<main><article>
<h1>Drei Tage am Albtrauf</h1>
<p>Grüße aus Bad Urach: Die Tour kostete 148 € für zwei Nächte.</p>
<p>Über Stock und Stein zum Uracher Wasserfall.</p>
<script>window.hacked = true</script>
</article></main></body></html>"""


class Pages:
    """A content provider: the site's pages by URL, counting what was asked."""

    def __init__(self) -> None:
        self.pages = {URL: ARTICLE}
        self.asked: list[str] = []

    async def __call__(self, url: str) -> str | None:
        self.asked.append(url)
        return self.pages.get(url)


@pytest.fixture
def pages() -> Pages:
    return Pages()


def make_app(tmp_path: Path, pages: Pages, **overrides: Any) -> Starlette:
    settings = Settings(
        secret_key=SECRET,
        data_dir=tmp_path,
        sites=[Site(key="blog", origins=[BLOG], name="Albtrauf-Blog", language="de")],
        **overrides,
    )
    return create_app(settings, content_providers={"blog": pages})


@pytest.fixture
def app(tmp_path: Path, pages: Pages) -> Starlette:
    return make_app(tmp_path, pages)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def pdf_text(data: bytes) -> tuple[str, Any]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader.metadata


def test_print_view_shows_the_article_alone(client: TestClient) -> None:
    response = client.get("/print", params={"url": URL})
    assert response.status_code == 200
    html = response.text
    assert "<h1" in html
    assert "Drei Tage am Albtrauf" in html
    assert "148 €" in html
    assert "Jana Müller" in html
    assert "window.hacked" not in html
    assert ">Start<" not in html  # the site's navigation is not the article
    assert f'href="{URL}"' in html  # the source
    assert "/pdf?" in html  # PDF support is installed here
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' https://blog.example" in policy
    assert "default-src 'self'" in policy
    assert response.headers["cache-control"] == "public, max-age=300"


def test_print_view_speaks_the_requested_language(client: TestClient) -> None:
    english = client.get("/print", params={"url": URL, "lang": "en"})
    german = client.get("/print", params={"url": URL, "lang": "de"})
    assert "Back to the article" in english.text
    assert "Zurück zum Artikel" in german.text or "Zurück" in german.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"url": "https://other.example/post"}, 400),
        ({"url": "file:///etc/passwd"}, 400),
        ({"url": "javascript:alert(1)"}, 400),
        ({"url": f"{BLOG}/missing/"}, 404),
    ],
)
def test_print_view_refuses_what_it_cannot_show(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    assert client.get("/print", params=params).status_code == status
    assert client.get("/pdf", params=params).status_code == status


def test_a_page_without_an_article_is_a_clear_422(client: TestClient, pages: Pages) -> None:
    pages.pages[URL] = "<html><body><p>No article here.</p></body></html>"
    response = client.get("/print", params={"url": URL}, headers={"accept": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "This page has no article that could be printed."


def test_pdf_has_the_text_and_metadata(client: TestClient) -> None:
    response = client.get("/pdf", params={"url": URL})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="albtrauf.pdf"'
    text, metadata = pdf_text(response.content)
    assert "Drei Tage am Albtrauf" in text
    assert "148 €" in text
    assert "Über Stock und Stein" in text
    assert "1 / 1" in text  # the page numbers in the footer
    assert metadata.title == "Drei Tage am Albtrauf"
    assert metadata.author == "Jana Müller"


def test_pdf_comes_from_the_cache_until_the_page_changes(
    client: TestClient, app: Starlette, pages: Pages
) -> None:
    printing = app.state.sharekit.printing
    first = client.get("/pdf", params={"url": URL})
    second = client.get("/pdf", params={"url": URL})
    assert first.content == second.content
    assert printing.renders == 1
    assert (
        client.get(
            "/pdf", params={"url": URL}, headers={"if-none-match": first.headers["etag"]}
        ).status_code
        == 304
    )
    pages.pages[URL] = ARTICLE.replace("148 €", "152 €")
    third = client.get("/pdf", params={"url": URL})
    assert printing.renders == 2
    assert "152 €" in pdf_text(third.content)[0]


def test_pdf_without_weasyprint_is_a_501_with_the_hint(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(print_service, "available", lambda: False)
    response = client.get("/pdf", params={"url": URL}, headers={"accept": "application/json"})
    assert response.status_code == 501
    assert "pip install 'sharekit[pdf]'" in response.json()["error"]
    view = client.get("/print", params={"url": URL})
    assert view.status_code == 200
    assert "/pdf?" not in view.text  # no PDF button then


def test_a_burst_of_pdf_requests_waits_then_gets_a_503(
    tmp_path: Path, pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One render at a time, a tenth of a second of patience: of three requests at once,
    the first renders and the others are told to come back."""
    app = make_app(tmp_path, pages, print_pdf_concurrency=1, print_pdf_queue_wait=0.1)
    real = print_service.render_pdf

    def slow(*args: Any) -> bytes:
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(print_service, "render_pdf", slow)

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(*(http.get("/pdf", params={"url": URL}) for _ in range(3)))
            )

    responses = asyncio.run(burst())
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 503, 503]
    for response in responses:
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) >= 1
