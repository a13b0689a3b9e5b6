"""What the porting test modules share: a settings file, the CLI, a database of each kind,
and reading back what an import stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.cli import main
from sharekit.storage.database import Database
from sharekit.storage.jobs import WITH_THREAD, record
from sharekit.storage.records import StoredComment, Thread
from sharekit.storage.tables import comments, threads
from tests.test_storage_comments import database_url

DATA = Path(__file__).parent / "data" / "porting"
SECRET = "test-secret-key-0123456789abcdef"
BLOG = "https://blog.example"


@contextmanager
def database_of(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of its own on ``backend`` for a synchronous test (the
    CLI runs its own event loop, so these tests cannot run inside one)."""
    with asyncio.Runner() as runner:
        manager = database_url(backend, tmp_path)
        url = runner.run(manager.__aenter__())
        try:
            yield url
        finally:
            runner.run(manager.__aexit__(None, None, None))


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_of(request.param, tmp_path / "db") as url:
        yield url


def write_config(
    path: Path, database: str | None = None, sites: tuple[str, ...] = ("blog",), **extra: Any
) -> Path:
    """A TOML settings file: a secret, the sites (``blog`` on https://blog.example, others
    on https://<key>.example) and the database (``path``'s folder by default)."""
    lines = [f'secret_key = "{SECRET}"', f'data_dir = "{path.parent}"', "auto_migrate = true"]
    if database:
        lines.append(f'database_url = "{database}"')
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    for key in sites:
        origin = BLOG if key == "blog" else f"https://{key}.example"
        lines += ["[[sites]]", f'key = "{key}"', f'origins = ["{origin}"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``sharekit ARGS`` in this process: exit code, stdout, stderr."""
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out, err


def settings_of(config: Path) -> Settings:
    return Settings.load(config)


def read(url: str) -> tuple[list[StoredComment], list[Thread]]:
    """Every stored comment (by id) and thread (by id)."""

    async def work() -> tuple[list[StoredComment], list[Thread]]:
        database = Database(url, auto_migrate=False)
        try:
            async with database.reading() as connection:
                rows = (await connection.execute(WITH_THREAD.order_by(comments.c.id))).all()
                found = (await connection.execute(select(threads).order_by(threads.c.id))).all()
            return [record(row) for row in rows], [Thread(**row._mapping) for row in found]
        finally:
            await database.close()

    return asyncio.run(work())


def by_source(stored: list[StoredComment]) -> dict[str, StoredComment]:
    return {comment.source or f"id:{comment.id}": comment for comment in stored}


def listing(settings: Settings, thread: str, **params: str) -> Any:
    """The thread as the real app lists it to visitors (JSON)."""
    with TestClient(create_app(settings)) as client:
        response = client.get(
            f"/threads/{quote(thread, safe='')}/comments",
            params={"site": "blog", "format": "json", **params},
            headers={"accept-language": "en"},
        )
    assert response.status_code == 200, response.text
    return response.json()


def page(settings: Settings, thread: str) -> str:
    """The thread's HTML fragment as the real app renders it."""
    with TestClient(create_app(settings)) as client:
        response = client.get(
            f"/threads/{quote(thread, safe='')}/comments",
            params={"site": "blog", "fragment": "1", "url": BLOG + "/"},
            headers={"accept-language": "en"},
        )
    assert response.status_code == 200, response.text
    return response.text
