"""The OpenAPI document: valid 3.1, true to the app's routes, to the settings, and to what
the real app answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

import sharekit.openapi as openapi_module
from sharekit import Settings, __version__, create_app
from sharekit.openapi import openapi_schema, routes
from tests.comments_support import URL, make_settings, post_json, token

Document = dict[str, Any]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def document(settings: Settings) -> Document:
    return openapi_schema(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def answer(document: Document, method: str, path: str, status: int) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    return dict(responses[str(status)])


def conforms(document: Document, method: str, path: str, response: httpx.Response) -> None:
    """The response's status, headers, media type and (JSON) body are the documented ones."""
    documented = answer(document, method, path, response.status_code)
    for header in set(documented.get("headers", {})) - {"Access-Control-Allow-Origin"}:
        assert header in response.headers, f"{method} {path}: no {header}"
    if not response.content:
        return
    media = response.headers["content-type"].split(";")[0]
    assert media in documented.get("content", {}), f"{method} {path}: {media} not documented"
    if media == "application/json":
        schema = documented["content"][media]["schema"]
        # Embedding the components lets "#/components/..." references resolve.
        validator = Draft202012Validator({**schema, "components": document["components"]})
        validator.validate(response.json())


def property_names(
    schema: Any, document: Document, seen: frozenset[str] = frozenset()
) -> set[str]:
    """Every property name a schema allows, following references."""
    if isinstance(schema, list):
        return {name for item in schema for name in property_names(item, document, seen)}
    if not isinstance(schema, dict):
        return set()
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if ref and ref not in seen:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        names |= property_names(target, document, seen | {ref})
    return names | {
        name
        for key, value in schema.items()
        if key != "$ref"
        for name in property_names(value, document, seen)
    }


def test_is_valid_openapi_3_1(document: Document) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert (document["info"]["title"], document["info"]["version"]) == ("sharekit", __version__)


def test_documents_every_route_and_no_other(app: Starlette, document: Document) -> None:
    assert all(isinstance(route, Route) for route in app.routes)
    served = {
        (route.path_format, method)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    assert served - documented == set()
    assert documented - served == set()


def test_never_publishes_an_email_address(document: Document) -> None:
    assert "email" not in property_names(document["components"]["schemas"]["Comment"], document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                names = property_names(response.get("content", {}), document)
                assert "email" not in names, f"{method} {path} {status}"
    body = document["paths"]["/comments"]["post"]["requestBody"]["content"]
    for media in ("application/json", "application/x-www-form-urlencoded"):
        assert "email" in property_names(body[media], document)


@pytest.mark.parametrize("email_required", [True, False])
def test_limits_follow_the_settings(tmp_path: Path, email_required: bool) -> None:
    settings = make_settings(
        tmp_path,
        comments_text_min=5,
        comments_text_max=777,
        comments_page_size=20,
        comments_email_required=email_required,
    )
    schemas = openapi_schema(settings)["components"]["schemas"]
    for name in ("CommentSubmission", "CommentForm", "CommentEdit"):
        text = schemas[name]["properties"]["text"]
        assert (text["minLength"], text["maxLength"]) == (5, 777)
    assert ("email" in schemas["CommentSubmission"]["required"]) is email_required
    assert "At most 20 top-level" in schemas["ThreadPage"]["properties"]["comments"]["description"]
    assert schemas["CountsRequest"]["properties"]["site"]["enum"] == ["blog", "other"]


def submission(app: Starlette, **fields: Any) -> dict[str, Any]:
    return {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "token": token(app),
        "name": "Ada",
        "email": "ada@example.org",
        "text": "A comment worth keeping.",
        **fields,
    }


def test_posting_and_listing_answer_as_documented(
    app: Starlette, client: TestClient, document: Document
) -> None:
    sent = submission(app)
    body = document["paths"]["/comments"]["post"]["requestBody"]["content"]["application/json"]
    Draft202012Validator({**body["schema"], "components": document["components"]}).validate(sent)
    posted = post_json(client, sent)
    assert posted.status_code == 201
    conforms(document, "post", "/comments", posted)
    invalid = post_json(client, submission(app, text="x"))
    assert invalid.status_code == 422
    conforms(document, "post", "/comments", invalid)
    form = client.post("/comments", data=submission(app, text="Sent without JavaScript."))
    assert form.status_code == 303
    conforms(document, "post", "/comments", form)

    listing = client.get("/threads/t1/comments", params={"site": "blog", "format": "json"})
    assert len(listing.json()["comments"]) == 2
    conforms(document, "get", "/threads/{thread}/comments", listing)
    again = client.get(
        "/threads/t1/comments",
        params={"site": "blog", "format": "json"},
        headers={"if-none-match": listing.headers["etag"]},
    )
    assert again.status_code == 304
    conforms(document, "get", "/threads/{thread}/comments", again)


def test_author_changes_answer_as_documented(
    app: Starlette, client: TestClient, document: Document
) -> None:
    posted = post_json(client, submission(app)).json()
    target = f"/comments/{posted['comment']['id']}"
    edited = client.post(f"{target}/edit", json={"edit": posted["edit"], "text": "Changed."})
    assert edited.status_code == 200
    conforms(document, "post", "/comments/{comment}/edit", edited)
    deleted = client.post(f"{target}/delete", json={"edit": edited.json()["edit"]})
    assert deleted.status_code == 204
    conforms(document, "post", "/comments/{comment}/delete", deleted)


def test_rate_limit_answers_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, comments_rate_per_15s=1)
    app = create_app(settings)
    document = openapi_schema(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert post_json(client, submission(app, text="The first one.")).status_code == 201
        limited = post_json(client, submission(app, text="The second one."))
    assert limited.status_code == 429
    conforms(document, "post", "/comments", limited)
    assert "Retry-After" in answer(document, "post", "/comments", 429)["headers"]
    assert int(limited.headers["retry-after"]) > 0


# (status, operation, requested path, request options): answers of every kind.
SAMPLES = [
    (200, "get /", "/", {}),
    (200, "get /healthz", "/healthz", {}),
    (200, "get /static/{name}", "/static/sharekit.js", {}),
    (404, "get /static/{name}", "/static/nope.js", {}),
    (200, "get /share/info", "/share/info", {}),
    (200, "get /share/{network}", "/share/mastodon", {"params": {"url": URL}}),
    (404, "get /share/{network}", "/share/nope", {"params": {"url": URL}}),
    (303, "post /share/{network}", "/share/linkedin", {"data": {"url": URL}}),
    (400, "post /share/{network}", "/share/copy", {"data": {"url": URL}}),
    (200, "get /share-bar", "/share-bar", {"params": {"url": URL, "theme": "dark"}}),
    (400, "get /share-bar", "/share-bar", {"params": {"url": URL, "theme": "nope"}}),
    (404, "get /api/counts", "/api/counts", {"params": {"url": URL}}),
    (404, "post /api/share", "/api/share", {"data": {"url": URL, "network": "x"}}),
    (200, "get /comments/new", "/comments/new", {"params": {"site": "blog", "url": URL}}),
    (400, "get /comments/new", "/comments/new", {"params": {"site": "blog"}}),
    (404, "post /comments", "/comments", {"json": {"site": "nope"}}),
    (415, "post /comments", "/comments", {"content": "x", "headers": {"content-type": "a/b"}}),
    (200, "post /comments/preview", "/comments/preview", {"json": {"site": "blog", "text": "a"}}),
    (404, "post /comments/preview", "/comments/preview", {"json": {"text": "a"}}),
    (
        200,
        "post /api/comment-counts",
        "/api/comment-counts",
        {"json": {"site": "blog", "threads": ["t1"]}},
    ),
    (
        400,
        "post /api/comment-counts",
        "/api/comment-counts",
        {"json": {"site": "blog", "threads": "t1"}},
    ),
    (200, "get /threads/{thread}/comments", "/threads/a/b/comments", {"params": {"site": "blog"}}),
    (404, "get /threads/{thread}/comments", "/threads/t1/comments", {"params": {"site": "x"}}),
    (200, "get /threads/{thread}/feed.atom", "/threads/t1/feed.atom", {"params": {"url": URL}}),
    (
        400,
        "get /threads/{thread}/feed.atom",
        "/threads/t1/feed.atom",
        {"params": {"site": "blog"}},
    ),
    (404, "get /comments/{comment}/edit", "/comments/1/edit", {}),
    (404, "post /comments/{comment}/edit", "/comments/x/edit", {"json": {"text": "new"}}),
    (404, "get /comments/{comment}/delete", "/comments/1/delete", {}),
    (404, "post /comments/{comment}/delete", "/comments/1/delete", {"json": {"edit": "x"}}),
]


@pytest.mark.parametrize(("status", "operation", "target", "options"), SAMPLES)
def test_answers_are_documented(
    client: TestClient,
    document: Document,
    status: int,
    operation: str,
    target: str,
    options: dict[str, Any],
) -> None:
    method, path = operation.split()
    response = client.request(method.upper(), target, **options)
    assert response.status_code == status, response.text
    conforms(document, method, path, response)


def test_endpoint_serves_the_document_built_once(
    app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Settings] = []

    def counting(settings: Settings) -> Document:
        built.append(settings)
        return openapi_schema(settings)

    monkeypatch.setattr(openapi_module, "openapi_schema", counting)
    service = Starlette(routes=routes())
    service.state.sharekit = app.state.sharekit
    outer = Starlette(routes=[Mount("/sharekit", app=service)])
    with TestClient(service) as client, TestClient(outer) as mounted:
        first, second = client.get("/openapi.json"), client.get("/openapi.json")
        below = mounted.get("/sharekit/openapi.json")
    assert first.headers["content-type"] == "application/json"
    assert first.content == second.content
    assert first.json()["paths"] == openapi_schema(settings)["paths"]
    assert first.json()["servers"] == [{"url": "/"}]
    assert below.json()["servers"] == [{"url": "/sharekit"}]
    assert built == [settings, settings]  # once per mount point
