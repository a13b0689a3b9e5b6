"""What the comment test modules share: settings, valid submissions, posting, reading back."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx2 as httpx
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site

SECRET = "test-secret-key-0123456789abcdef"
BLOG = "https://blog.example"
URL = "https://blog.example/post"
EN = {"accept-language": "en"}
JSON_EN = {"origin": BLOG, "accept-language": "en"}
THREE_LINKS = "See https://a.example and https://b.example and https://c.example please"
SITES = [
    Site(key="blog", origins=[BLOG], language="de", name="Blog"),
    Site(key="other", origins=["http://other.example:8080"]),
]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for comment tests: no minimum time, no practical flood limit."""
    values: dict[str, Any] = {
        "secret_key": SECRET,
        "data_dir": data_dir,
        "comments_min_seconds": 0,
        "comments_rate_per_15s": 100_000,
        "comments_rate_per_hour": 100_000,
        "sites": SITES,
    }
    values.update(overrides)
    return Settings(**values)


def stored(settings: Settings) -> int:
    """Comments in the database, whatever their status."""
    path = settings.data_dir / "sharekit.db"
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM comments").fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0


def token(app: Starlette, site: str = "blog", thread: str = "t1") -> str:
    return str(app.state.sharekit.comments.guard.issue(site, thread))


_numbers = itertools.count()


def submission(app: Starlette, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    """A valid comment on site "blog" with a fresh form token and, unless ``fields`` give
    one, a text of its own (so it is never a duplicate)."""
    return {
        "site": "blog",
        "thread": thread,
        "url": URL,
        "token": token(app, "blog", thread),
        "name": "Ada",
        "email": "ada@example.org",
        "text": f"Comment number {next(_numbers)}.",
        **fields,
    }


def post_form(client: TestClient, data: dict[str, Any], **headers: str) -> httpx.Response:
    return client.post("/comments", data=data, headers={**EN, **headers})


def post_json(
    client: TestClient, data: dict[str, Any], origin: str = BLOG, **headers: str
) -> httpx.Response:
    return client.post("/comments", json=data, headers={**JSON_EN, "origin": origin, **headers})


class FormPage(HTMLParser):
    """Fields of the forms on a page (values unescaped), the text of elements with an id,
    and the ids of the comments (articles) shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, str] = {}
        self.articles: list[str] = []
        self._open: list[tuple[str, str]] = []  # (tag, key) of elements being collected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("name")
        if tag == "article" and values.get("id"):
            self.articles.append(values["id"] or "")
        if tag in {"input", "textarea"} and name:
            self.fields[name] = values
        if tag == "textarea" and name:
            values["value"] = ""
            self._open.append((tag, f"field:{name}"))
        elif tag in {"span", "div"} and values.get("id"):
            self.texts[values["id"] or ""] = ""
            self._open.append((tag, f"id:{values['id']}"))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _tag, key in self._open:
            kind, _, name = key.partition(":")
            if kind == "field":
                self.fields[name]["value"] = (self.fields[name]["value"] or "") + data
            else:
                self.texts[name] += data


def parse(page: str) -> FormPage:
    parser = FormPage()
    parser.feed(page)
    parser.close()
    return parser
