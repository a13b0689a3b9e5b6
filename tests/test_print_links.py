"""The ``print_links()`` template tag: print, PDF and email for a page of a site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
import pytest

import sharekit
from sharekit import Settings
from sharekit.printing import pdf as pdf_module

from .conftest import ORIGIN

PAGE = f"{ORIGIN}/2026/albtrauf/"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.roots: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))
        elif tag == "div" and ("data-sharekit-bar", None) in attrs:
            self.roots.append(dict(attrs))


@pytest.fixture
def env(settings: Settings) -> Iterator[jinja2.Environment]:
    environment = jinja2.Environment(autoescape=True)
    tags = sharekit.install(environment, settings)
    yield environment
    tags.close()


def render(env: jinja2.Environment, source: str, **context: object) -> Links:
    parsed = Links()
    parsed.feed(env.from_string(source).render(**context))
    return parsed


def test_print_pdf_and_email_in_the_page_language(
    env: jinja2.Environment, settings: Settings
) -> None:
    found = render(env, "{{ print_links(url=url, title='Drei Tage am Albtrauf') }}", url=PAGE)
    assert [link["class"] for link in found.links] == [
        "sk-share__button sk-b-print",
        "sk-share__button sk-b-pdf",
        "sk-share__button sk-b-email",
    ]
    printing, pdf, email = found.links
    assert printing["data-sk-action"] == "print"  # the script calls window.print()
    query = urlencode({"url": PAGE, "lang": "de"})
    assert printing["href"] == f"{settings.public_url}/print?{query}"
    assert pdf["href"] == f"{settings.public_url}/pdf?{query}"
    assert "data-sk-action" not in pdf  # a plain download
    mail = urlsplit(email["href"] or "")
    assert mail.scheme == "mailto"
    fields = parse_qs(mail.query)
    assert fields["subject"] == ["Drei Tage am Albtrauf"]
    assert fields["body"][0].startswith("Das könnte dich interessieren")  # the site speaks German
    assert PAGE in fields["body"][0]
    (root,) = found.roots
    assert "data-sharekit-noprint" in root
    assert root["lang"] == "de"


def test_english_when_asked_and_without_email(env: jinja2.Environment) -> None:
    found = render(env, "{{ print_links(url=url, lang='en', email=False) }}", url=PAGE)
    assert [link["class"] for link in found.links][-1] == "sk-share__button sk-b-pdf"
    assert found.roots[0]["lang"] == "en"


def test_no_pdf_link_without_weasyprint(
    env: jinja2.Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module.importlib.util, "find_spec", lambda name: None)
    found = render(env, "{{ print_links(url=url) }}", url=PAGE)
    assert "sk-share__button sk-b-pdf" not in [link["class"] for link in found.links]


def test_a_page_of_no_site_is_a_clear_error(env: jinja2.Environment) -> None:
    with pytest.raises(ValueError, match=re.escape("print_links: 'https://else.example/' is")):
        env.from_string("{{ print_links(url='https://else.example/') }}").render()
    with pytest.raises(ValueError, match="print_links"):
        env.from_string("{{ print_links(url=url, theme='neon') }}").render(url=PAGE)
