from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sharekit import ConfigurationError, Settings, Site, create_app
from tests.conftest import SECRET


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}


def test_index_speaks_the_visitors_language(client: TestClient) -> None:
    assert "privacy-friendly share buttons" in client.get("/").text
    german = client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in german.text
    assert "datenschutzfreundliche" in german.text
    assert '<html lang="en">' in client.get("/?lang=en", headers={"accept-language": "de"}).text


@pytest.mark.parametrize("path", ["/", "/healthz", "/nope", "/static/service.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'self' http://other.example:8080 https://blog.example" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "set-cookie" not in headers


def test_refuses_to_build_without_secret_or_site() -> None:
    with pytest.raises(ConfigurationError, match="no secret key"):
        create_app(Settings(sites=[Site(key="a", origins=["https://a.example"])]))
    with pytest.raises(ConfigurationError, match="no site"):
        create_app(Settings(secret_key=SECRET))


def test_apps_are_independent() -> None:
    one = create_app(
        Settings(secret_key=SECRET, sites=[Site(key="a", origins=["https://a.example"])])
    )
    two = create_app(
        Settings(
            secret_key=SECRET,
            default_language="de",
            sites=[Site(key="b", origins=["https://b.example"])],
        )
    )
    assert one.state.sharekit.settings.sites[0].key == "a"
    assert two.state.sharekit.settings.sites[0].key == "b"
    assert "https://a.example" in TestClient(one).get("/").headers["content-security-policy"]
    assert "https://a.example" not in TestClient(two).get("/").headers["content-security-policy"]
    assert '<html lang="de">' in TestClient(two).get("/").text


def test_mounted_under_a_prefix_links_its_assets_there(app: Starlette) -> None:
    host = Starlette(routes=[Mount("/sharekit", app=app)])
    with TestClient(host) as client:
        page = client.get("/sharekit/")
        assert page.status_code == 200
        assert 'href="/sharekit/static/service.' in page.text
        error = client.get("/sharekit/missing")
        assert error.status_code == 404
        assert 'href="/sharekit/static/service.' in error.text
