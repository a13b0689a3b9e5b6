"""The article of a site's page, cut out and sanitised for the print view.

:func:`extract_article` takes the page's HTML and returns an :class:`Article`:

* the content is the element the site marked with ``data-sharekit-content``, else the first
  ``<article>``, else ``<main>`` (or ``role="main"``); a page without any, or with an empty
  one, raises :class:`NoArticle` (422);
* title, author, date and language come from the page's metadata, with fallbacks in the
  content itself; the article's own heading (and the ``<header>`` around it, which holds
  the byline) leaves the content, since the print view shows title and byline itself;
* scripts, styles, embeds, forms, navigation, hidden elements, anything marked
  ``data-sharekit-noprint`` and sharekit's own share bars and comment sections go with
  their content; links and images are made absolute against the page, images from other
  origins (and ``data:`` ones) are removed, and what is left goes through nh3 with a short
  allow-list: no classes, ids, ``style`` or event handler attributes survive.

Parsing and cleaning are synchronous CPU work: a few milliseconds for a long article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urljoin

import nh3
from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

from sharekit.errors import HTTPError
from sharekit.i18n import N_
from sharekit.origins import origin_of

__all__ = ["Article", "NoArticle", "extract_article"]

_Element = etree._Element


class NoArticle(HTTPError):
    """422: the page has no article to print.

    The site answered, so this is no gateway failure (502), and asking again will not help:
    the address is simply not an article, a problem with what was asked for.
    """

    status_code = 422
    default_message = N_("This page has no article that could be printed.")


@dataclass(frozen=True)
class Article:
    """One article as the print view shows it."""

    title: str
    author: str
    published: datetime | None  # aware, UTC
    lang: str
    url: str  # the page's address
    html: Markup  # sanitised content, safe to render as is
    images: tuple[str, ...]  # absolute URLs of the images kept in ``html``

    def published_text(self, lang: str) -> str:
        """The publication date, without the time, in ``lang``'s long format; or ``""``.

        >>> day = datetime(2026, 10, 18, tzinfo=UTC)
        >>> article = Article("T", "", day, "de", "https://blog.example/", Markup(), ())
        >>> article.published_text("de"), article.published_text("en")
        ('18. Oktober 2026', 'October 18, 2026')
        """
        if self.published is None:
            return ""
        return format_date(self.published.date(), format="long", locale=_locale(lang))


# Removed with everything inside them, wherever they are on the page.
_NOISE_TAGS = [
    *["script", "noscript", "template", "style", "link", "meta", "base", "title"],
    *["iframe", "frame", "frameset", "object", "embed", "applet", "param", "dialog"],
    *["form", "input", "button", "select", "textarea", "option", "optgroup", "datalist"],
    *["output", "label", "fieldset", "progress", "meter", "svg", "math", "canvas"],
    *["video", "audio", "map", "area", "nav"],
]
_NOISE_MARKS = [
    "@hidden",
    "@data-sharekit-noprint",
    "@data-sharekit-bar",  # a rendered share bar
    "@data-sharekit-share",  # a share bar placeholder (static HTML)
    "@data-sharekit-comments",  # a comments placeholder (static HTML)
    "@data-sharekit-comments-section",  # a rendered comment section
    "@role='navigation'",
    "@role='search'",
    *(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in ("sk-share", "sk-comments", "sk-form")
    ),
]
_NOISE = etree.XPath(
    " | ".join([f"//{tag}" for tag in _NOISE_TAGS] + [f"//*[{mark}]" for mark in _NOISE_MARKS])
)
_CONTENT = [
    etree.XPath(path)
    for path in ("//*[@data-sharekit-content]", "//article", "//main", "//*[@role='main']")
]
_AUTHOR = etree.XPath(
    ".//*[contains(concat(' ', normalize-space(@rel), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')"
    " or contains(@class, 'author')]"
)
# libxml2 builds the tree by HTML 4 rules: these HTML5 void elements would swallow what
# follows them (a <picture>'s <img>, the rest of a paragraph). None of them is kept anyway.
_HTML5_VOID = re.compile(
    r"</?(?:source|track|embed|wbr|keygen)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE
)
_BLANK = re.compile(r"\s+")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_MARKUP = re.compile(r"<[^>]*>")
_SEPARATORS = "-|:/\u00b7\u2013\u2014\u2022\u00bb"  # hyphen, bar, colon, dot, dashes...

_CLEANER = nh3.Cleaner(
    tags={
        *["p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure"],
        *["figcaption", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "em", "strong"],
        *["b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr", "cite"],
        *["q", "code", "kbd", "samp", "var", "time", "table", "caption", "thead", "tbody"],
        *["tfoot", "tr", "th", "td"],
    },
    clean_content_tags={"script", "style"},  # already removed in the tree: belt and braces
    attributes={
        "*": {"lang", "dir"},
        "a": {"href", "title"},
        "img": {"src", "alt", "width", "height"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan", "scope"},
        "time": {"datetime"},
        "abbr": {"title"},
        "ol": {"start", "reversed"},
    },
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",  # everything was made absolute before: a relative URL is suspect
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _select(path: etree.XPath, node: _Element) -> list[_Element]:
    found = path(node)
    return (
        [item for item in found if isinstance(item, _Element)] if isinstance(found, list) else []
    )


def _clean(value: str | None) -> str:
    return _BLANK.sub(" ", value or "").strip()


def _language(value: str | None) -> str:
    """A well-formed language tag (``de``, ``en-GB``), or ``""``."""
    value = (value or "").strip()
    return value if _LANG.fullmatch(value) else ""


def _text(element: _Element) -> str:
    return _clean("".join(part for part in element.itertext() if isinstance(part, str)))


def _remove(element: _Element) -> None:
    """Take ``element`` and its content out of the tree, keeping the text after it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _meta(doc: _Element, key: str) -> str:
    """The first non-empty ``content`` of a ``<meta>`` named (or with the property) ``key``."""
    for meta in doc.iter("meta"):
        if key in (meta.get("property"), meta.get("name")) and _clean(meta.get("content")):
            return _clean(meta.get("content"))
    return ""


def _date(value: str | None) -> datetime | None:
    """An ISO 8601 date or date and time in UTC (naive ones taken as UTC), or ``None``."""
    try:
        parsed = datetime.fromisoformat(_clean(value))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _absolute(base: str, url: str | None) -> str | None:
    """``url`` resolved against ``base``, or ``None`` when it is empty or broken."""
    url = (url or "").strip()
    if not url:
        return None
    try:
        return urljoin(base, url)
    except ValueError:  # an unclosed IPv6 bracket and the like
        return None


def _is_author_class(value: str | None) -> bool:
    return any(
        name == "author" or name.endswith(("__author", "-author", "_author"))
        for name in (value or "").split()
    )


def _author(doc: _Element, content: _Element) -> str:
    """``rel=author``, ``itemprop=author`` or an ``author`` class: in the content first."""
    for scope in (content, doc):
        for element in _select(_AUTHOR, scope):
            rel, prop = (element.get("rel") or "").split(), (element.get("itemprop") or "").split()
            if "author" in rel or "author" in prop or _is_author_class(element.get("class")):
                name = _text(element)
                if name:
                    return name[:200]
    return ""


def _same_heading(title: str, heading: str) -> bool:
    """Tell whether ``title`` is ``heading``, maybe followed by the site's name."""
    title, heading = title.casefold(), heading.casefold()
    if not heading or not title.startswith(heading):
        return False
    rest = title[len(heading) :].lstrip()
    return not rest or rest[0] in _SEPARATORS


def _title(og_title: str, page_title: str, heading: str) -> str:
    """``og:title`` (or the content's first ``h1`` when ``og:title`` is that heading with
    the site's name after it), else the ``h1``, else ``<title>``: a page's ``<title>``
    usually ends in the site's name, its ``h1`` hardly ever does."""
    if og_title:
        return heading if _same_heading(og_title, heading) else og_title
    return heading or page_title


def _drop_heading(content: _Element, heading: _Element) -> None:
    """Remove the article's own heading, with the ``<header>`` (byline, kicker) around it."""
    header = next(heading.iterancestors("header"), None)
    inside = header is not None and any(parent is content for parent in header.iterancestors())
    _remove(header if inside and header is not None else heading)


def _images(content: _Element, base: str, allowed: frozenset[str]) -> tuple[str, ...]:
    """Make image sources absolute; remove the images not from ``allowed`` origins."""
    kept: list[str] = []
    for img in list(content.iter("img")):
        src = (img.get("src") or "").strip()
        if not src or src.startswith("data:"):  # maybe a lazy-loading placeholder
            src = img.get("data-src") or img.get("data-lazy-src") or ""
        url = _absolute(base, src)
        if url is not None and origin_of(url) in allowed:
            img.set("src", url)
            if url not in kept:
                kept.append(url)
            continue
        figure = next(img.iterancestors("figure"), None)
        _remove(img)
        if figure is not None and not any(True for _ in figure.iter("img", "table", "pre")):
            caption = "".join(_text(c) for c in figure.iter("figcaption"))
            if _text(figure) == _clean(caption):  # nothing left but the caption
                _remove(figure)
    return tuple(kept)


def _first(paths: Iterable[etree.XPath], doc: _Element) -> _Element | None:
    for path in paths:
        found = _select(path, doc)
        if found:
            return found[0]
    return None


def extract_article(page_html: str, page_url: str, allowed_origins: Sequence[str]) -> Article:
    """Cut the article out of ``page_html`` (the page at ``page_url``) and sanitise it.

    Only images on one of ``allowed_origins`` (the site's own) are kept. Raises
    :class:`NoArticle` when the page has no content element or it is empty.

    >>> page = '<title>Hi | Blog</title><article><h1>Hi</h1><p>Grüße, 5 €</p></article>'
    >>> article = extract_article(page, "https://blog.example/hi", ["https://blog.example"])
    >>> article.title, str(article.html)
    ('Hi', '<p>Grüße, 5 €</p>')
    """
    parser = lxml_html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    try:
        markup = _HTML5_VOID.sub("", page_html).encode("utf-8", "replace")
        doc = lxml_html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:  # nothing but blanks
        raise NoArticle() from exc

    # Metadata first: <meta>, <base> and <title> go with the rest of the noise below.
    base_href = next((b.get("href") for b in doc.iter("base") if b.get("href")), None)
    base = _absolute(page_url, base_href) or page_url
    if origin_of(base) is None:  # <base href="javascript:..."> and the like
        base = page_url
    page_title = next((_text(title) for title in doc.iter("title")), "")
    og_title = _meta(doc, "og:title")
    author = next(
        (
            value[:200]
            for value in (_meta(doc, "author"), _meta(doc, "article:author"))
            if value and not value.startswith(("http://", "https://"))  # a profile's URL
        ),
        "",
    )
    published = _date(_meta(doc, "article:published_time"))
    lang = _language(doc.get("lang"))
    for element in _select(_NOISE, doc):
        _remove(element)

    content = _first(_CONTENT, doc)
    if content is None:
        raise NoArticle()
    lang = _language(content.get("lang")) or lang
    author = author or _author(doc, content)
    if published is None:
        dates = (_date(time.get("datetime")) for time in content.iter("time"))
        published = next((date for date in dates if date is not None), None)

    heading = next(content.iter("h1"), None)
    heading_text = _text(heading) if heading is not None else ""
    title = _title(og_title, page_title, heading_text)
    if heading is not None and _same_heading(title, heading_text):
        _drop_heading(content, heading)
    for h1 in content.iter("h1"):
        h1.tag = "h2"  # the print view's h1 is the title

    for link in content.iter("a"):
        href = _absolute(base, link.get("href"))
        if href is None:
            link.attrib.pop("href", "")
        else:
            link.set("href", href)
    images = _images(content, base, frozenset(filter(None, map(origin_of, allowed_origins))))

    html = _CLEANER.clean(lxml_html.tostring(content, encoding="unicode", with_tail=False))
    html = html.strip()
    if not images and not _clean(_MARKUP.sub("", html)):
        raise NoArticle()
    return Article(
        title=title,
        author=author,
        published=published,
        lang=lang,
        url=page_url,
        html=Markup(html),  # noqa: S704 - sanitised by nh3 just above
        images=images,
    )
