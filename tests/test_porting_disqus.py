"""``sharekit import disqus``: a Disqus export with threads, replies, deleted and spam posts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sharekit.comments.identicon import avatar_key
from tests.porting_support import (
    DATA,
    SECRET,
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

DISQUS = DATA / "disqus.xml"
HELLO = "/2024/05/hallo-welt/"
SUMMER = "/2024/06/sommer-auf-der-alb/"

SUMMARY = [
    "imported 6 comments in 2 threads (one deleted in the source, kept as a placeholder "
    "for its replies)",
    "skipped 3 comments:",
    "  1 deleted in Disqus (e.g. disqus:blog:9006)",
    "  1 invalid: its thread is not in the file (e.g. disqus:blog:9009)",
    "  1 parent missing: the comment it replies to is not in the file (e.g. disqus:blog:9008)",
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "sharekit.toml")


def test_threads_posts_and_states(
    any_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", any_database)
    code, out, err = run(capsys, "import", "disqus", DISQUS, "--config", config)
    assert code == 0, err
    assert out.splitlines() == SUMMARY
    stored, threads = read(any_database)
    # The query Disqus kept (?utm_source=feed) is no part of the page's name.
    assert [(t.key, t.url, t.title) for t in threads] == [
        (HELLO, "https://blog.example/2024/05/hallo-welt/", "Hallo Welt \u2013 Grüße aus Ulm"),
        (SUMMER, "https://blog.example/2024/06/sommer-auf-der-alb/", "Sommer auf der Alb ☀️"),
    ]
    assert threads[1].created_at == datetime(2024, 6, 1, 7, tzinfo=UTC)
    c = by_source(stored)
    assert {source: comment.status for source, comment in c.items()} == {
        "disqus:blog:9001": "approved",
        "disqus:blog:9002": "approved",
        "disqus:blog:9003": "deleted",
        "disqus:blog:9004": "approved",
        "disqus:blog:9005": "spam",
        "disqus:blog:9007": "approved",
    }
    first, reply = c["disqus:blog:9001"], c["disqus:blog:9002"]
    assert (reply.parent_id, reply.depth, reply.root_id) == (first.id, 1, first.id)
    assert reply.created_at == datetime(2024, 5, 1, 13, tzinfo=UTC)
    assert reply.text == (
        "Danke, Erika!\nZweite Zeile.\n\n"
        "Mehr dazu: https://example.org/ein/sehr/langer/pfad/zum/artikel"
    )
    assert reply.author == "Martin Weiß"
    assert reply.author_key == avatar_key(SECRET, "blog", "martin@example.org", "Martin Weiß")
    deleted, answer = c["disqus:blog:9003"], c["disqus:blog:9004"]
    assert (deleted.author, deleted.email, deleted.text) == ("", None, "")
    assert answer.parent_id == deleted.id
    guest = c["disqus:blog:9007"]
    assert (guest.author, guest.email) == ("Gast aus Blaubeuren", None)
    assert guest.author_key == avatar_key(SECRET, "blog", None, "Gast aus Blaubeuren")
    assert guest.text == (
        "Herrlich! Wir waren auch dort & es war ☀️.\n\n> Sommer auf der Alb\n\nGrüße, Gast"
    )
    assert guest.created_at == datetime(2024, 6, 3, 16, 45, 30, tzinfo=UTC)
    assert "<blockquote>" not in guest.html  # plain mode: the quote stays text


def test_a_second_run_and_a_dry_run_write_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "import", "disqus", DISQUS, "--dry-run", "--config", config)
    assert code == 0
    assert out.splitlines()[0].startswith("would import 6 comments in 2 threads")
    assert out.splitlines()[-1] == "dry run: nothing was written"
    assert not (config.parent / "sharekit.db").exists()
    run(capsys, "import", "disqus", DISQUS, "--config", config)
    before = read(settings_of(config).database_url)
    code, out, _ = run(capsys, "import", "disqus", DISQUS, "--config", config)
    assert out.splitlines()[:3] == [
        "imported 0 comments in 0 threads",
        "skipped 9 comments:",
        "  6 already imported",
    ]
    assert read(settings_of(config).database_url) == before


def test_imported_posts_show_without_addresses(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", "disqus", DISQUS, "--config", config)
    settings = settings_of(config)
    listed = listing(settings, HELLO)
    shown = [(c["author"], c["status"]) for c in listed["comments"]]
    assert [author for author, status in shown if status == "approved"] == [
        "Erika Mustermann",
        "Martin Weiß",
        "Erika Mustermann",
    ]
    assert {author for author, status in shown if status != "approved"} <= {""}
    fragment = page(settings, SUMMER)
    assert "Gast aus Blaubeuren" in fragment
    assert "Herrlich!" in fragment
    for text in (str(listed), fragment, page(settings, HELLO)):
        assert "@example.org" not in text
        assert "spam.example" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DISQUS.read_bytes()[:3000], "is not well-formed XML at line "),
        (
            b'<?xml version="1.0"?><disqus><thread/></disqus>',
            'its root element is <disqus>, not <disqus xmlns="http://disqus.com">',
        ),
        (b"<rss/>", "is not a Disqus export: its root element is <rss>"),
    ],
)
def test_malformed_exports(
    config: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    broken = config.parent / "broken.xml"
    broken.write_bytes(content)
    code, _, err = run(capsys, "import", "disqus", broken, "--config", config)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not (config.parent / "sharekit.db").exists()
