"""``sharekit import isso``: an Isso database, created here with Isso's own schema."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sharekit.comments.text import render
from tests.porting_support import (
    any_database,
    by_source,
    listing,
    page,
    read,
    run,
    settings_of,
    write_config,
)

__all__ = ["any_database"]

# The tables as Isso (isso/db/*.py) creates them.
SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER NOT NULL DEFAULT 0);
"""

MAY_1 = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC).timestamp()
HOUR = 3600.0

THREADS = [(1, "/2024/05/hallo-welt/", "Hallo Welt"), (2, "/%C3%BCber-uns/", "Über uns")]
# tid, id, parent, created, modified, mode, remote_addr, text, author, email, website
COMMENTS = [
    (1, 1, None, MAY_1, None, 1, "192.0.2.0", "Das ist *Markdown* mit Ümläuten 🎉",
     "Jürgen", "juergen@example.org", "https://jmueller.example"),
    (1, 2, 1, MAY_1 + HOUR, MAY_1 + 2 * HOUR, 1, "192.0.2.0", "Stimmt!\n\n- eins\n- zwei",
     "Anna", "anna@example.org", None),
    (1, 3, None, MAY_1 + 3 * HOUR, None, 2, "192.0.2.0", "Noch nicht freigegeben.",
     "Björn", None, None),
    (1, 4, None, MAY_1 + 4 * HOUR, None, 4, "192.0.2.0", "", None, None, None),
    (1, 5, 4, MAY_1 + 5 * HOUR, None, 1, "192.0.2.0", "Antwort auf Gelöschtes.",
     "Anna", "anna@example.org", None),
    (1, 6, None, MAY_1 + 6 * HOUR, None, 4, "192.0.2.0", "", None, None, None),
    (2, 7, None, MAY_1 + 7 * HOUR, None, 1, "192.0.2.0", "Ohne Namen.", None, None,
     "javascript:alert(1)"),
    (2, 8, None, MAY_1 + 8 * HOUR, None, 1, "192.0.2.0", "   ", "Leer", None, None),
]  # fmt: skip


def make_isso(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", THREADS)
        db.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, "
            "text, author, email, website, voters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, b"\x00" * 32) for row in COMMENTS],
        )
        db.commit()
    return path


@pytest.fixture
def isso(tmp_path: Path) -> Path:
    return make_isso(tmp_path / "comments.db")


def test_threads_comments_and_states(
    any_database: str, tmp_path: Path, isso: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", any_database)
    code, out, err = run(capsys, "import", "isso", isso, "--config", config)
    assert code == 0, err
    assert out.splitlines() == [
        "imported 6 comments in 2 threads (one deleted in the source, kept as a placeholder "
        "for its replies)",
        "skipped 2 comments:",
        "  1 deleted in Isso (e.g. isso:blog:6)",
        "  1 invalid: empty text (e.g. isso:blog:8)",
    ]
    stored, threads = read(any_database)
    # Isso's uri is the key as it is; the url is that path on the site's origin.
    assert [(t.key, t.url, t.title) for t in threads] == [
        ("/2024/05/hallo-welt/", "https://blog.example/2024/05/hallo-welt/", "Hallo Welt"),
        ("/%C3%BCber-uns/", "https://blog.example/%C3%BCber-uns/", "Über uns"),
    ]
    assert threads[0].created_at == datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
    c = by_source(stored)
    assert {source: comment.status for source, comment in c.items()} == {
        "isso:blog:1": "approved",
        "isso:blog:2": "approved",
        "isso:blog:3": "pending",
        "isso:blog:4": "deleted",
        "isso:blog:5": "approved",
        "isso:blog:7": "approved",
    }
    first, reply = c["isso:blog:1"], c["isso:blog:2"]
    assert first.text == "Das ist *Markdown* mit Ümläuten 🎉"  # kept as written
    assert first.html == render(first.text)
    assert first.created_at == datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert (reply.parent_id, reply.depth) == (first.id, 1)
    assert reply.edited_at == datetime(2024, 5, 1, 14, 0, 0, 250000, tzinfo=UTC)
    assert c["isso:blog:5"].parent_id == c["isso:blog:4"].id
    nameless = c["isso:blog:7"]
    assert (nameless.author, nameless.website) == ("Anonymous", None)


def test_markdown_sites_render_isso_markdown(
    tmp_path: Path, isso: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", comments_markdown=True)
    run(capsys, "import", "isso", isso, "--config", config)
    c = by_source(read(settings_of(config).database_url)[0])
    assert "<em>Markdown</em>" in c["isso:blog:1"].html
    assert "<li>eins</li>" in c["isso:blog:2"].html


def test_rerun_dry_run_and_listing(
    tmp_path: Path, isso: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml")
    code, out, _ = run(capsys, "import", "isso", isso, "--dry-run", "--config", config)
    assert code == 0
    assert "would import 6 comments in 2 threads" in out
    assert not (tmp_path / "sharekit.db").exists()
    run(capsys, "import", "isso", isso, "--config", config)
    code, out, _ = run(capsys, "import", "isso", isso, "--config", config)
    assert "imported 0 comments in 0 threads" in out
    assert "  6 already imported" in out
    settings = settings_of(config)
    listed = listing(settings, "/2024/05/hallo-welt/")
    shown = [(c["author"], c["status"]) for c in listed["comments"]]
    assert [author for author, status in shown if status == "approved"] == [
        "Jürgen",
        "Anna",
        "Anna",
    ]
    assert {author for author, status in shown if status != "approved"} <= {""}
    fragment = page(settings, "/2024/05/hallo-welt/")
    assert "Ümläuten 🎉" in fragment
    assert "@example.org" not in fragment
    assert "@example.org" not in str(listed)


def test_the_isso_file_is_only_read(
    tmp_path: Path, isso: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = isso.read_bytes()
    run(capsys, "import", "isso", isso, "--config", write_config(tmp_path / "sharekit.toml"))
    assert isso.read_bytes() == before


def test_not_an_isso_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "sharekit.toml")
    text = tmp_path / "notes.txt"
    text.write_text("Das ist keine Datenbank. " * 100, encoding="utf-8")
    code, _, err = run(capsys, "import", "isso", text, "--config", config)
    assert code == 2
    assert err == (
        f"sharekit import: error: {text} is not an Isso database: file is not a database\n"
    )
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR, title VARCHAR)")
    code, _, err = run(capsys, "import", "isso", other, "--config", config)
    assert code == 2
    assert err.endswith("is not an Isso database: it has no table 'comments'\n")
    code, _, err = run(capsys, "import", "isso", tmp_path / "nope.db", "--config", config)
    assert code == 2
    assert "cannot read" in err
    assert "no such file" in err
    assert not (tmp_path / "sharekit.db").exists()
