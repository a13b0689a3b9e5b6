"""The import logic the formats share: replies in any order, loops, placeholders, duplicates,
batches, progress and interruption."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sharekit.cli import main
from sharekit.cli.porting import Progress
from sharekit.comments.text import text_hash
from sharekit.porting.importer import BATCH, Importer, Options
from sharekit.porting.items import Item, SourceComment, SourceThread
from sharekit.porting.summary import Summary
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.porting import PortingStore
from sharekit.storage.porting_rows import (
    Batch,
    BatchResult,
    Conflict,
    NewComment,
    NewThread,
    SiteRow,
)
from sharekit.storage.records import StoredComment
from tests.porting_support import SECRET, by_source, database_of, read, run, write_config

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class ListReader:
    """Items from a list, as a reader of a file would give them."""

    format = "test"

    def __init__(self, items: Sequence[Item]) -> None:
        self.list = list(items)

    def items(self) -> Iterator[Item]:
        return iter(self.list)


def thread(key: str = "/a/") -> SourceThread:
    return SourceThread("blog", key, f"https://blog.example{key}", key.strip("/"))


def comment(ref: str, parent: str | None = None, **changes: object) -> SourceComment:
    values: dict[str, object] = {
        "ref": f"test:{ref}",
        "site": "blog",
        "thread": "/a/",
        "parent": f"test:{parent}" if parent else None,
        "status": "approved",
        "created_at": T0 + timedelta(minutes=len(ref) + ord(ref[-1])),
        "author": f"Autor {ref}",
        "email": None,
        "website": None,
        "text": f"Kommentar {ref}",
    }
    values.update(changes)
    return SourceComment(**values)  # type: ignore[arg-type]


def options(**changes: object) -> Options:
    values: dict[str, object] = {"sites": frozenset({"blog"}), "now": T0, "secret": SECRET}
    values.update(changes)
    return Options(**values)  # type: ignore[arg-type]


def import_items(
    tmp_path: Path, items: Sequence[Item], **changes: object
) -> tuple[Summary, dict[str, StoredComment]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"

    async def work() -> Summary:
        database = Database(url)
        try:
            return await Importer(PortingStore(database), options(**changes)).run(
                ListReader(items)
            )
        finally:
            await database.close()

    summary = asyncio.run(work())
    stored = by_source(read(url)[0]) if (tmp_path / "sharekit.db").exists() else {}
    return summary, stored


def test_replies_before_their_parents_and_loops(tmp_path: Path) -> None:
    summary, stored = import_items(
        tmp_path,
        [
            thread(),
            comment("c", "b"),
            comment("b", "a"),
            comment("a"),
            comment("x", "y"),  # x and y reply to each other: neither can be placed
            comment("y", "x"),
            comment("self", "self"),
        ],
    )
    assert summary.imported == 3
    assert summary.skipped == {"parent missing: the comment it replies to is not in the file": 3}
    a, b, c = stored["test:a"], stored["test:b"], stored["test:c"]
    assert (b.parent_id, c.parent_id, c.depth, c.root_id) == (a.id, b.id, 2, a.id)
    assert a.id < b.id < c.id  # parents are written first


def test_a_parent_in_another_thread_is_missing(tmp_path: Path) -> None:
    summary, stored = import_items(
        tmp_path, [thread(), thread("/b/"), comment("a"), comment("b", "a", thread="/b/")]
    )
    assert "test:b" not in stored
    assert summary.skipped == {"parent missing: the comment it replies to is not in the file": 1}


def test_chains_of_deleted_comments_become_placeholders_only_as_needed(tmp_path: Path) -> None:
    deleted = {"status": "deleted", "placeholder_only": "deleted in the test"}
    summary, stored = import_items(
        tmp_path,
        [
            thread(),
            comment("reply", "inner"),  # before both of the deleted comments it needs
            comment("outer", **deleted),
            comment("inner", "outer", **deleted),
            comment("unused", **deleted),
        ],
    )
    assert (summary.imported, summary.placeholders) == (3, 2)
    assert summary.skipped == {"deleted in the test": 1}
    outer, inner, reply = stored["test:outer"], stored["test:inner"], stored["test:reply"]
    assert (outer.status, outer.author, outer.text, outer.html) == ("deleted", "", "", "")
    assert (inner.parent_id, reply.parent_id, reply.depth) == (outer.id, inner.id, 2)
    assert outer.author_key != inner.author_key  # random: never a duplicate


def test_duplicates_in_the_file_and_their_replies(tmp_path: Path) -> None:
    summary, stored = import_items(
        tmp_path,
        [
            thread(),
            comment("a", text="Gleich"),
            comment("b", text="  gleich ", author="Autor a"),  # same author, same text
            comment("c", "b"),
            comment("a", text="zweimal"),
        ],
    )
    assert summary.imported == 2
    assert summary.skipped == {
        "duplicate: the same author and text are already in the thread": 1,
        "invalid: the same comment twice in the file": 1,
    }
    assert stored["test:c"].parent_id == stored["test:a"].id  # under the original


def test_problems_and_skips_pass_replies_to_the_parent(tmp_path: Path) -> None:
    summary, stored = import_items(
        tmp_path,
        [
            thread(),
            comment("a"),
            comment("bad", "a", created_at=None),
            comment("ping", "bad", skip="a pingback, not a comment"),
            comment("c", "ping"),
            comment("lost", thread="/nowhere/"),
        ],
    )
    assert stored["test:c"].parent_id == stored["test:a"].id
    assert summary.skipped == {
        "invalid: no valid date": 1,
        "a pingback, not a comment": 1,
        "invalid: its thread is not in the file": 1,
    }
    assert summary.examples["invalid: no valid date"] == ["test:bad"]


def test_depth_zero_keeps_everything_at_the_top(tmp_path: Path) -> None:
    _, stored = import_items(
        tmp_path, [thread(), comment("a"), comment("b", "a"), comment("c", "b")], max_depth=0
    )
    assert {(c.parent_id, c.depth) for c in stored.values()} == {(None, 0)}


def _big_wxr(path: Path, count: int) -> Path:
    comments = []
    for number in range(1, count + 1):
        parent = number - 7 if number % 3 == 0 and number > 7 else 0
        comments.append(
            f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
            f"<wp:comment_author>Leser {number % 17}</wp:comment_author>"
            f"<wp:comment_author_email>leser{number % 17}@example.org</wp:comment_author_email>"
            f"<wp:comment_date_gmt>2024-01-01 {number // 3600 % 24:02}:{number // 60 % 60:02}:"
            f"{number % 60:02}</wp:comment_date_gmt>"
            f"<wp:comment_content>Kommentar Nummer {number} \u2013 schön!</wp:comment_content>"
            f"<wp:comment_approved>1</wp:comment_approved>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>Viel</title>'
        "<link>https://blog.example/viel/</link><wp:post_id>1</wp:post_id>"
        + "".join(comments)
        + "</item></channel></rss>",
        encoding="utf-8",
    )
    return path


def test_batches_progress_and_an_interruption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 2 * BATCH + 200
    wxr = _big_wxr(tmp_path / "big.xml", count)
    config = write_config(tmp_path / "sharekit.toml")
    original = PortingStore.write
    calls = []

    async def interrupted(self: PortingStore, batch: Batch) -> BatchResult:
        calls.append(len(batch.comments))
        if len(calls) == 2:  # Ctrl+C while the second batch is on its way
            raise KeyboardInterrupt
        return await original(self, batch)

    monkeypatch.setattr(PortingStore, "write", interrupted)
    code, out, err = run(capsys, "import", "wxr", wxr, "--config", config)
    assert code == 130
    assert out == ""
    assert err == (
        f"sharekit import: interrupted after {BATCH} comments were written, in whole batches; "
        "run the same command again to import the rest\n"
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"
    assert len(read(url)[0]) == BATCH  # the first batch, whole; nothing of the second
    monkeypatch.setattr(PortingStore, "write", original)
    code, out, err = run(capsys, "import", "wxr", wxr, "--config", config)
    assert code == 0
    assert out.splitlines() == [
        f"imported {count - BATCH} comments in 1 thread",
        f"skipped {BATCH} comments:",
        f"  {BATCH} already imported",
    ]
    assert err == f"1000 of {count} comments\n"  # not a terminal: a line per 1,000
    stored = by_source(read(url)[0])
    assert len(stored) == count
    for number in range(8, count + 1):
        parent = number - 7 if number % 3 == 0 else None
        expected = stored[f"wxr:blog:1:{parent}"].id if parent else None
        assert stored[f"wxr:blog:1:{number}"].parent_id == expected


@pytest.mark.parametrize("dry_run", [False, True])
def test_duplicates_of_stored_comments(tmp_path: Path, dry_run: bool) -> None:
    import_items(tmp_path, [thread(), comment("a", text="Schon da")])
    again = [
        thread(),
        comment("other-a", text="schon   DA", author="Autor a"),  # another source, same words
        comment("reply", "other-a"),
    ]
    summary, stored = import_items(tmp_path, again, dry_run=dry_run)
    assert summary.skipped == {"duplicate: the same author and text are already in the thread": 1}
    assert summary.imported == 1
    if not dry_run:
        assert stored["test:reply"].parent_id == stored["test:a"].id
    else:
        assert "test:reply" not in stored


def _new(text: str, **changes: object) -> NewComment:
    values: dict[str, object] = {
        "site": "blog",
        "thread": "/a/",
        "author": "Ana",
        "email": None,
        "author_key": "k" * 64,
        "website": None,
        "text": text,
        "html": f"<p>{text}</p>",
        "status": "approved",
        "created_at": T0,
        "text_hash": text_hash(text),
        "source": f"test:{text}",
    }
    values.update(changes)
    return NewComment(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_store_classifies_what_it_cannot_write(backend: str, tmp_path: Path) -> None:
    new_thread = NewThread("blog", "/a/", "https://blog.example/a/", "A", T0)
    site = SiteRow("blog", T0)

    async def work(url: str) -> list[list[object]]:
        database = Database(url)
        store = PortingStore(database)
        try:
            first = await store.write(
                Batch(sites=[site], threads=[new_thread], comments=[_new("eins", id=7)])
            )
            second = await store.write(
                Batch(
                    sites=[site],
                    threads=[new_thread],
                    comments=[
                        _new("eins", id=8),  # the same source as stored
                        _new("zwei", source="test:other"),  # a new one, after id 7
                        _new("ZWEI ", source="test:third"),  # a duplicate of the one before
                        _new("drei", id=7, source="test:drei"),  # id 7 is taken: a new id
                        _new("vier", parent_index=1),
                    ],
                )
            )
            last = second.comments[-1]
            assert isinstance(last, int)
            stored = await CommentStore(database).get(last)
            return [first.comments, second.comments, [stored.parent_id if stored else None]]
        finally:
            await database.close()

    with database_of(backend, tmp_path) as url:
        first, second, parent = asyncio.run(work(url))
    assert first == [7]
    assert second[:3] == [Conflict("source", 7), 8, Conflict("duplicate", 8)]
    taken, reply = second[3:]
    assert isinstance(taken, int)
    assert isinstance(reply, int)
    assert 8 < taken < reply  # (PostgreSQL's sequence skips the values refused inserts drew)
    assert parent == [8]  # "vier" replied to the second comment of its batch


def test_progress_on_a_terminal_counts_in_place() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(stream)
    progress(500, 1200)
    progress(1000, 1200)
    progress.finish()
    assert stream.getvalue() == "\r500 of 1200 comments …\r1000 of 1200 comments …\r\033[K"


@pytest.mark.parametrize("command", [["import"], ["export"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: sharekit {command[0]}" in capsys.readouterr().out
