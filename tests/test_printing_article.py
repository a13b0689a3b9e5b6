"""The print view's article: extraction, sanitising, the page template and the stylesheets."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup
from starlette.testclient import TestClient

from sharekit import Site
from sharekit.demo import demo_app
from sharekit.errors import HTTPError
from sharekit.i18n import Catalogs
from sharekit.printing.article import Article, NoArticle, extract_article
from sharekit.rendering import Renderer, build_assets
from sharekit.share.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "widgets" / "static"
ORIGIN = "https://blog.example"
URL = f"{ORIGIN}/2026/albtrauf/"
BASE = "/sharekit"
DASH = "\u2013"  # an en dash, as titles and captions use it

ALLOWED_TAGS = {
    *["p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure"],
    *["figcaption", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "em", "strong"],
    *["b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr", "cite"],
    *["q", "code", "kbd", "samp", "var", "time", "table", "caption", "thead", "tbody"],
    *["tfoot", "tr", "th", "td"],
}
ALLOWED_ATTRIBUTES = {"href", "title", "rel", "src", "alt", "width", "height", "colspan"}
ALLOWED_ATTRIBUTES |= {"rowspan", "scope", "datetime", "start", "reversed", "lang", "dir"}


class _Tags(HTMLParser):
    """Every start tag of a fragment with its (unescaped) attributes, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(html: str, name: str | None = None) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return [(tag, attrs) for tag, attrs in parser.found if name is None or tag == name]


def page(body: str, head: str = "", lang: str = "de") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}</body></html>"
    )


def extract(body: str, head: str = "", url: str = URL, **kwargs: str) -> Article:
    return extract_article(page(body, head, **kwargs), url, [ORIGIN])


# Choosing the content ---------------------------------------------------------------------


def test_marked_content_wins_over_article_and_main() -> None:
    body = (
        "<main><p>main text</p>"
        "<article><p>article text</p></article>"
        "<div data-sharekit-content><p>marked text</p></div></main>"
    )
    assert str(extract(body).html) == "<p>marked text</p>"


def test_article_wins_over_main() -> None:
    body = "<main><p>main text</p><article><p>article text</p></article></main>"
    assert str(extract(body).html) == "<p>article text</p>"


def test_main_is_the_last_resort() -> None:
    body = "<div><p>not this</p></div><main><p>main text</p></main>"
    assert str(extract(body).html) == "<p>main text</p>"


@pytest.mark.parametrize(
    "html",
    [
        page("<div><p>No article here.</p></div>"),
        page("<article>  <script>alert(1)</script><!-- nothing --> </article>"),
        page("<article data-sharekit-noprint><p>Hidden</p></article>"),
        page("<main><nav><a href='/'>Home</a></nav></main>"),
        "",
        "   ",
    ],
)
def test_no_article_is_a_422(html: str) -> None:
    with pytest.raises(NoArticle) as caught:
        extract_article(html, URL, [ORIGIN])
    assert isinstance(caught.value, HTTPError)
    assert caught.value.status_code == 422
    assert caught.value.message == "This page has no article that could be printed."


def test_an_image_alone_is_an_article() -> None:
    article = extract('<article><img src="/a.png" alt="A"></article>')
    assert article.images == (f"{ORIGIN}/a.png",)


def test_article_without_an_explicit_body() -> None:
    article = extract_article(
        "<title>Hi | Blog</title><article><h1>Hi</h1><p>Text</p></article>", URL, [ORIGIN]
    )
    assert (article.title, str(article.html)) == ("Hi", "<p>Text</p>")


# Metadata ---------------------------------------------------------------------------------


def test_og_title_wins() -> None:
    head = f'<title>Page {DASH} Blog</title><meta property="og:title" content="Social title">'
    article = extract("<article><h1>On-page title</h1><p>Text</p></article>", head)
    assert article.title == "Social title"
    assert "<h2>On-page title</h2>" in article.html  # not the title: kept, one level down


def test_title_element_when_there_is_no_heading() -> None:
    article = extract("<article><p>Text</p></article>", "<title> Page  title </title>")
    assert article.title == "Page title"


def test_heading_wins_over_a_title_with_the_sites_name() -> None:
    article = extract(
        "<article><h1>Grüße</h1><p>Text</p></article>", "<title>Grüße | Blog</title>"
    )
    assert article.title == "Grüße"
    assert str(article.html) == "<p>Text</p>"


@pytest.mark.parametrize("og", ["Drei Tage", "drei  tage", f"Drei Tage {DASH} Albtrauf-Blog"])
def test_heading_equal_to_the_title_is_dropped(og: str) -> None:
    head = f'<meta property="og:title" content="{og}">'
    article = extract("<article><h1>Drei  Tage</h1><p>Text</p><h1>Part 2</h1></article>", head)
    assert article.title == "Drei Tage"
    assert str(article.html) == "<p>Text</p><h2>Part 2</h2>"
    assert len(tags(article.html, "h2")) == 1


def test_the_articles_header_goes_with_its_heading() -> None:
    body = (
        '<article><header><p class="kicker">Wandern</p><h1>Titel</h1>'
        '<p>Von <span class="author">Jana</span></p></header><p>Text</p></article>'
    )
    article = extract(body)
    assert (article.title, article.author, str(article.html)) == ("Titel", "Jana", "<p>Text</p>")


def test_no_title_at_all() -> None:
    assert extract("<article><p>Text</p></article>").title == ""


@pytest.mark.parametrize(
    ("head", "body", "author"),
    [
        ('<meta name="author" content="Meta Name">', '<p class="author">Other</p>', "Meta Name"),
        ('<meta property="article:author" content="Prop Name">', "", "Prop Name"),
        (
            '<meta property="article:author" content="https://social.example/@jana">',
            '<a rel="author external" href="/jana">Jana W.</a>',
            "Jana W.",
        ),
        ("", '<span itemprop="author"><span itemprop="name"> Ana  B. </span></span>', "Ana B."),
        ("", '<p class="byline author">Chris</p>', "Chris"),
        ("", '<span class="post__author">Jana Weißhaupt</span>', "Jana Weißhaupt"),
        ("", '<span class="authors-list">Not an author class</span>', ""),
        ("", "<p>Nobody</p>", ""),
    ],
)
def test_author(head: str, body: str, author: str) -> None:
    assert extract(f"<article><p>Text</p>{body}</article>", head).author == author


def test_author_outside_the_content() -> None:
    body = '<p>By <a rel="author" href="/me">Sam</a></p><article><p>Text</p></article>'
    assert extract(body).author == "Sam"


@pytest.mark.parametrize(
    ("head", "body", "published"),
    [
        (
            '<meta property="article:published_time" content="2026-10-18T09:30:00+02:00">',
            '<time datetime="2020-01-01">old</time>',
            datetime(2026, 10, 18, 7, 30, tzinfo=UTC),
        ),
        ("", '<time datetime="2026-10-18">18. Oktober</time>', datetime(2026, 10, 18, tzinfo=UTC)),
        (
            "",
            '<time datetime="2026-10-18T10:00">10 Uhr</time>',
            datetime(2026, 10, 18, 10, tzinfo=UTC),
        ),
        (
            "",
            '<time datetime="2026-10-18T10:00:00Z">Z</time>',
            datetime(2026, 10, 18, 10, tzinfo=UTC),
        ),
        (
            '<meta property="article:published_time" content="gestern">',
            '<time datetime="bald">soon</time><time datetime="2026-02-03">3 Feb</time>',
            datetime(2026, 2, 3, tzinfo=UTC),
        ),
        ("", '<time datetime="9999-99-99">never</time><time>no attribute</time>', None),
        ("", "", None),
    ],
)
def test_published(head: str, body: str, published: datetime | None) -> None:
    article = extract(f"<article><p>Text</p>{body}</article>", head)
    assert article.published == published
    if article.published is not None:
        assert article.published.tzinfo is UTC


def test_published_text_is_a_localised_date() -> None:
    article = extract(
        '<article><p>Text <time datetime="2026-10-18T23:10:00Z">x</time></p></article>'
    )
    assert article.published_text("de") == "18. Oktober 2026"
    assert article.published_text("en") == "October 18, 2026"
    assert article.published_text("xx-unknown") == "October 18, 2026"
    assert extract("<article><p>Text</p></article>").published_text("de") == ""


@pytest.mark.parametrize(
    ("lang", "body", "expected"),
    [
        ("de", "<article><p>Text</p></article>", "de"),
        ("de", '<article lang="en-GB"><p>Text</p></article>', "en-GB"),
        ("", "<article><p>Text</p></article>", ""),
        ("x y", "<article><p>Text</p></article>", ""),
        ("de", '<article lang="not a tag"><p>Text</p></article>', "de"),
    ],
)
def test_lang(lang: str, body: str, expected: str) -> None:
    assert extract(body, lang=lang).lang == expected


def test_the_page_url_is_kept() -> None:
    assert extract("<article><p>Text</p></article>").url == URL


# Links and images -------------------------------------------------------------------------


def test_links_and_images_become_absolute() -> None:
    body = (
        '<article><p><a href="../other/">up</a> <a href="#fn1">note</a> '
        '<a href="/about">about</a> <a href="mailto:jana@blog.example">mail</a> '
        '<a href="https://elsewhere.example/x">away</a></p>'
        '<img src="img/a.png" alt="a"><img src="//blog.example/b.png" alt="b">'
        '<img src="https://blog.example:443/c.png" alt="c"></article>'
    )
    article = extract(body)
    hrefs = [attrs["href"] for _, attrs in tags(article.html, "a")]
    assert hrefs == [
        f"{ORIGIN}/2026/other/",
        f"{URL}#fn1",
        f"{ORIGIN}/about",
        "mailto:jana@blog.example",
        "https://elsewhere.example/x",
    ]
    for _, attrs in tags(article.html, "a"):
        assert attrs["rel"] == "noopener noreferrer"
    srcs = [attrs["src"] for _, attrs in tags(article.html, "img")]
    assert srcs == [f"{URL}img/a.png", f"{ORIGIN}/b.png", "https://blog.example:443/c.png"]
    assert article.images == tuple(srcs)


def test_base_element_is_honoured_but_only_for_web_addresses() -> None:
    article = extract('<article><img src="a.png" alt=""></article>', '<base href="/media/">')
    assert article.images == (f"{ORIGIN}/media/a.png",)
    article = extract('<article><img src="a.png" alt=""></article>', '<base href="javascript:">')
    assert article.images == (f"{URL}a.png",)


def test_foreign_and_data_images_are_removed() -> None:
    body = (
        "<article><p>Text</p>"
        '<p><img src="https://cdn.example/track.gif" alt="pixel">after</p>'
        '<img src="http://blog.example/plain-http.png" alt="">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
        '<img src="javascript:alert(1)" alt="">'
        '<img alt="no source">'
        '<figure><img src="https://cdn.example/photo.jpg" alt="x"><figcaption>Gone</figcaption>'
        "</figure>"
        '<figure><img src="/kept.jpg" alt="kept"><figcaption>Kept</figcaption></figure>'
        '<picture><source srcset="https://cdn.example/big.webp 2x">'
        '<img src="/pic.jpg" srcset="https://cdn.example/pic.jpg 2x" sizes="100vw" alt="pic">'
        "</picture>"
        '<img src="data:image/gif;base64,R0lGOD" data-src="/lazy.jpg" alt="lazy"></article>'
    )
    article = extract(body)
    assert article.images == (f"{ORIGIN}/kept.jpg", f"{ORIGIN}/pic.jpg", f"{ORIGIN}/lazy.jpg")
    assert [attrs["src"] for _, attrs in tags(article.html, "img")] == list(article.images)
    html = str(article.html)
    for gone in ("cdn.example", "plain-http", "data:", "javascript", "srcset", "sizes", "Gone"):
        assert gone not in html
    assert "<p>after</p>" in html  # the text after a removed image stays
    assert "<figcaption>Kept</figcaption>" in html


def test_html5_void_elements_do_not_swallow_what_follows() -> None:
    body = (
        "<article><p>Donau<wbr>dampf<wbr>schiff</p>"
        '<p>Before <embed src="/x.swf"> after <track src="/t.vtt"> end</p>'
        '<video><source src="/v.mp4" type="video/mp4">Your browser cannot play it.</video>'
        '<p>Last <source title="a>b"> words</p></article>'
    )
    html = str(extract(body).html)
    assert html == ("<p>Donaudampfschiff</p><p>Before  after  end</p><p>Last  words</p>")


# Sanitising -------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="/ok.png" onload="alert(1)" style="width:expression(alert(1))">',
    '<a href="javascript:alert(1)">js</a>',
    '<a href="JaVaScRiPt:alert(1)">js</a>',
    '<a href="&#106;avascript:alert(1)">js</a>',
    '<a href="java\tscript:alert(1)">js</a>',
    '<a href=" javascript:alert(1)">js</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="/ok" onclick="alert(1)" onmouseover="alert(1)">ok</a>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button>'
    "<input onfocus=alert(1) autofocus></form>",
    "<details open ontoggle=alert(1)><summary>s</summary>d</details>",
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    '<video poster="javascript:alert(1)" src="/v.mp4"></video><audio src="/a.mp3"></audio>',
    '<table background="javascript:alert(1)"><tr><td onclick="alert(1)">cell</td></tr></table>',
    '<p id="x" class="y" data-x="1" tabindex="0" contenteditable>attrs</p>',
    "<xmp><script>alert(1)</script></xmp>",
    '<a href="/ok"><img src="/ok.png" alt="" usemap="#m"></a>'
    '<map name="m"><area href="javascript:alert(1)"></map>',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<base href="javascript:alert(1)//">',
    "<body onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_nothing_dangerous_survives(payload: str) -> None:
    try:
        article = extract(f"<article><p>Safe text</p>{payload}</article>")
    except NoArticle:  # pragma: no cover - every payload comes with safe text
        pytest.fail("the safe text was lost")
    html = str(article.html)
    assert isinstance(article.html, Markup)
    assert "Safe text" in html
    lowered = html.lower()
    for bad in ("<script", "javascript", "vbscript", "style=", "<style", "<iframe", "srcdoc"):
        assert bad not in lowered, payload
    for bad in ("<svg", "<math", "<object", "<embed", "<form", "<input", "<button", "<link"):
        assert bad not in lowered, payload
    assert not re.search(r"\son[a-z]+\s*=", lowered), payload
    for tag, attrs in tags(html):
        assert tag in ALLOWED_TAGS, (tag, payload)
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (attrs, payload)
        for name in ("href", "src"):
            value = attrs.get(name)
            if value is not None:
                assert urlsplit(value).scheme in {"http", "https", "mailto"}, payload
        if tag == "img":
            assert (attrs["src"] or "").startswith(f"{ORIGIN}/"), payload


def test_noise_goes_with_its_content() -> None:
    body = (
        "<article><p>Keep me.</p>"
        "<aside data-sharekit-noprint><p>Advert</p></aside>"
        '<div class="sk-share sk-share--brand" data-sharekit-bar><ul><li>'
        '<a class="sk-share__button" href="/sharekit/share/mastodon?url=x">Mastodon</a>'
        "</li></ul></div>"
        '<div data-sharekit-share data-networks="mastodon"></div>'
        '<nav aria-label="Breadcrumb"><a href="/">Home</a></nav>'
        '<div role="navigation"><a href="/next">Next post</a></div>'
        "<p hidden>Hidden paragraph</p>"
        '<section class="sk-comments" id="sk-comments" data-sharekit-comments-section>'
        '<h2>2 comments</h2><ol><li><article class="sk-comment__body"><p>Nice!</p>'
        "</article></li></ol></section>"
        '<div data-sharekit-comments data-thread="t"></div>'
        "<p>Me too.</p></article>"
    )
    html = str(extract(body).html)
    assert html == "<p>Keep me.</p><p>Me too.</p>"


def test_comment_section_is_not_taken_for_the_article() -> None:
    body = (
        '<div class="post"><p>The post.</p></div>'
        '<section class="sk-comments" data-sharekit-comments-section><ol><li>'
        '<article class="sk-comment__body"><p>A comment.</p></article></li></ol></section>'
        "<main><p>Main text.</p></main>"
    )
    assert str(extract(body).html) == "<p>Main text.</p>"


def test_allowed_markup_survives() -> None:
    body = (
        "<article><h2>Sub</h2><p><em>e</em> <strong>s</strong> <code>c</code> "
        '<abbr title="Euro">EUR</abbr> <q>q</q> <sub>1</sub><sup>2</sup></p>'
        "<blockquote><p>Quote</p></blockquote><pre><code>x = 1\n</code></pre><hr>"
        '<ol start="3"><li>three</li></ol><dl><dt>T</dt><dd>D</dd></dl>'
        '<table><caption>C</caption><thead><tr><th scope="col">H</th></tr></thead>'
        '<tbody><tr><td colspan="2">D</td></tr></tbody></table>'
        '<p lang="en">English</p></article>'
    )
    html = str(extract(body).html)
    for kept in (
        "<h2>Sub</h2>",
        '<abbr title="Euro">EUR</abbr>',
        "<blockquote><p>Quote</p></blockquote>",
        "<pre><code>x = 1\n</code></pre>",
        '<ol start="3">',
        '<th scope="col">H</th>',
        '<td colspan="2">D</td>',
        '<p lang="en">English</p>',
        "<dl><dt>T</dt><dd>D</dd></dl>",
    ):
        assert kept in html


# The demo article -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    app = demo_app(tmp_path_factory.mktemp("demo"), "http://127.0.0.1:8000")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield {lang: client.get(f"/{lang}/").text for lang in ("de", "en")}


DEMO_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


def test_demo_article_in_german(demo_pages: dict[str, str]) -> None:
    html = demo_pages["de"]
    assert "data-sharekit-bar" in html  # the page really has share bars to remove
    assert "data-sharekit-comments-section" in html
    article = extract_article(html, "http://127.0.0.1:8000/de/", DEMO_ORIGINS)
    assert article.title == "Drei Tage am Albtrauf: Route, Kosten und was wir gelernt haben"
    assert article.author == "Jana Weißhaupt"
    assert article.published == datetime(2026, 10, 18, tzinfo=UTC)
    assert article.lang == "de"
    assert article.images == ("http://127.0.0.1:8000/assets/albtrauf.svg",)
    content = str(article.html)
    assert "Schwäbischen Alb" in content
    assert "<strong>412 €</strong>" in content
    assert "<caption>Kosten für zwei Personen</caption>" in content
    assert (
        '<img src="http://127.0.0.1:8000/assets/albtrauf.svg" width="960" height="420"' in content
    )
    assert f"<figcaption>Blick vom Trauf ins Vorland {DASH} so sah es" in content
    for gone in ("sk-", "Mastodon", "Kommentar schreiben", "<h1", "Jana Weißhaupt", "class="):
        assert gone not in content
    assert "<h2>Die Route</h2>" in content


def test_demo_article_in_english(demo_pages: dict[str, str]) -> None:
    article = extract_article(demo_pages["en"], "http://127.0.0.1:8000/en/", DEMO_ORIGINS)
    assert article.title.startswith("Three days on the Albtrauf")
    assert article.lang == "en"
    assert len(article.images) == 1
    assert "sk-share" not in article.html


# The print view page ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(Catalogs(), build_assets(Registry()), BASE)


ARTICLE = Article(
    title="Drei Tage am Albtrauf",
    author="Jana Weißhaupt",
    published=datetime(2026, 10, 18, tzinfo=UTC),
    lang="de",
    url=URL,
    html=Markup('<p>Kosten: 412 €</p><img src="https://blog.example/a.svg" alt="Alb">'),
    images=("https://blog.example/a.svg",),
)
SITE = Site(key="blog", origins=[ORIGIN], name="Albtrauf-Blog")


def view(renderer: Renderer, lang: str, article: Article = ARTICLE, **context: object) -> str:
    values: dict[str, object] = {
        "article": article,
        "base": BASE,
        "source_url": URL,
        "pdf_url": None,
        "site": SITE,
        **context,
    }
    return str(renderer.render("print/view.html", lang, **values))


@pytest.mark.parametrize(
    ("lang", "byline", "date", "button", "hint"),
    [
        ("en", "By Jana Weißhaupt", "October 18, 2026", "Print", "print command"),
        ("de", "Von Jana Weißhaupt", "18. Oktober 2026", "Drucken", "Druckfunktion"),
    ],
)
def test_view_page(
    renderer: Renderer, lang: str, byline: str, date: str, button: str, hint: str
) -> None:
    html = view(renderer, lang)
    assert f'<html lang="{lang}">' in html
    assert "<title>Drei Tage am Albtrauf</title>" in html
    assert html.count("<h1") == 1
    assert '<h1 id="sk-print-title" lang="de">Drei Tage am Albtrauf</h1>' in html
    assert byline in html
    assert f'<time datetime="2026-10-18T00:00:00+00:00">{date}</time>' in html
    assert f'Albtrauf-Blog, <a href="{URL}">{URL}</a>' in html
    assert '<div class="sk-print__content" lang="de">' in html
    assert "<p>Kosten: 412 €</p>" in html
    (button_attrs,) = [attrs for _, attrs in tags(html, "button")]
    assert button_attrs["type"] == "button"
    assert "data-sk-print" in button_attrs
    assert "hidden" in button_attrs
    assert re.search(rf"<button [^>]*data-sk-print hidden>{button}</button>", html)
    assert re.search(rf"<p [^>]*data-sk-print-hint>[^<]*{hint}", html)
    assert "data-sharekit-noprint" in html  # the toolbar stays off paper
    assert "sk-page__button--secondary" not in html  # no pdf_url, no PDF link


@pytest.mark.parametrize("lang", ["en", "de"])
def test_view_page_is_csp_safe_and_uses_hashed_assets(renderer: Renderer, lang: str) -> None:
    html = view(renderer, lang, pdf_url="/sharekit/print.pdf?url=x")
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "style=" not in html
    assert "<style" not in html
    scripts = tags(html, "script")
    assert scripts
    assert all(attrs.get("src") for _, attrs in scripts)
    assets = renderer.assets
    links = {attrs["href"]: attrs for _, attrs in tags(html, "link")}
    for name in ("service.css", "print-view.css", "print.css"):
        url = renderer.asset_url(name, BASE)
        assert url != f"{BASE}/static/{name}"  # hashed
        assert links[url]["integrity"] == assets.get(name).integrity
    assert links[renderer.asset_url("print.css", BASE)]["media"] == "print"
    (script,) = scripts
    assert script[1]["src"] == renderer.asset_url("print.js", BASE)
    assert script[1]["integrity"] == assets.get("print.js").integrity
    assert "defer" in script[1]
    (pdf,) = [
        attrs for _, attrs in tags(html, "a") if attrs["href"] == "/sharekit/print.pdf?url=x"
    ]
    assert pdf["class"] == "sk-page__button sk-page__button--secondary"


def test_view_page_escapes_the_metadata(renderer: Renderer) -> None:
    evil = Article(
        title='<script>alert("t")</script>',
        author="<img src=x onerror=alert(1)>",
        published=None,
        lang='de"><script>',
        url=URL,
        html=Markup("<p>Text</p>"),
        images=(),
    )
    html = view(renderer, "en", evil)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
    assert "<time" not in html


def test_view_page_without_title_or_byline(renderer: Renderer) -> None:
    bare = Article("", "", None, "", URL, Markup("<p>Text</p>"), ())
    html = view(renderer, "en", bare)
    assert f'<h1 id="sk-print-title">{URL}</h1>' in html
    assert "sk-print__byline" not in html
    assert "lang=" not in html.split("<body>")[1]


def test_the_real_demo_article_renders(renderer: Renderer, demo_pages: dict[str, str]) -> None:
    article = extract_article(demo_pages["de"], "http://127.0.0.1:8000/de/", DEMO_ORIGINS)
    html = view(renderer, "de", article, source_url=article.url)
    assert "Von Jana Weißhaupt" in html
    assert "412 €" in html
    assert '<img src="http://127.0.0.1:8000/assets/albtrauf.svg"' in html


# Static files -----------------------------------------------------------------------------


def _blocks(css: str) -> list[tuple[str, str]]:
    """The top-level ``prelude { body }`` blocks of a stylesheet, comments removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    blocks, depth, start, prelude = [], 0, 0, ""
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                prelude, start = " ".join(css[start:index].split()), index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            assert depth >= 0, "unbalanced braces"
            if depth == 0:
                blocks.append((prelude, css[start:index]))
                start = index + 1
    assert depth == 0, "unbalanced braces"
    assert not css[start:].strip(), "text after the last block"
    return blocks


def _rules(body: str) -> dict[str, str]:
    """Each selector list of a block body (one level deep) and its declarations."""
    return {
        " ".join(selector.split()): declarations
        for selector, declarations in re.findall(r"([^{}]+)\{([^{}]*)\}", body)
    }


def _hidden(rules: dict[str, str]) -> set[str]:
    return {
        part.strip()
        for selectors, declarations in rules.items()
        if re.search(r"display:\s*none\s*!important", declarations)
        for part in selectors.split(",")
    }


def test_print_css_is_all_under_media_print() -> None:
    blocks = _blocks((STATIC / "print.css").read_text(encoding="utf-8"))
    assert [prelude for prelude, _ in blocks] == ["@media print"]


def test_print_css_hides_the_widgets_and_navigation_but_not_comments() -> None:
    (_, body) = _blocks((STATIC / "print.css").read_text(encoding="utf-8"))[0]
    rules = _rules(body)
    hidden = _hidden(rules)
    for selector in (
        "nav",
        '[role="navigation"]',
        "aside",
        "[data-sharekit-noprint]",
        "[data-sharekit-bar]",
        ".sk-share",
        ".sk-form",
        ".sk-comment__actions",
    ):
        assert selector in hidden
    assert not {s for s in hidden if s.startswith(".sk-comments") and s != ".sk-comments__more"}
    assert not {".sk-comment", ".sk-comment__body", ".sk-comment__text"} & hidden


def test_print_css_shows_link_targets_breaks_well_and_stays_light() -> None:
    css = (STATIC / "print.css").read_text(encoding="utf-8")
    (_, body) = _blocks(css)[0]
    rules = _rules(body)
    targets = rules['a[href^="http://"]::after, a[href^="https://"]::after']
    assert 'content: " (" attr(href) ")"' in targets
    assert "content: none" in rules[".sk-comment__permalink::after, .sk-comment__author a::after"]
    figure = next(d for s, d in rules.items() if "figure" in s.split(", "))
    assert "break-inside: avoid" in figure
    headings = next(d for s, d in rules.items() if s.startswith("h1, h2, h3"))
    assert "break-after: avoid" in headings
    assert "color: #000 !important" in rules["*, *::before, *::after"]
    assert "background: #fff !important" in rules["html, body"]
    assert "color-scheme: light" in rules[":root"]
    assert "@page" in body


def test_print_view_css_is_balanced_and_hides_the_tools_on_paper() -> None:
    blocks = _blocks((STATIC / "print-view.css").read_text(encoding="utf-8"))
    media = dict(blocks)["@media print"]
    assert "display: none" in _rules(media)[".sk-print__tools"]
    assert "display: none" in dict(blocks)[".sk-page__button[hidden], .sk-page__hint[hidden]"]


def test_print_js_is_tiny_and_plain() -> None:
    source = (STATIC / "print.js").read_text(encoding="utf-8")
    assert len(gzip.compress(source.encode(), compresslevel=9)) < 300
    assert '"use strict"' in source
    assert "[data-sk-print]" in source
    assert "[data-sk-print-hint]" in source
    assert "window.print()" in source
    for unsafe in ("innerHTML", "eval(", "document.write", 'setAttribute("on'):
        assert unsafe not in source
