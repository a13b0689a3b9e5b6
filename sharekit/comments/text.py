"""Comment text to safe HTML, once, at write time.

A comment is rendered when it is stored and shown as stored, so the escaping and
sanitising here is the only thing between a visitor's input and every later reader's page.
Plain mode builds its HTML from escaped pieces and never parses markup; Markdown mode parses
a small subset with markdown-it (raw HTML off) and then runs the result through nh3 anyway,
so a parser bug alone cannot let a tag or attribute through. Only http(s) (and, in Markdown
links, mailto) URLs ever become links, always ``rel="nofollow ugc noopener"``.

Everything here is pure string work: no I/O.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import nh3
from linkify_it import LinkifyIt  # type: ignore[import-untyped]
from markdown_it import MarkdownIt

__all__ = [
    "ALLOWED_TAGS",
    "LINK_REL",
    "excerpt",
    "link_count",
    "normalise_text",
    "render",
    "text_hash",
]

LINK_REL = "nofollow ugc noopener"
"""Comment links earn no ranking (``nofollow ugc``) and get no handle on the page."""

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
"""Every tag that rendered comment HTML may contain; ``a`` carries only ``href`` and ``rel``."""

# Invisible formatting characters (soft hyphen, zero-width, bidi controls, BOM): a URL ends
# before one, so ``https://bank.example\u202egnp.exe`` cannot dress up its own link text.
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_URL_RE = re.compile(rf"(?<![\w@./\-])(?:https?://|www\.)[^\s<>\"`{_INVISIBLE}]+", re.IGNORECASE)
_HOST_START_RE = re.compile(r"[^\W_]|\[")  # a letter, digit or an IPv6 ``[``
_TRAILING = ".,:;!?'*_~"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_SAFE_HREF_RE = re.compile(r"(?:https?://[^/?#\s]|mailto:[^\s])", re.IGNORECASE)
_WHITESPACE_RE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    r"""Return ``text`` in the one form that is stored, rendered and compared.

    NFC, ``\n`` line ends, no trailing spaces, at most two blank lines in a row, trimmed.
    It never rejects anything: length and control characters are the models' business.

    >>> normalise_text("  Caf\u0065\u0301  \r\n\r\n\r\n\r\nbye\t\r\n")
    'Café\n\n\nbye'
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{4,}", "\n\n\n", text).strip()


def _trim_url(url: str) -> str:
    """Drop the punctuation that ends the sentence rather than the URL.

    A closing bracket stays when it closes one opened inside the URL, as in
    ``https://en.wikipedia.org/wiki/Python_(programming_language)``.
    """
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])):
            url = url[:-1]
        else:
            break
    return url


def _find_urls(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, href)`` for every http(s) and ``www.`` link in raw text."""
    for match in _URL_RE.finditer(text):
        bare = match.group()[:4].lower() == "www."
        url = _trim_url(match.group())
        if not _HOST_START_RE.match(url, 4 if bare else url.index("//") + 2):
            continue  # "http://" or "www." with no host after it
        href = f"https://{url}" if bare else url
        yield match.start(), match.start() + len(url), href


def _link(href: str, label: str) -> str:
    return f'<a href="{html.escape(href)}" rel="{LINK_REL}">{html.escape(label)}</a>'


def _plain_line(line: str) -> str:
    """One line of plain text as escaped HTML with its URLs linked."""
    parts: list[str] = []
    position = 0
    for start, end, href in _find_urls(line):
        parts.append(html.escape(line[position:start]))
        parts.append(_link(href, line[start:end]))
        position = end
    parts.append(html.escape(line[position:]))
    return "".join(parts)


def _render_plain(text: str) -> str:
    paragraphs = (block for block in re.split(r"\n{2,}", text) if block.strip())
    return "\n".join(
        "<p>" + "<br>\n".join(_plain_line(line) for line in block.split("\n")) + "</p>"
        for block in paragraphs
    )


class _WebLinks(LinkifyIt):  # type: ignore[misc]
    """linkify-it narrowed to what plain mode links: http(s) URLs and ``www.`` hosts.

    Bare domains (``cheap-pills.example``) and e-mail addresses stay text, so Markdown
    mode links no more than :func:`link_count` counts for the moderation limit.
    """

    def __init__(self) -> None:
        super().__init__(
            schemas={"ftp:": None, "//": None, "mailto:": None},
            options={"fuzzy_link": True, "fuzzy_email": False, "fuzzy_ip": False},
        )

    @staticmethod
    def _wanted(match: Any) -> bool:
        schema = str(match.schema).lower()
        return schema in {"http:", "https:"} or (
            schema == "" and str(match.raw).lower().startswith("www.")
        )

    def normalize(self, match: Any) -> None:
        """Send schemeless ``www.`` links to https, as plain mode does."""
        super().normalize(match)
        if not match.schema and str(match.url).startswith("http://"):
            match.url = "https://" + str(match.url)[len("http://") :]

    def match(self, text: str) -> list[Any] | None:
        found = [link for link in super().match(text) or [] if self._wanted(link)]
        return found or None

    def match_at_start(self, text: str) -> Any:
        link = super().match_at_start(text)
        return link if link is not None and self._wanted(link) else None


class _CommentMarkdown(MarkdownIt):
    """markdown-it that only accepts absolute http(s) and mailto link targets.

    The stock validator lets relative URLs and unknown schemes through; a comment has no
    business linking to ``/admin`` on the host page, and what is refused here stays text.
    """

    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        return _SAFE_HREF_RE.match(url) is not None


def _markdown() -> MarkdownIt:
    md = _CommentMarkdown("zero", {"html": False, "breaks": True, "linkify": True})
    md.linkify = _WebLinks()
    rules = ["emphasis", "backticks", "fence", "blockquote", "list", "link", "linkify"]
    return md.enable([*rules, "newline", "escape"])


_MD = _markdown()


def _sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}, "*": set()},  # "*": drops nh3's default title and lang
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str, markdown: bool = False) -> str:
    """Turn comment text into the HTML that is stored and shown as is.

    The text is normalised first, so callers cannot forget to. Plain mode escapes
    everything, makes paragraphs and line breaks, and links http(s) and ``www.`` URLs;
    Markdown mode adds emphasis, code, lists, quotes and ``[links](https://…)``.

    >>> render("Hi <b>you</b>,\\nsee www.example.org.")
    '<p>Hi &lt;b&gt;you&lt;/b&gt;,<br>\\nsee <a href="https://www.example.org" rel="nofollow ugc noopener">www.example.org</a>.</p>'
    >>> render("*Hi* <b>you</b>", markdown=True)
    '<p><em>Hi</em> &lt;b&gt;you&lt;/b&gt;</p>'
    """  # noqa: E501
    text = normalise_text(text)
    if not markdown:
        return _render_plain(text)
    return _sanitise(_MD.render(text)).strip()


def text_hash(text: str) -> str:
    """SHA-256 hex of the text as a duplicate check sees it: spacing and case ignored.

    >>> text_hash("Great post!") == text_hash("  great\\n post! ")
    True
    """
    folded = _WHITESPACE_RE.sub(" ", normalise_text(text)).strip().casefold()
    return hashlib.sha256(unicodedata.normalize("NFC", folded).encode("utf-8")).hexdigest()


def link_count(text: str) -> int:
    """How many http(s) and ``www.`` links the raw text holds, for the moderation limit.

    Every occurrence counts, so ten copies of one spam link are ten links.

    >>> link_count("see https://a.example and www.b.example, not javascript:x")
    2
    """
    return sum(1 for _ in _find_urls(text))


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; tags become word breaks."""

    _SKIP = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def excerpt(html_or_text: str, length: int = 200) -> str:
    """Plain text of stored comment HTML, at most ``length`` characters, for feeds and mail.

    Tags go, entities are decoded, whitespace is collapsed, and a long text is cut at a
    word boundary with "…" (counted in ``length``).

    >>> excerpt("<p>Fish &amp; chips</p><p>are <em>great</em> today</p>", 20)
    'Fish & chips are…'
    """
    if length < 1:
        raise ValueError("an excerpt needs a length of at least 1")
    parser = _TextOnly()
    parser.feed(html_or_text)
    parser.close()
    text = _WHITESPACE_RE.sub(" ", "".join(parser.parts)).strip()
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    space = cut.rfind(" ")
    if space > 0 and text[length - 1] != " ":
        cut = cut[:space]
    return cut.rstrip(" .,;:!?-\u2013\u2014") + "…"
