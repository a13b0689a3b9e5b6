from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sharekit.demo import admin_password, demo_app, demo_settings

DEMO = Path(__file__).resolve().parent.parent / "sharekit" / "demo"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[TestClient]:
    app = demo_app(tmp_path, "http://127.0.0.1:8000")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.mark.parametrize(
    ("accept", "target"),
    [("de-DE,de", "/de/"), ("en-GB,en;q=0.8", "/en/"), ("fr", "/de/"), ("", "/de/")],
)
def test_home_redirects_by_language(demo: TestClient, accept: str, target: str) -> None:
    response = demo.get("/", headers={"accept-language": accept}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == target
    assert response.headers["vary"] == "Accept-Language"


@pytest.mark.parametrize(
    ("lang", "title"), [("de", "Drei Tage am Albtrauf"), ("en", "Three days on the Albtrauf")]
)
def test_article_in_both_languages(demo: TestClient, lang: str, title: str) -> None:
    response = demo.get(f"/{lang}/")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert title in response.text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/' in response.text
    assert "/sharekit/static/sharekit." in response.text  # sharekit_head()
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "set-cookie" not in response.headers


def test_service_is_mounted(demo: TestClient) -> None:
    assert demo.get("/sharekit/healthz").json()["status"] == "ok"
    assert demo.get("/xx/").status_code == 404


def test_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    first = demo_settings(tmp_path, "http://127.0.0.1:8000")
    second = demo_settings(tmp_path, "http://127.0.0.1:8000")
    assert first.secret_key is not None
    assert second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert first.database_url.endswith(f"{tmp_path}/sharekit.db")


def test_loopback_aliases_are_allowed(tmp_path: Path) -> None:
    site = demo_settings(tmp_path, "http://127.0.0.1:8123").sites[0]
    assert site.allows("http://localhost:8123/de/")
    assert site.allows("http://127.0.0.1:8123/de/")
    assert not site.allows("http://127.0.0.1:8124/de/")
    public = demo_settings(tmp_path, "http://demo.example:8000").sites[0]
    assert public.origins == ["http://demo.example:8000"]


def test_demo_uses_only_the_public_api() -> None:
    for path in DEMO.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith("sharekit."), f"{path.name}: {node.module}"
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                assert node.level == 1, f"{path.name}: relative import"
                assert (DEMO / f"{node.module}.py").exists(), f"{path.name}: relative import"


def test_admin_password_is_made_once_and_logs_in(demo: TestClient, tmp_path: Path) -> None:
    password = admin_password(tmp_path)
    assert password == admin_password(tmp_path)
    assert (tmp_path / "admin-password").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "admin-password.hash").stat().st_mode & 0o777 == 0o600
    wrong = demo.post("/sharekit/admin/login", data={"password": "guess"}, follow_redirects=False)
    assert wrong.status_code in (400, 401, 403)
    right = demo.post("/sharekit/admin/login", data={"password": password}, follow_redirects=False)
    assert right.status_code == 303
    assert demo.get("/sharekit/admin").status_code == 200
