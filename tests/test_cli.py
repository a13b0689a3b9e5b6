from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sharekit.cli import main

SHAREKIT = [sys.executable, "-m", "sharekit.cli"]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SHAREKIT_")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["demo"],
        ["serve"],
        ["migrate"],
        ["purge"],
        ["config-docs"],
        ["comments"],
        ["privacy"],
        ["export"],
        ["import"],
        ["hash-password"],
    ],
)
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: sharekit" in capsys.readouterr().out


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_serve_without_secret_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SHAREKIT, "serve"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("sharekit serve: error: no secret key")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('secret_key = "0123456789abcdef0123"', "no site configured"),
        (
            'secret_key = "0123456789abcdef0123"\n[[sites]]\nkey = "x"\norigins = ["nope"]',
            "sites.0.origins.0",
        ),
        ("secret_key = ", "is not valid TOML"),
    ],
)
def test_serve_with_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    path = tmp_path / "sharekit.toml"
    path.write_text(config, encoding="utf-8")
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_busy_port_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["demo", "--port", str(port), "--data-dir", str(tmp_path)])
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_config_docs_to_file(tmp_path: Path) -> None:
    target = tmp_path / "configuration.md"
    assert main(["config-docs", "-o", str(target)]) == 0
    assert "`SHAREKIT_SECRET_KEY`" in target.read_text(encoding="utf-8")


def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 20) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                assert response.status == 200
                return time.monotonic() - start
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def run() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        process.terminate()
        process.communicate(timeout=10)


def test_demo_starts_fast_and_prints_its_url(
    tmp_path: Path, run: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*SHAREKIT, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
    )
    run.append(process)
    elapsed = _wait_for(f"http://127.0.0.1:{port}/de/", process)
    assert elapsed < 10  # the issue asks for < 2 s; CI machines are shared, so allow slack
    assert process.stdout is not None
    assert f"http://127.0.0.1:{port}/" in process.stdout.readline()
    admin = process.stdout.readline()
    password = (tmp_path / "data" / "admin-password").read_text(encoding="ascii").strip()
    assert f"http://127.0.0.1:{port}/sharekit/admin  (password: {password})" in admin
    for name in ("secret.key", "admin-password", "admin-password.hash"):
        assert (tmp_path / "data" / name).stat().st_mode & 0o777 == 0o600


def test_serve_answers_with_a_config(tmp_path: Path, run: list[subprocess.Popen[str]]) -> None:
    config = tmp_path / "sharekit.toml"
    config.write_text(
        'secret_key = "0123456789abcdef0123456789"\n'
        f'data_dir = "{tmp_path}"\n'
        '[[sites]]\nkey = "blog"\norigins = ["https://blog.example"]\n',
        encoding="utf-8",
    )
    port = _free_port()
    process = subprocess.Popen(
        [*SHAREKIT, "serve", "--config", str(config), "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
    )
    run.append(process)
    _wait_for(f"http://127.0.0.1:{port}/healthz", process, timeout=30)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
        assert "https://blog.example" in response.headers["content-security-policy"]


def test_serve_behind_a_stripped_prefix_links_below_it(
    tmp_path: Path, run: list[subprocess.Popen[str]]
) -> None:
    config = tmp_path / "sharekit.toml"
    config.write_text(
        'secret_key = "0123456789abcdef0123456789"\n'
        f'data_dir = "{tmp_path}"\n'
        '[[sites]]\nkey = "blog"\norigins = ["https://blog.example"]\n',
        encoding="utf-8",
    )
    port = _free_port()
    command = [*SHAREKIT, "serve", "--config", str(config), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--root-path", "/sharekit/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
    )
    run.append(process)
    # The proxy strips /sharekit: the service is asked for /comments/new.
    _wait_for(f"http://127.0.0.1:{port}/healthz", process, timeout=30)
    query = "site=blog&thread=t&url=https%3A%2F%2Fblog.example%2Fpost"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/comments/new?{query}") as response:
        page = response.read().decode()
    assert 'action="/sharekit/comments"' in page
    assert "/sharekit/static/" in page


def test_serve_refuses_a_relative_root_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--root-path", "sharekit"]) == 2
    assert "--root-path must start with a slash" in capsys.readouterr().err


def test_migrate_sqlite_then_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREKIT_DATA_DIR", str(tmp_path))
    assert main(["migrate", "--check"]) == 2
    assert "is needed" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "from an empty database to" in out
    assert "done: the schema is at" in out
    assert main(["migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["migrate", "--check"]) == 0


def test_migrate_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREKIT_DATABASE_URL", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sharekit migrate: error: cannot reach the database")
    assert "secret" not in err
    assert err.count("\n") == 1


def test_purge_reports_what_it_erased(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREKIT_DATA_DIR", str(tmp_path))
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("erased 0 expired records: network hashes older than 7 days, ")
    assert "comments held longer than 30 days, spam older than 7 days" in out
    assert not (tmp_path / "sharekit.db").exists()  # nothing stored: nothing created
    assert main(["migrate"]) == 0
    with sqlite3.connect(tmp_path / "sharekit.db") as connection:
        connection.execute(
            "INSERT INTO rate_events (client_key, kind, created_at) VALUES (?, ?, ?)",
            ("old-key", "comment", "2020-01-01 00:00:00.000000"),
        )
    monkeypatch.setenv("SHAREKIT_CLIENT_KEY_RETENTION_DAYS", "30")
    assert main(["purge"]) == 0
    assert "erased 1 expired records: network hashes older than 30 days" in (
        capsys.readouterr().out
    )


def test_purge_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREKIT_DATABASE_URL", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x")
    monkeypatch.setenv("SHAREKIT_AUTO_MIGRATE", "true")
    assert main(["purge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sharekit purge: error: cannot reach the database")
    assert "secret" not in err
    assert err.count("\n") == 1
