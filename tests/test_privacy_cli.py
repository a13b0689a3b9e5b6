"""``sharekit privacy export|erase`` on SQLite and PostgreSQL: the export holds everything
stored for an address (any case, every site); after ``erase`` the export is empty and no
column of any table holds the address in any spelling. Confirmation on a terminal, exit
codes and one-line errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharekit.cli import main
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from tests.comments_support import SECRET
from tests.postgres_support import database
from tests.test_privacy_store import ADA, World, build, text_values, traces

SITES = """
[[sites]]
key = "blog"
origins = ["https://blog.example"]

[[sites]]
key = "other"
origins = ["http://other.example:8080"]
"""


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (PostgreSQL: created and dropped here)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"
        return
    with database() as url:
        yield url


def on_database(url: str, work: Any) -> Any:
    """Run ``work(database)`` on a connection of its own (migrating the schema first)."""

    async def run() -> Any:
        database = Database(url)
        try:
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(run())


@pytest.fixture
def world(database_url: str) -> World:
    result: World = on_database(
        database_url, lambda database: build(CommentStore(database), database)
    )
    return result


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> str:
    path = tmp_path / "sharekit.toml"
    path.write_text(
        f'secret_key = "{SECRET}"\ndata_dir = "{tmp_path}"\n'
        f'database_url = "{database_url}"\n{SITES}',
        encoding="utf-8",
    )
    return str(path)


def run(*argv: str) -> int:
    """The exit code of a command, also when it leaves by ``SystemExit``."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def export(capsys: pytest.CaptureFixture[str], config: str, email: str, *more: str) -> Any:
    capsys.readouterr()
    assert run("privacy", "export", email, "--config", config, *more) == 0
    return json.loads(capsys.readouterr().out)


def test_export_holds_everything_and_erase_leaves_nothing(
    world: World, config: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = export(capsys, config, "ADA.LOVELACE@mail.example")
    assert document["about"].startswith("Personal data that sharekit stores")
    assert document["email"] == "ADA.LOVELACE@mail.example"
    assert document["site"] is None
    assert document["made"].endswith("+00:00")
    assert any(
        line.startswith("IP addresses: sharekit never stores") for line in document["not_stored"]
    )
    assert any("does not identify a person" in line for line in document["not_stored"])
    comments = {c["id"]: c for c in document["comments"]}
    assert set(comments) == {
        world.ada_root.id,
        world.ada_reply.id,
        world.ada_other.id,
        world.ada_pending.id,
    }
    root = comments[world.ada_root.id]
    assert root["email"] == "Ada.Lovelace@Mail.Example"  # as stored
    assert root["thread"] == {
        "key": "post",
        "url": "https://blog.example/post/post",
        "title": "Title of post",
    }
    assert (root["site"], root["status"], root["author"]) == ("blog", "approved", "Ada")
    assert root["website"] == "https://ana.example"
    assert root["created"] == root["consent"] == "2026-05-01T12:00:00+00:00"
    assert root["network_hash_erased_after"] == "2026-05-08T12:00:00+00:00"
    assert comments[world.ada_pending.id]["status"] == "pending"
    assert comments[world.ada_reply.id]["parent"] == world.bea_root.id
    assert [(s["site"], s["confirmed"] is not None) for s in document["subscriptions"]] == [
        ("blog", True),
        ("other", False),
    ]
    assert sorted(m["kind"] for m in document["mail"]) == [
        "comment-new",
        "note",
        "reply",
        "subscription-confirm",
        "subscription-confirm",
    ]
    assert all(m["state"] == "waiting" for m in document["mail"])

    assert run("privacy", "erase", ADA, "--config", config, "--yes") == 0
    said = capsys.readouterr().out
    assert said == (
        "erased the data of a…@mail.example on every site: 4 comments anonymised, "
        "2 reply subscriptions deleted, 5 queued mails dropped\n"
    )
    after = export(capsys, config, ADA)
    assert (after["comments"], after["subscriptions"], after["mail"]) == ([], [], [])
    assert traces(on_database(database_url, text_values), ADA) == []
    bea = export(capsys, config, "bea@mail.example")
    assert len(bea["comments"]) == 1
    assert len(bea["subscriptions"]) == 1


def test_erase_on_one_site_and_in_delete_mode(
    world: World, config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(export(capsys, config, ADA, "--site", "other")["comments"]) == 1
    code = run("privacy", "erase", ADA, "--site", "other", "--mode", "delete", "--config", config)
    assert code == 0  # not a terminal: no question
    assert capsys.readouterr().out == (
        "erased the data of a…@mail.example on site other: 1 comment deleted, "
        "1 reply subscription deleted, 2 queued mails dropped\n"
    )
    assert export(capsys, config, ADA, "--site", "other")["comments"] == []
    left = export(capsys, config, ADA)
    assert {c["site"] for c in left["comments"]} == {"blog"}
    assert run("privacy", "erase", ADA, "--site", "other", "--config", config) == 0
    assert capsys.readouterr().out == "nothing is stored about a…@mail.example on site other\n"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erase_asks_on_a_terminal(
    world: World, config: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    answers = iter(["", "yes"])

    def answer(question: str) -> str:
        asked.append(question)
        return next(answers)

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    assert run("privacy", "erase", ADA, "--config", config) == 1
    assert capsys.readouterr().err == "cancelled: nothing was erased\n"
    assert asked == [
        "erase the data of a…@mail.example on every site: 4 comments kept without name, "
        "email, website and keys, 2 reply subscriptions and 5 queued mails deleted? [y/N] "
    ]
    assert len(export(capsys, config, ADA)["comments"]) == 4
    assert run("privacy", "erase", ADA, "--config", config) == 0
    assert "4 comments anonymised" in capsys.readouterr().out
    assert export(capsys, config, ADA)["comments"] == []
    assert run("privacy", "erase", "bea@mail.example", "--yes", "--config", config) == 0
    assert len(asked) == 2  # --yes does not ask


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "nobody", "--site", "blog"], "EMAIL must be an email address"),
        (["erase", "@example.org"], "EMAIL must be an email address"),
        (["export", ADA, "--site", "shop"], "there is no site 'shop'; the configured sites"),
    ],
)
def test_mistakes_are_one_line(
    config: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run("privacy", *argv, "--config", config) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sharekit privacy: error: {message}")
    assert err.count("\n") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_empty_installation_has_nothing_and_stays_empty(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = export(capsys, config, "Jörg@example.org")
    assert document["email"] == "Jörg@example.org"
    assert (document["comments"], document["subscriptions"], document["mail"]) == ([], [], [])
    assert run("privacy", "export", "Jörg@example.org", "--config", config) == 0
    assert "Jörg" in capsys.readouterr().out  # UTF-8, not \u escapes
    assert run("privacy", "erase", ADA, "--config", config) == 0
    assert capsys.readouterr().out == "nothing is stored about a…@mail.example on every site\n"
    assert not (tmp_path / "sharekit.db").exists()


@pytest.mark.parametrize("command", [["privacy"], ["privacy", "export"], ["privacy", "erase"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: sharekit privacy" in capsys.readouterr().out
