"""Other systems' values turned into what sharekit stores: plain text, valid addresses, paths.

WordPress and Disqus keep comment bodies as HTML; sharekit keeps plain text and renders it
itself (``comments.text.render``), so no imported markup ever reaches a page. The HTML is
read with the standard library's tolerant parser: tags go, entities are decoded, paragraphs
and line breaks stay, quotes become ``> `` lines, list items ``- `` lines, and a link keeps
its address (``label (https://…)``) where sharekit's renderer will link it again.

Everything here is pure string work: no I/O.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

from sharekit.comments.text import normalise_text
from sharekit.origins import origin_of

__all__ = [
    "ANONYMOUS",
    "clean_author",
    "clean_email",
    "clean_text",
    "clean_title",
    "clean_website",
    "html_to_text",
    "page_address",
]

ANONYMOUS = "Anonymous"
"""The name of a comment whose author left none (what WordPress and Isso show, too)."""

# Control characters other than tab and newline, and the Unicode line separators.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SPACE = re.compile(r"\s+")
_HORIZONTAL = re.compile(r"[^\S\n]+")
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"table", "section", "article", "figure", "figcaption", "hr", "dl"}
)
_LINES = frozenset({"li", "tr", "dt", "dd"})
_SKIP = frozenset({"script", "style", "template", "head", "title", "iframe", "object"})


def _without_controls(value: str) -> str:
    return _CONTROLS.sub(lambda match: "\n" if match.group() in "\u2028\u2029" else "", value)


def clean_text(value: str) -> str:
    r"""Comment text as sharekit stores it: normalised, without control characters.

    >>> clean_text("Gr\u00fc\u00dfe\r\n\x07aus Ulm  ")
    'Grüße\naus Ulm'
    """
    return normalise_text(_without_controls(normalise_text(value)))


class _PlainText(HTMLParser):
    """Collects the text of an HTML fragment with its paragraph structure."""

    def __init__(self, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.out: list[str] = []
        self.pending = 0  # line breaks wanted before the next text (2: a paragraph)
        self.started = False
        self.line_start = True
        self.space = True  # the last character written was a space (or nothing yet)
        self.after_br = False  # a source newline right after <br> is the same break
        self.quote = 0
        self.pre = 0
        self.skipping = 0
        self.link: str | None = None
        self.label: list[str] = []

    def _break(self, count: int) -> None:
        self.pending = max(self.pending, count)

    def _emit(self, part: str) -> None:
        if not self.pre and (self.line_start or self.space or self.pending):
            part = part.lstrip(" ")
        if not part:
            return
        if self.pending and self.started:
            self.out.append("\n" * self.pending)
            self.line_start = True
        self.pending = 0
        if self.line_start:
            self.out.append("> " * self.quote)
            self.line_start = False
        self.out.append(part)
        self.started = True
        self.space = part[-1].isspace()
        self.after_br = False

    def _text(self, data: str) -> None:
        if self.keep_newlines:
            data = data.replace("\u2028", "\n").replace("\u2029", "\n\n")
        if not self.pre:  # spacing as a browser shows it; WordPress's newlines count
            data = (_HORIZONTAL if self.keep_newlines else _SPACE).sub(" ", data)
        for number, part in enumerate(data.split("\n")):
            if number:
                if self.after_br:
                    self.after_br = False
                else:
                    self.pending = min(self.pending + 1, 2)
            self._emit(part)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif self.skipping:
            return
        elif tag == "a":
            self._end_link()
            self.link = (dict(attrs).get("href") or "").strip()
            self.label = []
        elif tag == "br":
            self.pending = min(self.pending + 1, 2)
            self.after_br = True
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.handle_data(alt)
        elif tag in _LINES:
            self._break(1)
            if tag == "li":
                self._emit("- ")
                self.space = True
        elif tag in _BLOCKS:
            self._break(2)
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIP:
            self.skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif self.skipping:
            return
        elif tag == "a":
            self._end_link()
        elif tag in _LINES:
            self._break(1)
        elif tag in _BLOCKS:
            self._break(2)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.link is not None:
            self.label.append(data)
        else:
            self._text(data)

    def _end_link(self) -> None:
        if self.link is None:
            return
        href, label = self.link, " ".join("".join(self.label).split())
        self.link, self.label = None, []
        if origin_of(href) is None:  # mailto:, relative, javascript: … keep the words only
            self._text(label)
        elif not label or label == href or label.lower().startswith(("http:", "https:", "www.")):
            # A bare or shortened address ("https://example.org/a-long-pa…"): the real one.
            self._text(href)
        else:
            self._text(f"{label} ({href})")

    def text(self) -> str:
        self.close()
        self._end_link()
        return "".join(self.out)


def html_to_text(fragment: str, keep_newlines: bool) -> str:
    """Plain text of a comment stored as HTML.

    ``keep_newlines``: the source's own line breaks count (WordPress, where a blank line is
    a paragraph); otherwise whitespace is collapsed as a browser would (Disqus).

    >>> html_to_text('<p>Sch\u00f6n &amp; gut<br>danke</p><p>Siehe <a href="https://x.example/a">hier</a></p>', False)
    'Schön & gut\\ndanke\\n\\nSiehe hier (https://x.example/a)'
    >>> html_to_text("Zeile 1\\nZeile 2\\n\\n<blockquote>Zitat</blockquote><script>x()</script>", True)
    'Zeile 1\\nZeile 2\\n\\n> Zitat'
    """  # noqa: E501
    parser = _PlainText(keep_newlines)
    parser.feed(fragment)
    return clean_text(parser.text())


def clean_author(value: str | None) -> str:
    """A commenter's name on one line, at most 100 characters; :data:`ANONYMOUS` if none."""
    name = " ".join(_without_controls(unicodedata.normalize("NFC", value or "")).split())
    return name[:100].rstrip() or ANONYMOUS


def clean_title(value: str | None) -> str:
    """A page title on one line, at most 300 characters."""
    title = " ".join(_without_controls(unicodedata.normalize("NFC", value or "")).split())
    return title[:300].rstrip()


@functools.lru_cache(maxsize=4096)  # pure, and the same few people comment again and again
def clean_email(value: str | None) -> str | None:
    """The address in the form sharekit stores, or ``None`` when it is missing or not a
    valid address (no DNS is asked)."""
    value = (value or "").strip()
    if not value or len(value) > 254:
        return None
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def clean_website(value: str | None) -> str | None:
    """An http(s) address of at most 200 characters, or ``None``: sharekit links a
    commenter's name to it, so nothing else (``javascript:`` above all) may pass."""
    value = (value or "").strip()
    if not value or len(value) > 200 or origin_of(value) is None:
        return None
    return value


def page_address(
    link: str | None, origins: Sequence[str], with_query: bool = True
) -> tuple[str, str]:
    """``(thread key, url)`` of a page link; raises ``ValueError`` saying what is wrong.

    The thread key is the link's path, percent-escapes decoded, with its query if it has
    one and ``with_query`` is on: what a site passes as ``thread`` when it uses
    ``request.path``. The url is the link without its fragment, or, when the link is on
    another origin (an old domain, ``http`` before ``https``), the same path on the
    site's first origin.

    >>> page_address("http://old.example/2024/05/%C3%BCber-uns/#c3", ["https://blog.example"])
    ('/2024/05/über-uns/', 'https://blog.example/2024/05/%C3%BCber-uns/')
    """
    link = (link or "").strip()
    origin = origin_of(link)
    if origin is None:
        raise ValueError("the page has no http(s) address")
    parts = urlsplit(link)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query and with_query else ""
    key = unicodedata.normalize("NFC", unquote(path)) + query
    if len(key) > 200:
        raise ValueError("the page's path is longer than 200 characters")
    if _CONTROLS.search(key) or "\t" in key or "\n" in key:
        raise ValueError("the page's path contains control characters")
    url = f"{origin}{path}{query}" if origin in origins else f"{origins[0]}{path}{query}"
    if len(url) > 2048:
        raise ValueError("the page's address is longer than 2048 characters")
    return key, url
