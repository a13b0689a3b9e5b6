"""A thread of 100,000 comments pages without being loaded whole (SQLite).

The comments are written straight into the database file (``executemany``, a few seconds),
after one comment posted through the app made the schema, the site and the thread. Then
pages are asked for through the app as a visitor's browser would, and every statement the
app runs against the ``comments`` table is recorded with the rows the database handed
back. What is asserted:

* the first page, a page in the middle (by cursor) and the last page each read about one
  page of comments: the page's roots plus one (to know another page exists) and their
  replies, never the thread;
* a page of the 100,000-comment thread reads the same number of rows as a page of a
  10-comment thread (rows, not time: the machine is shared);
* SQLite's query plan for every one of those statements walks an index, with no full scan
  of the comments and no temporary sort (a LIMIT alone would still let it sort everything).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from sharekit import create_app
from sharekit.storage.cursors import Position, encode
from tests.comments_support import JSON_EN, make_settings, submission

pytestmark = pytest.mark.slow

BIG = 100_000
SMALL = 10
PAGE = 5
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Reads:
    """The statements run against ``comments`` and the rows each returned."""

    statements: list[tuple[str, Any, int]] = field(default_factory=list)

    def record(self, _: Any, cursor: Any, statement: str, parameters: Any, *__: Any) -> None:
        if "FROM comments" in statement:
            # The async adapters fetch a result whole into ``_rows`` right after executing.
            self.statements.append((statement, parameters, len(cursor._rows)))

    @property
    def rows(self) -> int:
        return sum(rows for _, _, rows in self.statements)


def _fill(database: Path, thread: str, count: int) -> None:
    """Add ``count - 1`` comments to ``thread`` next to its first one: every tenth a reply
    to the root before it, the others roots, a second apart."""
    with closing(sqlite3.connect(database)) as db:
        first = db.execute(
            "SELECT c.* FROM comments c JOIN threads t ON t.id = c.thread_id WHERE t.key = ?",
            (thread,),
        ).fetchone()
        names = [column[0] for column in db.execute("SELECT * FROM comments").description]
        template = dict(zip(names, first, strict=True))
        del template["id"]
        columns = list(template)
        rows = []
        root_id = None
        next_id = int(db.execute("SELECT max(id) FROM comments").fetchone()[0]) + 1
        for number in range(1, count):
            when = (T0 + timedelta(seconds=number)).strftime("%Y-%m-%d %H:%M:%S.%f")
            reply = number % 10 == 9 and root_id is not None
            values = {
                **template,
                "text": f"Comment {number}",
                "html": f"<p>Comment {number}</p>",
                "text_hash": hashlib.sha256(f"{thread}{number}".encode()).hexdigest(),
                "created_at": when,
                "parent_id": root_id if reply else None,
                "root_id": root_id if reply else None,
                "depth": 1 if reply else 0,
            }
            if not reply:
                root_id = next_id
            rows.append(tuple(values[column] for column in columns))
            next_id += 1
        marks = ", ".join("?" for _ in columns)
        db.executemany(f"INSERT INTO comments ({', '.join(columns)}) VALUES ({marks})", rows)
        db.commit()
        assert db.execute("SELECT count(*) FROM comments").fetchone()[0] >= count


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Reads, Path]]:
    data = tmp_path_factory.mktemp("big")
    app = create_app(make_settings(data, comments_page_size=PAGE, comments_moderation="off"))
    reads = Reads()
    with TestClient(app, raise_server_exceptions=False) as client:
        for thread in ("big", "small"):
            body = submission(app, thread, text=f"The first comment of {thread}.")
            assert client.post("/comments", json=body, headers=JSON_EN).status_code == 201
        database = data / "sharekit.db"
        _fill(database, "big", BIG)
        _fill(database, "small", SMALL)
        engine = app.state.sharekit.database.engine.sync_engine
        event.listen(engine, "after_cursor_execute", reads.record)
        yield client, reads, database
        event.remove(engine, "after_cursor_execute", reads.record)


def _page(
    client: TestClient, reads: Reads, thread: str, after: str | None = None
) -> tuple[dict[str, Any], int, list[tuple[str, Any, int]]]:
    """One page of ``thread`` as JSON, the comment rows it read and the statements."""
    reads.statements.clear()
    client.app.state.sharekit.comments.listings.clear()  # type: ignore[attr-defined]
    params = {"site": "blog", "format": "json", **({"after": after} if after else {})}
    response = client.get(f"/threads/{thread}/comments", params=params)
    assert response.status_code == 200, response.text
    return response.json(), reads.rows, list(reads.statements)


def _shown(page: dict[str, Any]) -> int:
    return len(page["comments"])


def _cursor_at(database: Path, thread: str, number: int) -> str:
    """The cursor of the page after the ``number``-th comment (a root) of ``thread``."""
    with closing(sqlite3.connect(database)) as db:
        comment_id, created = db.execute(
            "SELECT c.id, c.created_at FROM comments c JOIN threads t ON t.id = c.thread_id "
            "WHERE t.key = ? AND c.text = ?",
            (thread, f"Comment {number}"),
        ).fetchone()
    when = datetime.fromisoformat(created).replace(tzinfo=UTC)
    return encode(Position(when, comment_id), newest_first=False)


def _assert_indexed(database: Path, statements: list[tuple[str, Any, int]]) -> None:
    with closing(sqlite3.connect(database)) as db:
        for statement, parameters, _ in statements:
            plan = [row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            for step in plan:
                assert "TEMP B-TREE" not in step, (statement, plan)
                if step.startswith("SCAN comments"):
                    assert " USING " in step, (statement, plan)
                    assert "INDEX" in step, (statement, plan)


def test_pages_of_a_huge_thread_read_one_page_of_rows(
    site: tuple[TestClient, Reads, Path],
) -> None:
    client, reads, database = site
    # A bound that holds for any page: the roots plus one, and the replies of every root.
    bound = (PAGE + 1) * 2
    first, first_rows, first_statements = _page(client, reads, "big")
    assert first["next"] is not None
    assert 1 <= _shown(first) <= first_rows <= bound
    # A page in the middle of the thread, by cursor, and the one after it.
    middle, middle_rows, middle_statements = _page(
        client, reads, "big", _cursor_at(database, "big", BIG // 2)
    )
    assert middle["comments"][0]["html"] == f"<p>Comment {BIG // 2 + 1}</p>"
    assert middle_rows <= bound
    following, following_rows, _ = _page(client, reads, "big", middle["next"])
    assert following_rows <= bound
    assert following["comments"][0]["id"] > middle["comments"][-1]["id"]
    # The last page: the thread's newest root, no next page.
    last, last_rows, _ = _page(client, reads, "big", _cursor_at(database, "big", BIG - 3))
    assert last["next"] is None
    assert last_rows <= bound
    _assert_indexed(database, first_statements + middle_statements)


def test_a_page_costs_the_same_for_10_and_100000_comments(
    site: tuple[TestClient, Reads, Path],
) -> None:
    client, reads, _ = site
    small, small_rows, small_statements = _page(client, reads, "small")
    big, big_rows, big_statements = _page(client, reads, "big")
    assert _shown(small) == _shown(big)  # the same shape of page: 5 roots, their replies
    assert big_rows == small_rows
    assert len(big_statements) == len(small_statements)
