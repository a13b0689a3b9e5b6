"""Other systems' values into sharekit's: HTML to plain text, names, addresses, page paths."""

from __future__ import annotations

import pytest

from sharekit.comments.text import render
from sharekit.porting.cleaning import (
    ANONYMOUS,
    clean_author,
    clean_email,
    clean_text,
    clean_title,
    clean_website,
    html_to_text,
    page_address,
)

ORIGINS = ["https://blog.example", "https://www.blog.example"]


@pytest.mark.parametrize(
    ("html", "keep_newlines", "text"),
    [
        ("<p>Eins</p><p>Zwei</p>", False, "Eins\n\nZwei"),
        ("<p>Eins<br/>Zwei<br>\nDrei</p>", True, "Eins\nZwei\nDrei"),
        ("Eins\nZwei\n\nDrei", True, "Eins\nZwei\n\nDrei"),
        ("Eins\nZwei\n\nDrei", False, "Eins Zwei Drei"),
        ("Fisch &amp; Chips &lt;3 &#8230; &eacute;t&eacute; &#x1F600;", False,
         "Fisch & Chips <3 … été 😀"),
        ("a  <b>fett</b>   und <em>kursiv</em>", True, "a fett und kursiv"),
        ('<a href="https://x.example/a">hier</a>', False, "hier (https://x.example/a)"),
        ('<a href="https://x.example/long/path">https://x.example/lo...</a>', False,
         "https://x.example/long/path"),
        ('<a href="https://x.example/">https://x.example/</a>', False, "https://x.example/"),
        ('<a href="javascript:alert(1)">klick</a>', False, "klick"),
        ('<a href="mailto:a@example.org">schreib mir</a>', False, "schreib mir"),
        ('<a href="/relativ">intern</a>', False, "intern"),
        ("<blockquote><p>Zitat eins</p><p>Zitat zwei</p></blockquote>Antwort", False,
         "> Zitat eins\n\n> Zitat zwei\n\nAntwort"),
        ("<ul><li>eins</li><li>zwei</li></ul>danach", False, "- eins\n- zwei\n\ndanach"),
        ("<pre>  code\n    eingerückt</pre>", False, "code\n    eingerückt"),
        ("<script>alert(1)</script><style>p{}</style>Text<iframe src=x>drin</iframe>", False,
         "Text"),
        ('<img src="x.png" alt="😀"> <img src="y.png" onerror="alert(1)">', False, "😀"),
        ("<p onclick='x()'>Hallo <b>Welt</b></p>", False, "Hallo Welt"),
        ("Ein <unbekannt>Tag</unbekannt> und 3 < 5", False, "Ein Tag und 3 < 5"),
        ("<p>offen <b>nie geschlossen", False, "offen nie geschlossen"),
        ("\x07Glocke\x00 und\u2028Trenner", True, "Glocke und\nTrenner"),
        ("", False, ""),
    ],
)  # fmt: skip
def test_html_to_text(html: str, keep_newlines: bool, text: str) -> None:
    assert html_to_text(html, keep_newlines) == text


@pytest.mark.parametrize(
    "html",
    [
        '<script>alert(1)</script><img src=x onerror="alert(2)">',
        '<a href="javascript:alert(1)" onclick="x">x</a><svg onload=alert(1)>',
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe><b style="x">b</b>',
    ],
)
def test_no_markup_survives_the_round_through_text(html: str) -> None:
    rendered = render(html_to_text(html, keep_newlines=True))
    for dangerous in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg"):
        assert dangerous not in rendered


def test_clean_text_normalises() -> None:
    assert clean_text("  Cafe\u0301\r\n\r\n\r\n\r\n\r\nx  ") == "Café\n\n\nx"


def test_names_titles_addresses() -> None:
    assert clean_author("  Jürgen\n  Müller\t") == "Jürgen Müller"
    assert clean_author(None) == clean_author("  ") == ANONYMOUS
    assert clean_author("x" * 150) == "x" * 100
    assert clean_title("Ein\n Titel " + "y" * 400) == ("Ein Titel " + "y" * 400)[:300]
    assert clean_email(" Jane.Doe@Example.ORG ") == "Jane.Doe@example.org"
    assert clean_email("not-an-address") is None
    assert clean_email("") is None
    assert clean_email(None) is None
    assert clean_email("a@" + "b" * 260 + ".example") is None
    assert clean_website("https://jane.example/blog") == "https://jane.example/blog"
    assert clean_website("javascript:alert(1)") is None
    assert clean_website("ftp://files.example") is None
    assert clean_website("https://x.example/" + "a" * 200) is None
    assert clean_website("www.example.org") is None


@pytest.mark.parametrize(
    ("link", "key", "url"),
    [
        ("https://blog.example/2024/05/hallo/", "/2024/05/hallo/", "https://blog.example/2024/05/hallo/"),
        ("https://blog.example/%C3%BCber/#comment-3", "/über/", "https://blog.example/%C3%BCber/"),
        ("https://blog.example/?p=20", "/?p=20", "https://blog.example/?p=20"),
        ("https://blog.example", "/", "https://blog.example/"),
        ("https://WWW.Blog.Example/a", "/a", "https://www.blog.example/a"),
        ("http://old.example/a?x=1", "/a?x=1", "https://blog.example/a?x=1"),
    ],
)  # fmt: skip
def test_page_address(link: str, key: str, url: str) -> None:
    assert page_address(link, ORIGINS) == (key, url)


def test_page_address_without_query() -> None:
    assert page_address("https://blog.example/a/?utm_source=x", ORIGINS, with_query=False) == (
        "/a/",
        "https://blog.example/a/",
    )


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        (None, "the page has no http(s) address"),
        ("ftp://blog.example/a", "the page has no http(s) address"),
        ("/relative/path", "the page has no http(s) address"),
        ("https://blog.example/" + "a" * 200, "the page's path is longer than 200 characters"),
        ("https://blog.example/a%0Ab", "the page's path contains control characters"),
    ],
)
def test_page_address_problems(link: str | None, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        page_address(link, ORIGINS)
