"""Comment text: normalising, rendering to safe HTML in both modes, hashing, links, excerpts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.comments.text import (
    ALLOWED_TAGS,
    LINK_REL,
    excerpt,
    link_count,
    normalise_text,
    render,
    text_hash,
)

# Spelled out again on purpose: a change to the module's list should fail here first.
SAFE_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
REL = "nofollow ugc noopener"
SAFE_HREF = re.compile(r"(?:https?://[^\s/?#]|mailto:\S)[^\s\x00-\x1f\x7f]*\Z", re.IGNORECASE)


def a(href: str, text: str | None = None) -> str:
    return f'<a href="{href}" rel="{REL}">{href if text is None else text}</a>'


class Audit(HTMLParser):
    """Parses rendered HTML the way a browser tokeniser would and records what it saw."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"repeated attribute on <{tag}>: {names}")
        for name, value in attrs:
            if tag != "a" or name not in {"href", "rel"}:
                self.problems.append(f"attribute {name}={value!r} on <{tag}>")
            elif name == "rel" and value != REL:
                self.problems.append(f"rel={value!r}")
            elif name == "href" and not SAFE_HREF.match(value or ""):
                self.problems.append(f"href={value!r}")
        if tag == "a" and dict(attrs).get("rel") != REL:
            self.problems.append("a link without the comment rel")
        if tag == "br":
            self.text.append("")
        if tag == "p":
            self.paragraphs += 1
            if self.paragraphs > 1:
                self.text.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"end tag </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def audit(output: str) -> Audit:
    parser = Audit()
    parser.feed(output)
    parser.close()
    return parser


def assert_safe(output: str) -> None:
    found = audit(output)
    assert found.problems == [], output
    lowered = output.lower()
    for marker in ("<script", "<style", "<iframe", "<img", "<svg", "<!--"):
        assert marker not in lowered, output


# --- normalise_text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("", ""),
        ("  hello  ", "hello"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("trailing \t\nspaces  \n", "trailing\nspaces"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),
        ("a\n\n\nb", "a\n\n\nb"),
        ("a\n \n\t\n  \n \nb", "a\n\n\nb"),
        ("Cafe\u0301", "Caf\u00e9"),
        ("  indented\n    code", "indented\n    code"),
        ("<script>", "<script>"),  # normalising never escapes or rejects
    ],
)
def test_normalise_text(raw: str, normal: str) -> None:
    assert normalise_text(raw) == normal
    assert normalise_text(normal) == normal


# --- plain mode -------------------------------------------------------------------------

PLAIN = [
    ("", ""),
    (" \n\n \t ", ""),
    ("Hello", "<p>Hello</p>"),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("\"quotes\" & 'apostrophes'", "<p>&quot;quotes&quot; &amp; &#x27;apostrophes&#x27;</p>"),
    ("&", "<p>&amp;</p>"),
    ("&amp; typed as such", "<p>&amp;amp; typed as such</p>"),
    ("&#106;avascript", "<p>&amp;#106;avascript</p>"),
    ("one\ntwo", "<p>one<br>\ntwo</p>"),
    ("one\r\ntwo\rthree", "<p>one<br>\ntwo<br>\nthree</p>"),
    ("first\n\nsecond", "<p>first</p>\n<p>second</p>"),
    ("first\n\n\n\n\n\nsecond\nthird", "<p>first</p>\n<p>second<br>\nthird</p>"),
    (
        "Gr\u00fc\u00dfe \U0001f44b aus K\u00f6ln \u2014 \u4f60\u597d",
        "<p>Grüße 👋 aus Köln — 你好</p>",
    ),
    ("Cafe\u0301", "<p>Caf\u00e9</p>"),
    ("https://example.org", "<p>" + a("https://example.org") + "</p>"),
    ("see https://example.org.", "<p>see " + a("https://example.org") + ".</p>"),
    ("Wow, http://example.org/path!", "<p>Wow, " + a("http://example.org/path") + "!</p>"),
    (
        "Is it www.example.org?",
        "<p>Is it " + a("https://www.example.org", "www.example.org") + "?</p>",
    ),
    ("a http://x.example/a,b, c", "<p>a " + a("http://x.example/a,b") + ", c</p>"),
    ("go: https://example.org/a:", "<p>go: " + a("https://example.org/a") + ":</p>"),
    ("(see http://example.org/a)", "<p>(see " + a("http://example.org/a") + ")</p>"),
    (
        "https://en.wikipedia.org/wiki/Python_(programming_language)",
        "<p>" + a("https://en.wikipedia.org/wiki/Python_(programming_language)") + "</p>",
    ),
    (
        "(https://en.wikipedia.org/wiki/Hop_(film)).",
        "<p>(" + a("https://en.wikipedia.org/wiki/Hop_(film)") + ").</p>",
    ),
    (
        "https://example.org/search?q=a&b=%22c%22",
        "<p>" + a("https://example.org/search?q=a&amp;b=%22c%22") + "</p>",
    ),
    ("<https://example.org>", "<p>&lt;" + a("https://example.org") + "&gt;</p>"),
    (
        'http://example.org/"onmouseover="alert(1)',
        "<p>" + a("http://example.org/") + "&quot;onmouseover=&quot;alert(1)</p>",
    ),
    ("HTTPS://EXAMPLE.ORG/", "<p>" + a("HTTPS://EXAMPLE.ORG/") + "</p>"),
    (
        "K\u00f6ln: https://k\u00f6ln.example/st\u00e4dte",
        "<p>Köln: " + a("https://köln.example/städte") + "</p>",
    ),
    ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
    ("data:text/html,<b>x</b>", "<p>data:text/html,&lt;b&gt;x&lt;/b&gt;</p>"),
    ("vbscript:msgbox(1)", "<p>vbscript:msgbox(1)</p>"),
    ("ftp://example.org mailto:me@example.org", "<p>ftp://example.org mailto:me@example.org</p>"),
    ("http:// and www. alone", "<p>http:// and www. alone</p>"),
    ("xhttp://example.org awww.example.org", "<p>xhttp://example.org awww.example.org</p>"),
    ("example.org without www", "<p>example.org without www</p>"),
]


@pytest.mark.parametrize(("text", "expected"), PLAIN)
def test_plain_render(text: str, expected: str) -> None:
    assert render(text) == expected
    assert_safe(render(text))


def test_plain_render_is_the_default_and_normalises() -> None:
    assert render("  a \r\n b  ", markdown=False) == render("a\n b") == "<p>a<br>\n b</p>"


def test_long_text_is_rendered_whole() -> None:
    words = ("lorem ipsum dolor sit amet " * 400).strip()
    assert len(words) == 10_799
    assert render(words) == f"<p>{words}</p>"


def test_long_url_stays_intact_in_href() -> None:
    url = "https://example.org/" + "a" * 9_980
    assert len(url) == 10_000
    out = render(f"look {url}!")
    assert out == f"<p>look {a(url)}!</p>"
    assert_safe(out)


def test_invisible_characters_end_a_link() -> None:
    out = render("https://bank.example\u202egnp.exe")
    assert out == "<p>" + a("https://bank.example") + "\u202egnp.exe</p>"


# --- markdown mode ----------------------------------------------------------------------

MARKDOWN = [
    ("plain words", "<p>plain words</p>"),
    (
        "*em* and **strong** and _em_",
        "<p><em>em</em> and <strong>strong</strong> and <em>em</em></p>",
    ),
    ("`a < b && c`", "<p><code>a &lt; b &amp;&amp; c</code></p>"),
    ("```python\nif a < b:\n    pass\n```", "<pre><code>if a &lt; b:\n    pass\n</code></pre>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("3. three\n4. four", "<ol>\n<li>three</li>\n<li>four</li>\n</ol>"),
    ("> quoted\n> *text*", "<blockquote>\n<p>quoted<br>\n<em>text</em></p>\n</blockquote>"),
    ("line one\nline two", "<p>line one<br>\nline two</p>"),
    ("para one\n\npara two", "<p>para one</p>\n<p>para two</p>"),
    ("[site](https://example.org)", "<p>" + a("https://example.org", "site") + "</p>"),
    ('[site](https://example.org "title")', "<p>" + a("https://example.org", "site") + "</p>"),
    ("[mail](mailto:me@example.org)", "<p>" + a("mailto:me@example.org", "mail") + "</p>"),
    ("see https://example.org.", "<p>see " + a("https://example.org") + ".</p>"),
    ("see www.example.org", "<p>see " + a("https://www.example.org", "www.example.org") + "</p>"),
    (
        "https://en.wikipedia.org/wiki/Python_(programming_language)",
        "<p>" + a("https://en.wikipedia.org/wiki/Python_(programming_language)") + "</p>",
    ),
    ("example.org and me@example.org", "<p>example.org and me@example.org</p>"),
    ("[x](/relative) [y](//example.org)", "<p>[x](/relative) [y](//example.org)</p>"),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("# Heading", "<p># Heading</p>"),
    ("![alt](https://example.org/a.png)", "<p>!" + a("https://example.org/a.png", "alt") + "</p>"),
    ("| a | b |\n|---|---|", "<p>| a | b |<br>\n|---|---|</p>"),
    ("<b>raw</b> &amp;", "<p>&lt;b&gt;raw&lt;/b&gt; &amp;amp;</p>"),
    ("~~struck~~", "<p>~~struck~~</p>"),
    ("\\*literal\\*", "<p>*literal*</p>"),
    ("&", "<p>&amp;</p>"),
]


@pytest.mark.parametrize(("text", "expected"), MARKDOWN)
def test_markdown_render(text: str, expected: str) -> None:
    out = render(text, markdown=True)
    assert out == expected
    assert_safe(out)


def test_markdown_links_all_get_the_comment_rel() -> None:
    out = render("[a](https://a.example) https://b.example www.example.org", markdown=True)
    assert out.count(f'rel="{REL}"') == 3
    assert "target=" not in out


def test_markdown_output_is_stable_under_sanitising_again() -> None:
    text = "*a* `b` [c](https://c.example?x=1&y=2)\n\n> d\n\n- e\n\n```\n<f>\n```"
    out = render(text, markdown=True)
    again = nh3.clean(
        out,
        tags=set(SAFE_TAGS),
        attributes={"a": {"href"}, "*": set()},
        url_schemes={"http", "https", "mailto"},
        link_rel=REL,
    )
    assert again == out


def test_module_constants_match_the_policy() -> None:
    assert set(ALLOWED_TAGS) == SAFE_TAGS
    assert LINK_REL == REL


# --- XSS --------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    '<img src="x\nonerror=alert(1)>',
    "<img/src=x/onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<object data="javascript:alert(1)">',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=http://x.example/x.css>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](javascript&colon;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](java\u200bscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    '![x](https://x.example/a.png" onerror="alert(1))',
    '[x](https://x.example/" onmouseover="alert(1))',
    '[a](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "[x](mailto:a@b.example?subject=<script>alert(1)</script>)",
    "`<img src=x onerror=alert(1)>`",
    "```\n<script>alert(1)</script>\n```",
    '```js" onload="alert(1)\n1\n```',
    "> <a href=javascript:alert(1)>quoted</a>",
    "- <img src=x onerror=alert(1)>\n- two",
    "http://x.example/<script>alert(1)</script>",
    'http://x.example/"onmouseover="alert(1)',
    'www.example.org/"><svg onload=alert(1)>',
    "https://bank.example\u202egnp.exe",
    "java\u200bscript:alert(1)",
    "[\u202eclick](https://evil.example)",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<a href="javascript:alert(1)">unterminated',
    "<",
    "</p><p onclick=alert(1)>",
]


def test_enough_payloads() -> None:
    assert len(XSS) >= 30


@pytest.mark.parametrize("markdown", [False, True], ids=["plain", "markdown"])
@pytest.mark.parametrize("payload", XSS)
def test_xss_payload_is_inert(payload: str, markdown: bool) -> None:
    out = render(payload, markdown=markdown)
    assert_safe(out)
    # the payload is still readable as text: nothing was silently dropped
    assert out.startswith(("<p>", "<pre>", "<blockquote>", "<ul>")) or out == ""


# --- properties -------------------------------------------------------------------------

TOKENS = [
    "<",
    ">",
    "&",
    '"',
    "'",
    "`",
    "*",
    "_",
    "[",
    "]",
    "(",
    ")",
    "!",
    ":",
    "/",
    "\\",
    "\n",
    "\n\n",
    " ",
    "#",
    "-",
    "~",
    "=",
    ";",
    "a",
    "Z",
    "\u00e9",
    "\U0001f600",
    "\u202e",
    "\u200b",
    "javascript:",
    "data:",
    "http://",
    "https://",
    "www.",
    "mailto:",
    "x.example",
    "<script>",
    "</script>",
    "onerror=",
    "<img src=x ",
    "&amp;",
    "&#106;",
    "&#x09;",
    "```",
    "> ",
    "- ",
    "1. ",
    "](",
    "<a href=",
    "\r\n",
    "\t",
]
comment_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
)


@settings(max_examples=300, deadline=None, database=None)
@given(comment_texts)
def test_plain_output_is_safe_and_round_trips(text: str) -> None:
    out = render(text)
    found = audit(out)
    assert found.problems == [], out
    assert set(found.tags) <= {"p", "br", "a"}
    # What a reader sees is exactly what was typed (modulo normalising): nothing is
    # interpreted, and nothing is escaped twice.
    assert "".join(found.text) == re.sub(r"\n{3,}", "\n\n", normalise_text(text))


@settings(max_examples=300, deadline=None, database=None)
@given(comment_texts)
def test_markdown_output_is_safe(text: str) -> None:
    out = render(text, markdown=True)
    assert audit(out).problems == [], out
    if "&amp;" not in text and "\\" not in text:
        assert "&amp;amp;" not in out


@settings(max_examples=100, deadline=None, database=None)
@given(comment_texts)
def test_hash_and_count_never_fail(text: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", text_hash(text))
    assert link_count(text) >= audit(render(text)).tags.count("a")


# --- text_hash --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "Great post!",
        "great  post!",
        "GREAT POST!",
        "  Great\npost!  ",
        "Great\r\n\r\npost!",
        "Great\tpost!",
        "Great\u00a0post!",
    ],
)
def test_text_hash_ignores_case_and_spacing(variant: str) -> None:
    assert text_hash(variant) == text_hash("Great post!")


def test_text_hash_sees_real_differences() -> None:
    assert text_hash("Great post!") != text_hash("Great post?")
    assert text_hash("Great post!") != text_hash("Greatpost!")
    assert text_hash("Caf\u00e9") == text_hash("Cafe\u0301") == text_hash("CAF\u00c9")
    assert re.fullmatch(r"[0-9a-f]{64}", text_hash(""))


# --- link_count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("no links here", 0),
        ("https://example.org", 1),
        ("see http://a.example and https://b.example.", 2),
        ("www.example.org, WWW.EXAMPLE.ORG", 2),
        ("https://a.example https://a.example https://a.example", 3),
        ("[text](https://a.example)", 1),
        ("javascript:alert(1) data:text/html,x ftp://a.example mailto:a@b.example", 0),
        ("example.org me@example.org http:// www.", 0),
        ("(https://en.wikipedia.org/wiki/Hop_(film))", 1),
    ],
)
def test_link_count(text: str, count: int) -> None:
    assert link_count(text) == count


# --- excerpt ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "length", "expected"),
    [
        ("", 200, ""),
        ("<p>Short &amp; sweet</p>", 200, "Short & sweet"),
        ("Plain text, no tags", 200, "Plain text, no tags"),
        ("<p>one<br>\ntwo</p>\n<p>three</p>", 200, "one two three"),
        ("<p>Fish &amp; chips</p><p>are <em>great</em> today</p>", 20, "Fish & chips are…"),
        ("one two three four", 9, "one two…"),
        ("one two three four", 8, "one two…"),
        ("one two three four", 7, "one…"),
        ("one two three four", 18, "one two three four"),
        ("Hello, world. More", 14, "Hello, world…"),
        ("abcdefghijklmnop", 6, "abcde…"),
        ("<p>a &lt;b&gt; &quot;c&quot;</p>", 200, 'a <b> "c"'),
        ("<script>alert(1)</script>visible", 200, "visible"),
        (render("Visit https://example.org now"), 200, "Visit https://example.org now"),
    ],
)
def test_excerpt(source: str, length: int, expected: str) -> None:
    assert excerpt(source, length) == expected
    assert len(excerpt(source, length)) <= length


def test_excerpt_default_length() -> None:
    text = render(" ".join(["word"] * 100))
    short = excerpt(text)
    assert len(short) <= 200
    assert short.endswith("word…")


def test_excerpt_rejects_a_useless_length() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        excerpt("text", 0)
