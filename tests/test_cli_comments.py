"""``sharekit comments list|approve|spam|delete`` against a real SQLite database: the
table and JSON Lines, the filters, one ``<id> <outcome>`` line per id with exit code 1
when any id was not found or refused, and approving queues the same reply notifications
as the admin when mail is configured."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sharekit.cli import main
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.records import StoredComment
from tests.comments_support import SECRET
from tests.test_storage_comments import T0, comment_values

SITES = """
[[sites]]
key = "blog"
origins = ["https://blog.example"]

[[sites]]
key = "other"
origins = ["http://other.example:8080"]
"""
SMTP = """
[smtp]
host = "127.0.0.1"
port = 2525
security = "none"
sender = "comments@blog.example"
"""
LONG = "A long comment\nover several lines, " + "and on and on " * 10


def write_config(tmp_path: Path, *, smtp: bool = False, secret: bool = True) -> str:
    path = tmp_path / "sharekit.toml"
    lines = [f'data_dir = "{tmp_path}"']
    if secret:
        lines.append(f'secret_key = "{SECRET}"')
    path.write_text("\n".join(lines) + "\n" + SITES + (SMTP if smtp else ""), encoding="utf-8")
    return str(path)


def populate(tmp_path: Path) -> dict[str, StoredComment]:
    """Five comments: held, published (one with a reply), spam, on two sites."""

    async def work() -> dict[str, StoredComment]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}")
        store = CommentStore(database)

        async def add(name: str, hours: int, **options: Any) -> StoredComment:
            values = comment_values(options.pop("text", f"Text of {name}"), **options)
            values["now"] = T0 + timedelta(hours=hours)
            return await store.add(**values)

        try:
            found = {"held": await add("held", 1, status="pending", author="Hal")}
            found["published"] = await add("published", 2, text=LONG, author="Pia")
            found["reply"] = await add("reply", 3, parent=found["published"].id, author="Ron")
            found["spam"] = await add("spam", 4, status="spam", author="Sam")
            found["other"] = await add(
                "other", 5, site="other", thread="elsewhere", status="pending", author="Oda"
            )
            return found
        finally:
            await database.close()

    return asyncio.run(work())


def run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def rows(tmp_path: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(tmp_path / "sharekit.db")) as db:
        return db.execute(query).fetchall()


def statuses(tmp_path: Path) -> dict[int, str]:
    return dict(rows(tmp_path, "SELECT id, status FROM comments"))


def queued(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    found = rows(tmp_path, "SELECT kind, payload FROM outbox ORDER BY id")
    return [(kind, json.loads(payload)) for kind, payload in found]


def test_list_shows_a_table_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = populate(tmp_path)
    assert run("comments", "list", "--config", write_config(tmp_path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "DATE", "(UTC)", "SITE/THREAD", "AUTHOR", "TEXT"]
    assert [line.split()[0] for line in lines[1:6]] == [
        str(made[name].id) for name in ("other", "spam", "reply", "published", "held")
    ]
    assert lines[1].split()[1:6] == ["pending", "2026-05-01", "17:00", "other/elsewhere", "Oda"]
    published = lines[4]
    assert published.endswith("A long comment over several lines, and on and on and on and…")
    assert len(published.split("Pia", 1)[1].strip()) == 60  # one line, cut to 60 characters
    assert lines[6] == "5 of 5 matching comments"
    assert len(lines) == 7
    # Columns line up: every row's text starts where the header's does.
    start = lines[0].index("TEXT")
    assert all(line[start - 2 : start] == "  " for line in lines[1:6])


def test_list_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = populate(tmp_path)
    config = write_config(tmp_path)

    def ids(*options: str) -> list[int]:
        capsys.readouterr()
        assert run("comments", "list", "--json", "--config", config, *options) == 0
        return [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]

    held, other = made["held"].id, made["other"].id
    assert ids("--status", "pending") == [other, held]
    assert ids("--status", "pending", "--status", "spam") == [other, made["spam"].id, held]
    assert ids("--site", "other") == [other]
    assert ids("--site", "blog", "--thread", "elsewhere") == []
    assert ids("--thread", "elsewhere") == [other]
    assert ids("--search", "PIA@MAIL") == [made["published"].id]  # email, any case
    assert ids("--search", "text of r") == [made["reply"].id]
    assert ids("--limit", "2") == [other, made["spam"].id]
    capsys.readouterr()
    assert run("comments", "list", "--limit", "2", "--config", config) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 of 5 matching comments"
    assert run("comments", "list", "--search", "nobody", "--config", config) == 0
    assert capsys.readouterr().out == "no comments match\n"


def test_list_json_lines_have_every_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = populate(tmp_path)
    assert (
        run("comments", "list", "--json", "--site", "blog", "--config", write_config(tmp_path))
        == 0
    )
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    reply = next(record for record in records if record["id"] == made["reply"].id)
    assert reply == {
        "id": made["reply"].id,
        "site": "blog",
        "thread": "post",
        "url": "https://blog.example/post/post",
        "title": "Title of post",
        "parent": made["published"].id,
        "status": "approved",
        "author": "Ron",
        "email": "ron@mail.example",
        "website": "https://ana.example",
        "text": "Text of reply",
        "created": "2026-05-01T15:00:00+00:00",
        "edited": None,
    }


def test_list_on_an_empty_installation_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("comments", "list", "--config", write_config(tmp_path)) == 0
    assert capsys.readouterr().out == "no comments match\n"
    assert not (tmp_path / "sharekit.db").exists()


def test_approve_reports_each_id_and_queues_reply_notifications(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = populate(tmp_path)
    config = write_config(tmp_path, smtp=True)
    held, other, spam = made["held"].id, made["other"].id, made["spam"].id
    published = made["published"].id
    code = run(
        "comments",
        "approve",
        str(held),
        "999",
        str(published),
        str(spam),
        str(held),
        "--config",
        config,
    )
    assert code == 1  # 999 does not exist; the others are done all the same
    assert capsys.readouterr().out == (
        f"{held} approved\n999 not-found\n{published} unchanged\n{spam} approved\n"
    )
    assert statuses(tmp_path)[held] == statuses(tmp_path)[spam] == "approved"
    assert statuses(tmp_path)[other] == "pending"
    # The same event the admin queues: subscribers of the threads hear about them.
    assert queued(tmp_path) == [
        ("comment-approved", {"comment": held}),
        ("comment-approved", {"comment": spam}),
    ]
    assert run("comments", "approve", str(other), "--config", config) == 0
    assert capsys.readouterr().out == f"{other} approved\n"
    assert queued(tmp_path)[-1] == ("comment-approved", {"comment": other})


def test_approve_without_mail_queues_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = populate(tmp_path)
    assert (
        run("comments", "approve", str(made["held"].id), "--config", write_config(tmp_path)) == 0
    )
    assert capsys.readouterr().out == f"{made['held'].id} approved\n"
    assert queued(tmp_path) == []


def test_spam_and_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = populate(tmp_path)
    config = write_config(tmp_path)
    held, spam, published = made["held"].id, made["spam"].id, made["published"].id
    reply = made["reply"].id
    assert run("comments", "spam", str(held), str(spam), "--config", config) == 0
    assert capsys.readouterr().out == f"{held} spam\n{spam} unchanged\n"
    assert statuses(tmp_path)[held] == "spam"

    # A comment with a reply stays as a placeholder, the reply keeps its place.
    assert run("comments", "delete", str(published), str(spam), "--config", config) == 0
    assert capsys.readouterr().out == f"{published} deleted\n{spam} deleted\n"
    assert rows(
        tmp_path, f"SELECT status, author, email, text FROM comments WHERE id = {published}"
    ) == [("deleted", "", None, "")]
    assert rows(tmp_path, f"SELECT parent_id FROM comments WHERE id = {reply}") == [(published,)]
    assert spam not in statuses(tmp_path)

    assert run("comments", "delete", str(published), str(spam), "--config", config) == 1
    assert capsys.readouterr().out == f"{published} unchanged\n{spam} not-found\n"
    assert run("comments", "approve", str(published), "--config", config) == 1
    assert capsys.readouterr().out == f"{published} refused\n"
    assert statuses(tmp_path)[published] == "deleted"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["approve", "0"], "argument ID: must be 1 or more: 0"),
        (["spam", "x"], "argument ID: not a number: 'x'"),
        (["delete"], "the following arguments are required: ID"),
        (["list", "--status", "hidden"], "argument --status: invalid choice: 'hidden'"),
        (["list", "--limit", "-1"], "argument --limit: must be 1 or more"),
    ],
)
def test_usage_mistakes_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run("comments", *argv, "--config", write_config(tmp_path)) == 2
    assert message in capsys.readouterr().err


def test_actions_need_the_secret_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = populate(tmp_path)
    assert (
        run(
            "comments",
            "approve",
            str(made["held"].id),
            "--config",
            write_config(tmp_path, secret=False),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("sharekit comments: error: no secret key")
    assert err.count("\n") == 1
    assert statuses(tmp_path)[made["held"].id] == "pending"


def test_an_unknown_site_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("comments", "list", "--site", "shop", "--config", write_config(tmp_path)) == 2
    assert capsys.readouterr().err == (
        "sharekit comments: error: there is no site 'shop'; the configured sites are: "
        "blog, other\n"
    )


@pytest.mark.parametrize("action", ["list", "approve", "spam", "delete"])
def test_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["comments", action, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: sharekit comments {action}" in capsys.readouterr().out
