"""``sharekit import wxr``: a WordPress export with threads, replies, every state, non-ASCII
text and hostile markup, through the real CLI into a real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sharekit.comments.identicon import avatar_key
from sharekit.comments.text import render
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

__all__ = ["any_database"]  # the fixture, imported for pytest

WXR = DATA / "wordpress.xml"
HELLO = "/2024/05/hallo-welt/"

SUMMARY = [
    "imported 12 comments in 3 threads (one deleted in the source, kept as a placeholder "
    "for its replies)",
    "skipped 4 comments:",
    "  1 a pingback, not a comment (e.g. wxr:blog:12:111)",
    "  1 duplicate: the same author and text are already in the thread (e.g. wxr:blog:12:114)",
    "  1 in the WordPress trash (e.g. wxr:blog:12:110)",
    "  1 parent missing: the comment it replies to is not in the file (e.g. wxr:blog:12:112)",
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "sharekit.toml")


def _url(config: Path) -> str:
    return settings_of(config).database_url


def test_the_summary_counts_what_was_imported_and_skipped(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "import", "wxr", WXR, "--config", config)
    assert code == 0, err
    assert out.splitlines() == SUMMARY


def test_threads_parents_dates_and_states_come_across(
    any_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", any_database)
    assert run(capsys, "import", "wxr", WXR, "--config", config)[0] == 0
    stored, threads = read(any_database)
    assert [(t.key, t.url, t.title) for t in threads] == [
        (HELLO, "https://blog.example/2024/05/hallo-welt/", "Hallo Welt \u2013 Grüße aus Ulm"),
        ("/über-uns/", "https://blog.example/%C3%BCber-uns/", "Über uns"),
        # An old domain: the same path on the site's own origin.
        ("/?p=20", "https://blog.example/?p=20", "Ein Entwurf vom alten Blog"),
    ]
    assert threads[0].created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)  # the post's date
    assert threads[2].created_at == datetime(2024, 6, 2, 10, tzinfo=UTC)  # its first comment
    c = by_source(stored)
    first, second, third = c["wxr:blog:12:101"], c["wxr:blog:12:102"], c["wxr:blog:12:103"]
    assert (first.parent_id, first.depth, first.root_id) == (None, 0, None)
    assert (second.parent_id, second.depth, second.root_id) == (first.id, 1, first.id)
    assert (third.parent_id, third.depth) == (second.id, 2)  # came before its parent
    fourth, fifth = c["wxr:blog:12:104"], c["wxr:blog:12:105"]
    assert (fourth.parent_id, fourth.depth) == (third.id, 3)
    # One level too deep for comments_max_depth = 3: it joins the last level, as live.
    assert (fifth.parent_id, fifth.depth, fifth.root_id) == (third.id, 3, first.id)
    assert first.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)  # comment_date_gmt
    assert fifth.created_at == datetime(2024, 5, 2, 12, tzinfo=UTC)  # no GMT: local as UTC
    assert {source: comment.status for source, comment in c.items()} == {
        "wxr:blog:12:101": "approved",
        "wxr:blog:12:102": "approved",
        "wxr:blog:12:103": "approved",
        "wxr:blog:12:104": "approved",
        "wxr:blog:12:105": "approved",
        "wxr:blog:12:106": "pending",
        "wxr:blog:12:107": "spam",
        "wxr:blog:12:108": "deleted",
        "wxr:blog:12:109": "approved",
        "wxr:blog:12:113": "approved",
        "wxr:blog:15:201": "approved",
        "wxr:blog:20:301": "approved",
    }
    # The trashed comment stays only as the empty placeholder its reply needs.
    trashed, reply = c["wxr:blog:12:108"], c["wxr:blog:12:109"]
    assert (trashed.author, trashed.email, trashed.text, trashed.html) == ("", None, "", "")
    assert (reply.parent_id, reply.depth) == (trashed.id, 1)


def test_text_is_plain_text_rendered_by_sharekit(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", "wxr", WXR, "--config", config)
    c = by_source(read(_url(config))[0])
    first = c["wxr:blog:12:101"]
    assert first.text == (
        "Schöner Beitrag! 😀\n\nZweiter Absatz mit fett & einer Quelle "
        "(https://example.org/quelle).\nNeue Zeile."
    )
    assert first.html == render(first.text)
    assert '<a href="https://example.org/quelle" rel="nofollow ugc noopener">' in first.html
    assert c["wxr:blog:12:102"].text == "> Schöner Beitrag!\n\nDanke, finde ich auch. 🎉"
    assert c["wxr:blog:15:201"].text == "Liebe Grüße nach Ulm \u2013 von der Ostsee! ❤️"
    hostile = c["wxr:blog:12:113"]
    assert hostile.text == "Hallo Welt <i>"
    assert hostile.html == "<p>Hallo Welt &lt;i&gt;</p>"
    assert hostile.website is None  # javascript: never becomes a link
    assert hostile.email is None  # "not-an-address" is dropped


def test_authors_and_their_keys(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", "wxr", WXR, "--config", config)
    c = by_source(read(_url(config))[0])
    first = c["wxr:blog:12:101"]
    assert (first.author, first.email, first.website) == (
        "Jürgen Müller",
        "juergen@example.org",
        "https://jmueller.example",
    )
    assert first.author_key == avatar_key(SECRET, "blog", "juergen@example.org", "Jürgen Müller")
    assert c["wxr:blog:12:103"].author_key == first.author_key
    nameless = c["wxr:blog:20:301"]
    assert (nameless.author, nameless.email) == ("Anonymous", None)
    assert {comment.client_key for comment in c.values()} == {None}
    assert {comment.consent_at for comment in c.values()} == {None}


def test_a_second_run_imports_nothing(
    any_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", any_database)
    run(capsys, "import", "wxr", WXR, "--config", config)
    before = read(any_database)
    code, out, _ = run(capsys, "import", "wxr", WXR, "--config", config)
    assert code == 0
    assert out.splitlines() == [
        "imported 0 comments in 0 threads",
        "skipped 16 comments:",
        "  12 already imported",
        *SUMMARY[2:],
    ]
    after = read(any_database)
    assert [c.id for c in after[0]] == [c.id for c in before[0]]
    assert [(c.id, c.text, c.parent_id) for c in after[0]] == [
        (c.id, c.text, c.parent_id) for c in before[0]
    ]


def test_a_dry_run_writes_nothing_and_says_the_same(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = config.parent / "sharekit.db"
    code, out, _ = run(capsys, "import", "wxr", WXR, "--dry-run", "--config", config)
    assert code == 0
    assert out.splitlines() == [
        SUMMARY[0].replace("imported", "would import", 1),
        *SUMMARY[1:],
        "dry run: nothing was written",
    ]
    assert not database.exists()  # not even an empty schema
    run(capsys, "import", "wxr", WXR, "--config", config)
    size, changed = database.stat().st_size, database.stat().st_mtime_ns
    code, out, _ = run(capsys, "import", "wxr", WXR, "--dry-run", "--config", config)
    assert "12 already imported" in out
    assert (database.stat().st_size, database.stat().st_mtime_ns) == (size, changed)


def test_imported_comments_show_in_the_thread_without_addresses(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", "wxr", WXR, "--config", config)
    settings = settings_of(config)
    stored = by_source(read(settings.database_url)[0])
    listed = listing(settings, HELLO)
    parents = {comment["id"]: comment["parent"] for comment in listed["comments"]}
    first, second = stored["wxr:blog:12:101"], stored["wxr:blog:12:102"]
    assert parents[first.id] is None
    assert parents[second.id] == first.id
    assert parents[stored["wxr:blog:12:105"].id] == stored["wxr:blog:12:103"].id
    assert listed["total"] == 7  # approved ones; held and spam stay hidden
    assert stored["wxr:blog:12:106"].id not in parents  # pending
    assert stored["wxr:blog:12:107"].id not in parents  # spam
    fragment = page(settings, HELLO)
    assert "Jürgen Müller" in fragment
    assert "Grüße zurück 👋" in fragment
    assert "Eine Antwort auf einen gelöschten Kommentar." in fragment  # under its placeholder
    assert 'href="https://jmueller.example" rel="nofollow ugc noopener"' in fragment
    assert "<script" not in fragment
    assert "onerror" not in fragment
    assert "Cheap watches" not in fragment
    assert "Björn" not in fragment
    for text in (str(listed), fragment, page(settings, "/über-uns/")):
        assert "@example.org" not in text
        assert "@Example.org" not in text
    assert "Liebe Grüße nach Ulm" in page(settings, "/über-uns/")


def test_a_text_too_long_is_skipped_and_its_replies_move_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "sharekit.toml", comments_text_max=30)
    code, out, _ = run(capsys, "import", "wxr", WXR, "--config", config)
    assert code == 0
    assert (
        "  8 invalid: text longer than 30 characters (comments_text_max) "
        "(e.g. wxr:blog:12:101, wxr:blog:12:102, wxr:blog:12:106)" in out.splitlines()
    )
    assert "  2 in the WordPress trash (e.g. wxr:blog:12:108, wxr:blog:12:110)" in out
    c = by_source(read(settings_of(config).database_url)[0])
    assert "wxr:blog:12:101" not in c
    assert "wxr:blog:12:102" not in c
    # 103 replied to 102, which replied to 101: with both left out it is a top-level comment.
    assert (c["wxr:blog:12:103"].parent_id, c["wxr:blog:12:103"].depth) == (None, 0)
    assert c["wxr:blog:12:104"].parent_id == c["wxr:blog:12:103"].id
    # The trashed 108 is no longer needed by its (too long) reply: left out too.
    assert "wxr:blog:12:108" not in c


def test_several_sites_need_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "sharekit.toml", sites=("blog", "shop"))
    code, _, err = run(capsys, "import", "wxr", WXR, "--config", config)
    assert code == 2
    assert err == (
        "sharekit import: error: the settings have 2 sites (blog, shop): choose one with --site\n"
    )
    code, _, err = run(capsys, "import", "wxr", WXR, "--site", "nope", "--config", config)
    assert code == 2
    assert "--site 'nope' is not a configured site (configured: blog, shop)" in err
    code, _out, _ = run(capsys, "import", "wxr", WXR, "--site", "shop", "--config", config)
    assert code == 0
    stored, threads = read(settings_of(config).database_url)
    assert {t.site for t in threads} == {"shop"}
    # Pages of the blog's export become pages of the shop's origin.
    assert threads[0].url == "https://shop.example/2024/05/hallo-welt/"
    assert stored[0].source == "wxr:shop:12:101"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (WXR.read_bytes()[:4000], "is not well-formed XML at line "),
        (b'<?xml version="1.0"?><feed><item/></feed>', "its root element is <feed>, not <rss>"),
        (b"<rss><channel><item><title>x</title></item></channel></rss>", "has no http"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is not well-formed XML"),
        (b"", "is not well-formed XML"),
    ],
)
def test_malformed_files_are_one_clear_line(
    config: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    broken = config.parent / "broken.xml"
    broken.write_bytes(content)
    code, out, err = run(capsys, "import", "wxr", broken, "--config", config)
    assert code == 2
    assert err.startswith(f"sharekit import: error: {broken} ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert out == ""
    assert not (config.parent / "sharekit.db").exists()  # nothing written before the check


def test_a_truncated_file_names_its_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = config.parent / "broken.xml"
    lines = WXR.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join(lines[:60]) + "\n</channel></rss>\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "wxr", broken, "--config", config)
    assert code == 2
    assert "is not well-formed XML at line 6" in err  # line 61 or 62: where it went wrong


def test_a_missing_file(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", "wxr", config.parent / "nope.xml", "--config", config)
    assert code == 2
    missing = config.parent / "nope.xml"
    assert err == f"sharekit import: error: cannot read {missing}: No such file or directory\n"


def _with_doctype(config: Path, declarations: str, references: str) -> Path:
    text = (
        WXR.read_text(encoding="utf-8")
        .replace(
            '<?xml version="1.0" encoding="UTF-8" ?>',
            f'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [{declarations}]>',
        )
        .replace("Neue Zeile.]]>", f"Neue Zeile.]]>{references}", 1)
    )
    hostile = config.parent / "hostile.xml"
    hostile.write_text(text, encoding="utf-8")
    return hostile


def test_external_entities_are_never_read(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = _with_doctype(
        config,
        '<!ENTITY secret SYSTEM "file:///etc/passwd">'
        '<!ENTITY remote SYSTEM "http://127.0.0.1:9/x">',
        "&secret;&remote;",
    )
    code, _, err = run(capsys, "import", "wxr", hostile, "--config", config)
    assert code == 0, err
    stored = read(settings_of(config).database_url)[0]
    assert "root:" not in " ".join(comment.text for comment in stored)
    assert by_source(stored)["wxr:blog:12:101"].text.endswith("Neue Zeile.&secret;&remote;")


def test_entity_bombs_are_refused_at_once(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    levels = ['<!ENTITY a0 "ha">'] + [
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    ]
    hostile = _with_doctype(config, "".join(levels), "&a9;")
    started = time.monotonic()
    code, _, err = run(capsys, "import", "wxr", hostile, "--config", config)
    assert time.monotonic() - started < 10
    assert code == 2
    assert "is not well-formed XML" in err
    assert err.count("\n") == 1
    assert not (config.parent / "sharekit.db").exists()
