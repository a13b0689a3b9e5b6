from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from sharekit import (
    BadRequest,
    ConfigurationError,
    Forbidden,
    HTTPError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    SharekitError,
    UnsupportedMediaType,
    URLNotAllowed,
    ValidationFailed,
)


def _app_raising(app: Starlette, exc: Exception) -> TestClient:
    async def endpoint(request: Request) -> Response:
        raise exc

    app.router.routes.append(Route("/boom", endpoint, methods=["GET", "POST"]))
    app.router.routes.append(Route("/api/boom", endpoint))
    return TestClient(app, raise_server_exceptions=False)


def test_tree() -> None:
    assert issubclass(ConfigurationError, SharekitError)
    assert issubclass(HTTPError, SharekitError)
    assert issubclass(URLNotAllowed, BadRequest)
    for cls in (BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType):
        assert issubclass(cls, HTTPError)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (BadRequest(), 400),
        (URLNotAllowed(), 400),
        (Forbidden(), 403),
        (NotFound(), 404),
        (PayloadTooLarge(), 413),
        (UnsupportedMediaType(), 415),
        (ValidationFailed({"name": "Please enter your name."}), 422),
        (RateLimited(retry_after=30), 429),
        (ServiceUnavailable(retry_after=5), 503),
    ],
)
def test_errors_map_to_status_html_and_json(app: Starlette, exc: HTTPError, status: int) -> None:
    client = _app_raising(app, exc)
    page = client.get("/boom", headers={"accept": "text/html"})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert exc.message in page.text
    assert f"Error {status}" in page.text
    data = client.get("/boom", headers={"accept": "application/json"})
    assert data.status_code == status
    assert data.json()["error"] == exc.message
    assert data.json()["status"] == status


def test_api_paths_answer_json(app: Starlette) -> None:
    response = _app_raising(app, NotFound()).get("/api/boom")
    assert response.json() == {"error": "There is no page at this address.", "status": 404}


def test_validation_errors_carry_fields_translated(app: Starlette) -> None:
    client = _app_raising(app, ValidationFailed({"text": "The request is not valid."}))
    response = client.post("/boom", json={}, headers={"accept-language": "de"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"text": "Die Anfrage ist ungültig."}
    assert response.json()["error"] == "Bitte prüfen Sie die markierten Felder."


def test_retry_after_header(app: Starlette) -> None:
    response = _app_raising(app, RateLimited(retry_after=42)).get("/boom")
    assert response.headers["retry-after"] == "42"


def test_messages_with_parameters() -> None:
    error = BadRequest("Unknown network %(name)s.", name="myspace")
    assert str(error) == "Unknown network myspace."


def test_unexpected_errors_are_500_without_details(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    client = _app_raising(app, RuntimeError("secret detail alice@example.org"))
    with caplog.at_level(logging.ERROR, logger="sharekit"):
        response = client.get("/boom?email=alice@example.org", headers={"accept-language": "de"})
    assert response.status_code == 500
    assert "alice@example.org" not in response.text
    assert "Bei uns ist etwas schiefgegangen" in response.text
    assert "/boom" in caplog.text
    assert "email=alice" not in caplog.text  # the query is not logged


def test_starlette_errors_are_mapped(client: TestClient) -> None:
    response = client.post("/healthz", headers={"accept": "application/json"})
    assert response.status_code == 405
    assert response.json()["error"] == "This address does not accept this kind of request."
    assert "GET" in response.headers["allow"]


def test_configuration_errors_at_run_time_are_503(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    client = _app_raising(app, ConfigurationError("the database schema needs `sharekit migrate`"))
    with caplog.at_level(logging.ERROR, logger="sharekit"):
        response = client.get("/boom", headers={"accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"
    assert "migrate" not in response.text
    assert "sharekit migrate" in caplog.text
