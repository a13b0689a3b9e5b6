"""``sharekit hash-password``: a hash that logs in, from a pipe or asked twice on a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sharekit import create_app
from sharekit.admin.passwords import PasswordHash
from sharekit.cli import main
from tests.admin_support import admin_settings, log_in, open_client

SHAREKIT = [sys.executable, "-m", "sharekit.cli"]
SECRET_WORDS = "Albtrauf-Wanderung im Mai"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["hash-password", "--help"])
    assert exit_info.value.code == 0
    assert "admin_password_hash" in capsys.readouterr().out


def test_a_piped_password_gives_a_hash_that_logs_in(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAREKIT_")}
    result = subprocess.run(
        [*SHAREKIT, "hash-password"],
        input=f"{SECRET_WORDS}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip()
    assert result.stdout == printed + "\n"
    assert printed.startswith("scrypt$32768$8$1$")
    assert SECRET_WORDS not in result.stdout + result.stderr
    app = create_app(admin_settings(tmp_path, admin_password_hash=printed))
    with open_client(app) as client:
        assert client.post("/admin/login", data={"password": "wrong"}).status_code == 403
        log_in(client, SECRET_WORDS)
        assert client.get("/admin").status_code == 200


@pytest.mark.parametrize("line_end", ["\r\n", "", "\nsecond line\n"])
def test_only_the_first_line_is_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line_end: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET_WORDS + line_end))
    assert main(["hash-password"]) == 0
    stored = PasswordHash.parse(capsys.readouterr().out)
    assert stored.verify(SECRET_WORDS)


def test_spaces_are_part_of_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f" {SECRET_WORDS} \n"))
    assert main(["hash-password"]) == 0
    stored = PasswordHash.parse(capsys.readouterr().out)
    assert stored.verify(f" {SECRET_WORDS} ")
    assert not stored.verify(SECRET_WORDS)


@pytest.mark.parametrize("given", ["", "\n", "short pass\n"])
def test_short_passwords_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(given))
    assert main(["hash-password"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "sharekit hash-password: error: the password needs at least 12 characters\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_it_asks_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([SECRET_WORDS, SECRET_WORDS])
    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys, "stdin", _Terminal("never read\n"))
    monkeypatch.setattr("getpass.getpass", getpass)
    assert main(["hash-password"]) == 0
    assert prompts == ["Admin password: ", "The same again: "]
    assert PasswordHash.parse(capsys.readouterr().out).verify(SECRET_WORDS)


def test_on_a_terminal_two_different_answers_hash_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([SECRET_WORDS, SECRET_WORDS + "!"])
    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["hash-password"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the two passwords differ" in captured.err
