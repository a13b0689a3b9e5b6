"""Every stored-XSS vector of ``tests/data/security/xss.txt`` in every field a visitor
fills, rendered by Chromium wherever the service shows it: nothing may run.

The pages are opened with the Content-Security-Policy bypassed, so that escaping and
sanitising are what is tested, not the CSP that would stop most of these anyway. A vector
that ran would call ``window.__xss`` (or ``alert``); every page is also searched for event
handler attributes, script-like URLs and elements no comment may bring.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page
from starlette.applications import Starlette

from sharekit import Settings, Site, create_app
from sharekit.comments.service import OWN_COOKIE
from tests.admin_support import PASSWORD, password_hash
from tests.test_security_corpus import load

from .conftest import LiveServer, bound_socket, url_of

# Two live services (Markdown off and on) with a few hundred comments each: about a minute.
pytestmark = pytest.mark.slow

VECTORS = [vector.replace("{n}", str(number)) for number, vector in enumerate(load("xss.txt"))]

# Runs before any script of the page: a payload that executes leaves its number behind.
TRAP = """
window.__hits = [];
window.__xss = (n) => { window.__hits.push(String(n)); };
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (n) => { window.__hits.push(name + ":" + n); };
}
"""

# What no page may hold: handlers, script URLs, and elements a comment cannot bring.
SCAN = """
() => {
  const bad = [];
  const urlish = ["href", "src", "action", "formaction", "xlink:href", "data", "poster"];
  for (const element of document.querySelectorAll("*")) {
    const tag = element.tagName.toLowerCase();
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      if (urlish.includes(name) && /^(javascript|vbscript|data):/.test(value)
          && !/^data:image\\/(png|gif|jpeg|webp);/.test(value)) {
        bad.push(`${tag}[${name}=${value.slice(0, 40)}]`);
      }
    }
    if (["iframe", "object", "embed", "base", "frame", "frameset", "applet"].includes(tag)) {
      bad.push(tag);
    }
    if (tag === "meta" && (element.getAttribute("http-equiv") || "").toLowerCase() === "refresh") {
      bad.push("meta refresh");
    }
    const own = element.src && new URL(element.src).pathname.startsWith("/static/");
    if (tag === "script" && !own) {
      bad.push(`script ${element.src || element.textContent.slice(0, 40)}`);
    }
  }
  return bad;
}
"""


@dataclass
class Corpus:
    """The service with every vector posted: where it is, and what was stored."""

    url: str
    app: Starlette
    markdown: bool
    comments: dict[int, str] = field(default_factory=dict)  # id -> the vector in its text
    # The author cookie right after each post: it names only the author's 20 newest comments.
    own: dict[int, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # vectors some field refused


def _settings(data_dir: Any, own: str, markdown: bool) -> Settings:
    return Settings(
        secret_key="xss-corpus-secret-0123456789abcdef",
        data_dir=data_dir,
        sites=[Site(key="blog", origins=[own], language="en", name="Blog")],
        admin_password_hash=password_hash(),
        comments_markdown=markdown,
        comments_moderation="off",
        comments_min_seconds=0,
        comments_rate_per_15s=100_000,
        comments_rate_per_hour=100_000,
        comments_page_size=500,
    )


def _post(http: httpx.Client, app: Starlette, own: str, **fields: str) -> httpx.Response:
    thread = fields.setdefault("thread", "xss")
    data = {
        "site": "blog",
        "url": f"{own}/post",
        "title": "XSS corpus",
        "token": app.state.sharekit.comments.guard.issue("blog", thread),
        "name": "Ada",
        "email": "ada@example.org",
        **fields,
    }
    return http.post("/comments", json=data)


def _post_everything(corpus: Corpus) -> None:
    own = corpus.url
    with httpx.Client(base_url=own, headers={"origin": own, "accept-language": "en"}) as http:
        for number, vector in enumerate(VECTORS):
            # Every field at once; when a field refuses the vector, each field alone.
            answer = _post(http, corpus.app, own, text=vector, name=vector[:100], website=vector)
            if answer.status_code == 422:
                corpus.skipped.append(vector)
                answer = _post(http, corpus.app, own, text=vector, name=f"Vector {number}")
                for tried, name in enumerate([vector[:100], " ".join(vector.split())[:100]]):
                    text = f"Name {number}.{tried}"
                    alone = _post(http, corpus.app, own, text=text, name=name)
                    assert alone.status_code in {201, 422}, alone.text
                alone = _post(http, corpus.app, own, text=f"Site {number}", website=vector)
                assert alone.status_code in {201, 422}, alone.text
            assert answer.status_code in {201, 422}, (vector, answer.text)
            if answer.status_code == 201:
                comment = int(answer.json()["comment"]["id"])
                corpus.comments[comment] = vector
                corpus.own[comment] = answer.cookies[OWN_COOKIE]
            # The thread key, the page's title and its address are stored with the thread.
            titled = _post(
                http,
                corpus.app,
                own,
                thread=vector[:200],
                title=vector,
                url=f"{own}/p/{number}?q={quote(vector)}",
                text=f"Thread probe {number}",
            )
            if titled.status_code != 201:  # a key the service refuses: the title alone
                titled = _post(
                    http,
                    corpus.app,
                    own,
                    thread=f"t{number}",
                    title=vector,
                    text=f"Title {number}",
                )
            assert titled.status_code in {201, 422}, (vector, titled.text)
    assert len(corpus.comments) > 0.9 * len(VECTORS), corpus.skipped


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "markdown"])
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Corpus]:
    sock = bound_socket()
    own = url_of(sock)
    made: dict[str, Starlette] = {}

    def make(_url: str) -> Starlette:
        made["app"] = create_app(_settings(tmp_path_factory.mktemp("xss"), own, request.param))
        return made["app"]

    with LiveServer(make, sock) as server:
        found = Corpus(server.url, made["app"], request.param)
        _post_everything(found)
        yield found


@pytest.fixture
def trapped(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    context = browser.new_context(bypass_csp=True, locale="en-GB")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context.add_init_script(TRAP)
    context.on("page", lambda page: page.on("dialog", on_dialog))
    yield context, dialogs
    context.close()


def _check(page: Page, dialogs: list[str], where: str, settle: int = 150) -> None:
    if settle:  # let onerror/onload/ontoggle handlers fire, if any slipped through
        page.wait_for_timeout(settle)
    assert page.evaluate("window.__hits") == [], where
    assert dialogs == [], where
    assert page.evaluate(SCAN) == [], where


def _open(context: BrowserContext, dialogs: list[str], url: str) -> Page:
    page = context.new_page()
    response = page.goto(url)
    assert response is not None, url
    assert response.status == 200, url
    _check(page, dialogs, url)
    return page


def test_the_thread_page_and_fragment_run_nothing(
    corpus: Corpus, trapped: tuple[BrowserContext, list[str]]
) -> None:
    context, dialogs = trapped
    base = f"{corpus.url}/threads/xss/comments?site=blog&url={quote(corpus.url + '/post')}"
    for url in (base, f"{base}&fragment=1"):
        page = _open(context, dialogs, url)
        texts: dict[str, str] = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('article[id^=comment-]')]"
            ".map((a) => [a.id, a.innerText]))"
        )
        assert len(texts) >= len(corpus.comments)
        if not corpus.markdown:  # without Markdown the text is shown exactly as typed
            for comment, vector in corpus.comments.items():
                shown = " ".join(texts[f"comment-{comment}"].split())
                assert " ".join(vector.split())[:30] in shown, vector
        page.close()


def test_the_authors_edit_pages_show_the_text_as_typed(
    corpus: Corpus, trapped: tuple[BrowserContext, list[str]]
) -> None:
    # The edit form shows the source text whether or not Markdown renders it: both
    # corpora are checked, as either could break out of its textarea.
    context, dialogs = trapped
    # One document with every edit form (fetched as the author), so one page load checks
    # them all: a vector that broke out of its textarea would run there as well.
    bodies = []
    head = ""
    for comment in corpus.comments:
        answer = httpx.get(
            f"{corpus.url}/comments/{comment}/edit", cookies={OWN_COOKIE: corpus.own[comment]}
        )
        assert answer.status_code == 200, answer.text
        head, _, rest = answer.text.partition("<body")
        bodies.append(rest.partition(">")[2].rpartition("</body>")[0])
    batch = f"{head}<body>{''.join(bodies)}</body></html>"
    context.route(
        f"{corpus.url}/edit-batch",
        lambda route: route.fulfill(body=batch, content_type="text/html; charset=utf-8"),
    )
    page = _open(context, dialogs, f"{corpus.url}/edit-batch")
    typed = page.locator("textarea[name='text']").evaluate_all("(all) => all.map((t) => t.value)")
    expected = [vector.strip() for vector in corpus.comments.values()]
    assert [value.replace("\r\n", "\n") for value in typed] == expected


def test_the_admin_list_runs_nothing(
    corpus: Corpus, trapped: tuple[BrowserContext, list[str]]
) -> None:
    context, dialogs = trapped
    page = context.new_page()
    page.goto(f"{corpus.url}/admin/login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin$"))
    seen = 0
    for number in range(1, 40):
        response = page.goto(f"{corpus.url}/admin?status=all&page={number}")
        assert response is not None
        if response.status == 404:
            break
        assert response.status == 200
        _check(page, dialogs, f"admin page {number}", settle=50)
        rows = page.locator("input[name='ids']").count()
        if rows == 0:
            break
        seen += rows
    assert seen >= 2 * len(VECTORS)


def test_the_feeds_are_well_formed_and_run_nothing(
    corpus: Corpus, trapped: tuple[BrowserContext, list[str]]
) -> None:
    context, dialogs = trapped
    for path in ("/threads/xss/feed.atom?site=blog", "/sites/blog/feed.atom"):
        body = httpx.get(f"{corpus.url}{path}").text
        feed = ET.fromstring(body)  # broken markup in a comment must not break the XML
        atom = "{http://www.w3.org/2005/Atom}"
        for content in feed.iter(f"{atom}content"):
            assert content.get("type") in {"html", "text", None}
            assert len(list(content)) == 0  # markup is escaped text, never live XHTML
        _open(context, dialogs, f"{corpus.url}{path}").close()
