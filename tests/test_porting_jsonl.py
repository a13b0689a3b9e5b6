"""``sharekit export`` and ``sharekit import sharekit``: the documented format, a lossless and
byte-identical round trip on SQLite and PostgreSQL, restores that keep ids, merges that do
not, and clear errors for files that are not what they claim."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from dataclasses import astuple, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sharekit import __version__
from sharekit.comments.identicon import avatar_key
from sharekit.comments.text import render, text_hash
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.records import StoredComment
from sharekit.storage.shares import ShareCounts
from tests.porting_support import (
    DATA,
    SECRET,
    by_source,
    database_of,
    listing,
    read,
    run,
    write_config,
)

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


async def _live(url: str) -> None:
    """What the service itself writes: a comment with consent, its reply subscription,
    an edit, a deleted comment with a reply, and share counts."""
    database = Database(url)
    store = CommentStore(database)
    try:

        async def add(text: str, **options: Any) -> StoredComment:
            author = options.pop("author", "Ana Ñúñez")
            email = options.pop("email", "ana@example.org")
            values: dict[str, Any] = {
                "parent_id": None,
                "author": author,
                "email": email,
                "author_key": avatar_key(SECRET, options.get("site", "blog"), email, author),
                "website": None,
                "text": text,
                "html": render(text),
                "status": "approved",
                "client_key": "a-daily-network-hash",
                "consent_at": None,
                "text_hash": text_hash(text),
                "max_depth": 3,
                "now": T0,
            }
            values.update(options)
            site = values.pop("site", "blog")
            thread = values.pop("thread", "/live/")
            return await store.add(
                site, thread, f"https://blog.example{thread}", "Live ✓", **values
            )

        first = await add("Live geschrieben, mit Zustimmung.", consent_at=T0, subscribe=True)
        edited = "Live geschrieben \u2013 und bearbeitet."
        await store.update_text(
            first.id, edited, render(edited), text_hash(edited), T0 + timedelta(minutes=3)
        )
        gone = await add("Wird gelöscht.", author="Bo", email=None)
        await add("Antwort bleibt.", parent_id=gone.id, now=T0 + timedelta(hours=1))
        await store.delete(gone.id)
        await add("Auf der anderen Seite.", site="other", thread="/x/")
        shares = ShareCounts(database)
        for client in ("a", "b", "c"):
            await shares.add(
                "blog", "https://blog.example/live/", "mastodon", client, date(2026, 5, 1)
            )
        await shares.add("blog", "https://blog.example/live/", "bluesky", "a", date(2026, 5, 2))
    finally:
        await database.close()


def populate(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database with every kind of row, from imports and from the service itself."""
    config = write_config(tmp_path / "source.toml", url, sites=("blog", "other"))
    assert (
        run(capsys, "import", "wxr", DATA / "wordpress.xml", "--site", "blog", "--config", config)[
            0
        ]
        == 0
    )
    assert (
        run(
            capsys, "import", "disqus", DATA / "disqus.xml", "--site", "other", "--config", config
        )[0]
        == 0
    )
    asyncio.run(_live(url))
    return config


def _essence(comment: StoredComment) -> tuple[Any, ...]:
    """Everything an export carries. Not: thread ids (the database's own business), the
    network hash, and the text hash a deleted placeholder keeps of its erased text."""
    erased = comment.status == "deleted"
    return astuple(
        replace(
            comment,
            thread_id=0,
            client_key=None,
            text_hash="" if erased else comment.text_hash,
        )
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_export_import_export_is_byte_identical(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        database_of(backend, tmp_path / "a") as first,
        database_of(backend, tmp_path / "b") as second,
    ):
        source = populate(first, tmp_path, capsys)
        exported = tmp_path / "first.jsonl"
        code, out, err = run(capsys, "export", "-o", exported, "--config", source)
        assert code == 0
        assert out == ""
        assert err == (
            "exported 2 sites, 7 threads, 22 comments, 1 reply subscription and 2 share counts\n"
        )
        target = write_config(tmp_path / "target.toml", second, sites=("blog", "other"))
        code, out, err = run(capsys, "import", "sharekit", exported, "--config", target)
        assert code == 0, err
        assert out.splitlines() == [
            "imported 22 comments in 7 threads",
            "the comments kept their ids (the database held no other comments)",
            "imported 1 reply subscription and 4 shares",
        ]
        code, again, _ = run(capsys, "export", "--config", target)
        assert code == 0
        assert again.encode() == exported.read_bytes()
        originals, copies = read(first)[0], read(second)[0]
        assert [_essence(c) for c in copies] == [_essence(c) for c in originals]
        # Re-running the restore adds nothing; the export stays the same.
        code, out, _ = run(capsys, "import", "sharekit", exported, "--config", target)
        assert out.splitlines()[:3] == [
            "imported 0 comments in 0 threads",
            "skipped 22 comments:",
            "  22 already imported",
        ]
        assert run(capsys, "export", "--config", target)[1].encode() == exported.read_bytes()
        # New comments continue after the restored ids (PostgreSQL: the sequence moved on).
        newest = max(c.id for c in copies)

        async def post() -> int:
            database = Database(second)
            try:
                stored = await CommentStore(database).add(
                    "blog", "/live/", "https://blog.example/live/", "Live", parent_id=None,
                    author="Neu", email=None, author_key="k" * 64, website=None,
                    text="Nach der Wiederherstellung.", html="<p>x</p>", status="approved",
                    client_key=None, consent_at=None, text_hash=text_hash("nach"), max_depth=3,
                    now=T0,
                )  # fmt: skip
                return stored.id
            finally:
                await database.close()

        assert asyncio.run(post()) == newest + 1


def test_the_file_is_documented_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    code, out, _ = run(capsys, "export", "--config", config)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == {
        "format": "sharekit-export",
        "version": 1,
        "type": "header",
        "generator": f"sharekit {__version__}",
        "site": None,
    }
    kinds = [line["type"] for line in lines[1:]]
    assert kinds == sorted(
        kinds, key=["site", "thread", "comment", "subscription", "shares"].index
    )
    comments = [line for line in lines if line["type"] == "comment"]
    assert [c["id"] for c in comments] == sorted(c["id"] for c in comments)
    first = next(c for c in comments if c["source"] == "wxr:blog:12:101")
    assert list(first) == [
        "type", "id", "site", "thread", "parent", "status", "created_at", "edited_at",
        "author", "email", "website", "author_key", "consent_at", "text", "html", "source",
    ]  # fmt: skip
    assert first["created_at"] == "2024-05-01T12:00:00Z"
    assert first["thread"] == "/2024/05/hallo-welt/"
    assert first["parent"] is None
    assert "Schöner Beitrag! 😀" in first["text"]  # UTF-8, not \\u escapes
    assert "Schöner Beitrag! 😀" in out
    live = next(c for c in comments if c["text"].startswith("Live geschrieben"))
    assert live["consent_at"] == "2026-05-01T12:00:00.123456Z"
    assert live["edited_at"] == "2026-05-01T12:03:00.123456Z"
    assert live["source"] is None
    assert all(
        "client_key" not in c and "depth" not in c and "text_hash" not in c for c in comments
    )
    assert "a-daily-network-hash" not in out
    placeholder = next(c for c in comments if c["status"] == "deleted" and c["source"] is None)
    assert (placeholder["author"], placeholder["email"], placeholder["text"]) == ("", None, "")
    assert {"type": "subscription", "site": "blog", "thread": "/live/",
            "email": "ana@example.org", "created_at": "2026-05-01T12:00:00.123456Z",
            "confirmed_at": None} in lines  # fmt: skip
    assert {"type": "shares", "site": "blog", "url": "https://blog.example/live/",
            "network": "mastodon", "day": "2026-05-01", "count": 3} in lines  # fmt: skip
    threads = [(line["site"], line["key"]) for line in lines if line["type"] == "thread"]
    assert threads == sorted(threads)


def test_export_to_a_file_is_atomic_and_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    target = tmp_path / "out" / "export.jsonl"
    code, _, err = run(capsys, "export", "-o", target, "--config", config)
    assert code == 2
    assert err.startswith(f"sharekit export: error: cannot write {target}: No such file")
    target.parent.mkdir()
    target.write_text("the previous export\n", encoding="utf-8")
    assert run(capsys, "export", "-o", target, "--config", config)[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["export.jsonl"]
    assert target.read_bytes() == run(capsys, "export", "--config", config)[1].encode()


def test_export_of_one_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    code, out, err = run(capsys, "export", "--site", "other", "--config", config)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["site"] == "other"
    assert {line["site"] for line in lines[1:] if "site" in line} == {"other"}
    assert {line["key"] for line in lines if line["type"] == "site"} == {"other"}
    assert err.startswith("exported 1 site, 3 threads, 7 comments")
    code, _, err = run(capsys, "export", "--site", "nope", "--config", config)
    assert code == 2
    assert "--site 'nope' is not a configured site" in err


def test_an_empty_database_exports_a_header_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml")
    code, out, _ = run(capsys, "export", "--config", config)
    assert code == 0
    assert out.count("\n") == 1
    assert '"format":"sharekit-export"' in out
    assert not (tmp_path / "sharekit.db").exists()


def test_a_merge_gives_new_ids_and_a_rerun_adds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    exported = tmp_path / "a.jsonl"
    run(capsys, "export", "-o", exported, "--config", config)
    # Another database that already has comments of its own.
    other = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    target = write_config(tmp_path / "c.toml", other, sites=("blog", "other"))
    run(capsys, "import", "isso", _isso(tmp_path), "--site", "blog", "--config", target)
    own = read(other)[0]
    code, out, _ = run(capsys, "import", "sharekit", exported, "--config", target)
    assert code == 0
    assert out.splitlines()[0] == "imported 22 comments in 7 threads"
    assert "kept their ids" not in out
    merged = read(other)[0]
    assert [c.id for c in merged[: len(own)]] == [c.id for c in own]
    originals = read(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")[0]
    copies = merged[len(own) :]
    assert [c.id for c in copies] == [c.id + len(own) for c in originals]
    by_text = {c.text: c for c in copies}
    for original in originals:
        copy = by_text[original.text] if original.text else None
        if copy is None:
            continue
        parent = next((o for o in originals if o.id == original.parent_id), None)
        assert (copy.depth, copy.created_at, copy.status) == (
            original.depth, original.created_at, original.status,
        )  # fmt: skip
        if parent is not None and parent.text:
            assert copy.parent_id == by_text[parent.text].id
    live = by_text["Live geschrieben \u2013 und bearbeitet."]
    assert live.source == f"sharekit:blog:{live.id - len(own)}:20260501T120000.123456Z"
    assert by_source(copies)["wxr:blog:12:101"].text.startswith("Schöner Beitrag!")
    code, out, _ = run(capsys, "import", "sharekit", exported, "--config", target)
    assert out.splitlines()[:3] == [
        "imported 0 comments in 0 threads",
        "skipped 22 comments:",
        "  22 already imported",
    ]
    assert len(read(other)[0]) == len(merged)


def _isso(tmp_path: Path) -> Path:
    from tests.test_porting_isso import make_isso

    return make_isso(tmp_path / "isso.db")


def test_an_interrupted_restore_continues_with_the_same_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    exported = tmp_path / "a.jsonl"
    run(capsys, "export", "-o", exported, "--config", config)
    lines = exported.read_bytes().splitlines(keepends=True)
    partial = tmp_path / "partial.jsonl"
    partial.write_bytes(b"".join(lines[:20]))  # as if the first batches had been written
    target = write_config(tmp_path / "b.toml", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
                          sites=("blog", "other"))  # fmt: skip
    code, out, _ = run(capsys, "import", "sharekit", partial, "--config", target)
    assert code == 0
    assert "kept their ids" in out
    code, out, _ = run(capsys, "import", "sharekit", exported, "--config", target)
    assert code == 0
    assert "kept their ids" in out
    assert "already imported" in out
    assert run(capsys, "export", "--config", target)[1].encode() == exported.read_bytes()


def test_only_html_this_renderer_makes_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    _code, out, _ = run(capsys, "export", "--config", config)
    lines = [json.loads(line) for line in out.splitlines()]
    comments = [line for line in lines if line["type"] == "comment" and line["text"]]
    comments[0]["html"] = '<p onclick="steal()">Hallo</p><script>steal()</script>'
    comments[1]["text"] = "*Markdown* damals"
    comments[1]["html"] = render("*Markdown* damals", markdown=True)  # the setting changed
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    target = write_config(tmp_path / "b.toml", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}",
                          sites=("blog", "other"))  # fmt: skip
    assert run(capsys, "import", "sharekit", tampered, "--config", target)[0] == 0
    stored = {c.id: c for c in read(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")[0]}
    assert stored[comments[0]["id"]].html == render(comments[0]["text"])
    assert stored[comments[1]["id"]].html == "<p><em>Markdown</em> damals</p>"


def test_import_of_one_site_and_of_unconfigured_sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = populate(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path, capsys)
    exported = tmp_path / "a.jsonl"
    run(capsys, "export", "-o", exported, "--config", config)
    target = write_config(tmp_path / "b.toml", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    code, _, err = run(capsys, "import", "sharekit", exported, "--config", target)
    assert code == 2
    assert err == (
        "sharekit import: error: the file has records of the site 'other', which is not "
        "configured (configured: blog); add it to the settings, or import another site alone "
        "with --site\n"
    )
    assert not (tmp_path / "b.db").exists()
    code, out, _ = run(
        capsys, "import", "sharekit", exported, "--site", "blog", "--config", target
    )
    assert code == 0
    assert out.splitlines()[0] == "imported 15 comments in 4 threads"
    assert "  7 of another site than --site" in out
    listed = listing(Settings_of(target), "/live/")
    # The live comment, the placeholder of the deleted one, and the reply it keeps.
    assert [(c["author"], c["status"]) for c in listed["comments"]] == [
        ("Ana Ñúñez", "approved"),
        ("", "deleted"),
        ("Ana Ñúñez", "approved"),
    ]
    assert "ana@example.org" not in str(listed)


def Settings_of(config: Path) -> Any:
    from sharekit import Settings

    return Settings.load(config)


HEADER = '{"format":"sharekit-export","version":1,"type":"header"}\n'
THREAD = (
    '{"type":"thread","site":"blog","key":"/a/","url":"https://blog.example/a/",'
    '"title":"A","created_at":"2026-05-01T12:00:00Z"}\n'
)


def _comment(**changes: Any) -> str:
    values = {
        "type": "comment", "id": 1, "site": "blog", "thread": "/a/", "parent": None,
        "status": "approved", "created_at": "2026-05-01T12:00:00Z", "edited_at": None,
        "author": "Ana", "email": "ana@example.org", "website": None, "author_key": "k" * 64,
        "consent_at": None, "text": "Hallo", "html": "<p>Hallo</p>", "source": None,
    }  # fmt: skip
    values.update(changes)
    return json.dumps(values) + "\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: a sharekit export has a header line"),
        (THREAD, "is not a sharekit export: its first line must be the header "
                 '{"format": "sharekit-export", "version": 1, …}'),
        (HEADER.replace('"version":1', '"version":2'), "was written by a newer sharekit "
         "(format version 2); this one reads version 1: upgrade sharekit to import it"),
        (HEADER + THREAD + '{"type": "comment", ', "line 3: not valid JSON"),
        (HEADER + '{"type":"vote"}\n', "line 2: unknown record type 'vote'"),
        (HEADER + THREAD + _comment(status="hidden"), "line 3: comment.status: Input should "
         "be 'pending', 'approved', 'spam' or 'deleted'"),
        (HEADER + THREAD + _comment(email="x" * 250 + "@example.org"),
         "line 3: comment.email: String should have at most 254 characters"),
        (HEADER + THREAD + _comment(created_at="2026-05-01 12:00"),
         "line 3: comment.created_at: Input should have timezone info"),
        (HEADER + HEADER, "line 2: a second header"),
    ],
)  # fmt: skip
def test_malformed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    config = write_config(tmp_path / "sharekit.toml")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "import", "sharekit", broken, "--config", config)
    assert code == 2
    assert err.startswith(f"sharekit import: error: {broken}")
    assert message in err
    assert err.count("\n") == 1
    assert "example.org" not in err
    assert out == ""
    assert not (tmp_path / "sharekit.db").exists()


def test_a_minimal_file_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "sharekit.toml")
    minimal = tmp_path / "minimal.jsonl"
    reply = _comment(
        id=2, parent=1, text="Antwort", html="", created_at="2026-05-01T13:00:00+02:00"
    )
    # With a byte order mark, as some editors write, and a blank line at the end.
    minimal.write_text("\ufeff" + HEADER + THREAD + _comment() + reply + "\n", encoding="utf-8")
    code, _out, err = run(capsys, "import", "sharekit", minimal, "--config", config)
    assert code == 0, err
    stored = read(f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}")[0]
    assert [(c.id, c.parent_id, c.depth, c.html) for c in stored] == [
        (1, None, 0, "<p>Hallo</p>"),
        (2, 1, 1, "<p>Antwort</p>"),  # no html in the file: rendered here
    ]
    assert stored[1].created_at == datetime(2026, 5, 1, 11, tzinfo=UTC)  # read in UTC
