"""Isso's SQLite database (``comments.db``), read-only.

A thread's key is Isso's ``uri`` as it is (what the Isso client sent, usually the page's
path); its url is that path on the site's first origin. A comment's source is
``isso:<site>:<comment id>``. ``mode`` 1 → approved, 2 → pending, 4 (deleted, kept by Isso
for its replies) → left out unless replies need it as a placeholder; anything else →
pending. Isso keeps the text as the commenter wrote it (Markdown): it is imported as that
text. Votes, the voters' filter, addresses and reply-notification flags are not imported.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sharekit.origins import origin_of
from sharekit.settings import Site

from .cleaning import clean_author, clean_email, clean_text, clean_title, clean_website
from .items import Item, MalformedFile, SourceComment, SourceThread

__all__ = ["IssoReader"]

_NEEDED = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "modified", "mode", "text", "author"}
    | {"email", "website"},
}
_MODES = {1: "approved", 2: "pending"}


def _time(value: Any) -> datetime | None:
    """A Unix time (Isso stores ``time.time()``) as UTC; ``None`` when it is none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


class IssoReader:
    """Reads an Isso database for one site."""

    format = "isso"

    def __init__(self, path: Path, site: Site) -> None:
        self.path = path
        self.site = site

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise MalformedFile(f"cannot read {self.path}: no such file")
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise MalformedFile(f"cannot open {self.path}: {exc}") from exc
        # Isso never checked its input's encoding; take what is there.
        connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
        return connection

    def _check(self, connection: sqlite3.Connection) -> None:
        for table, columns in _NEEDED.items():
            found = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            missing = columns - found
            if missing:
                what = f"table {table!r}" if not found else f"column {sorted(missing)[0]!r}"
                raise MalformedFile(f"{self.path} is not an Isso database: it has no {what}")

    def _thread(self, row: tuple[Any, ...]) -> SourceThread:
        number, uri, title = row
        key = uri if isinstance(uri, str) else ""
        problem = None
        if not key.strip():
            problem = f"Isso thread {number} has no uri"
        elif len(key) > 200:
            problem = f"the uri of Isso thread {number} is longer than 200 characters"
        elif any(ord(char) < 32 or ord(char) == 127 for char in key):
            problem = f"the uri of Isso thread {number} contains control characters"
        if origin_of(key):
            url = key
        else:
            path = key if key.startswith("/") else "/"
            url = self.site.origins[0] + quote(path, safe="/%?=&#:@!$'()*+,;~")
        if len(url) > 2048:
            problem = problem or f"the uri of Isso thread {number} is too long for an address"
        title_text = clean_title(title if isinstance(title, str) else "")
        return SourceThread(
            self.site.key, key or f"isso-thread-{number}", url, title_text, None, problem
        )

    def items(self) -> Iterator[Item]:
        """Every thread, then every comment (by thread and id). Raises ``MalformedFile``."""
        site = self.site.key
        with closing(self._connect()) as connection:
            try:
                self._check(connection)
                threads: dict[int, SourceThread] = {}
                for row in connection.execute("SELECT id, uri, title FROM threads ORDER BY id"):
                    threads[row[0]] = thread = self._thread(row)
                    yield thread
                query = (
                    "SELECT id, tid, parent, created, modified, mode, text, author, email, "
                    "website FROM comments ORDER BY tid, id"
                )
                for (
                    number,
                    tid,
                    parent,
                    created,
                    modified,
                    mode,
                    text,
                    author,
                    email,
                    website,
                ) in connection.execute(query):
                    found = threads.get(tid)
                    yield SourceComment(
                        ref=f"isso:{site}:{number}",
                        site=site,
                        thread=found.key if found is not None else "",
                        parent=f"isso:{site}:{parent}" if parent is not None else None,
                        status="deleted" if mode == 4 else _MODES.get(mode, "pending"),
                        created_at=_time(created),
                        edited_at=_time(modified),
                        author=clean_author(author if isinstance(author, str) else None),
                        email=clean_email(email if isinstance(email, str) else None),
                        website=clean_website(website if isinstance(website, str) else None),
                        text=clean_text(text if isinstance(text, str) else ""),
                        placeholder_only="deleted in Isso" if mode == 4 else None,
                    )
            except sqlite3.Error as exc:
                raise MalformedFile(f"{self.path} is not an Isso database: {exc}") from exc
