from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sharekit.assets import Assets


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "app.js").write_text("console.log('hello');\n" * 50, encoding="utf-8")
    (tmp_path / "tiny.css").write_text("a{}", encoding="utf-8")
    (tmp_path / ".hidden").write_text("x", encoding="utf-8")
    return tmp_path


def test_hashed_names_and_integrity(folder: Path) -> None:
    assets = Assets(folder)
    body = (folder / "app.js").read_bytes()
    asset = assets.get("app.js")
    assert asset.hashed_name == f"app.{hashlib.sha256(body).hexdigest()[:10]}.js"
    expected = base64.b64encode(hashlib.sha384(body).digest()).decode()
    assert asset.integrity == f"sha384-{expected}"
    assert assets.url("app.js", "/sharekit/") == f"/sharekit/static/{asset.hashed_name}"
    assert ".hidden" not in assets


def test_hashed_url_is_immutable_and_compressed(client: TestClient) -> None:
    assets = client.app.state.sharekit.assets  # type: ignore[attr-defined]
    asset = assets.get("service.css")
    response = client.get(f"/static/{asset.hashed_name}", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == asset.body  # the client decompressed it
    assert gzip.decompress(asset.gzipped) == asset.body


def test_plain_name_revalidates(client: TestClient) -> None:
    response = client.get("/static/service.css", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert "must-revalidate" in response.headers["cache-control"]
    assert "content-encoding" not in response.headers
    again = client.get("/static/service.css", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_head_and_missing(client: TestClient) -> None:
    head = client.head("/static/service.css", headers={"accept-encoding": "identity"})
    assert head.status_code == 200
    assert int(head.headers["content-length"]) > 100
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../settings.py").status_code == 404
    assert client.get("/static/%2e%2e/%2e%2e/pyproject.toml").status_code == 404
