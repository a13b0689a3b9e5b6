"""The service's OpenAPI 3.1 document, served at ``GET /openapi.json``.

The document is put together here from tables of paths, one per capability:
:mod:`sharekit.openapi_comments`, :mod:`sharekit.openapi_share`, :mod:`sharekit.openapi_print`
and the service's own routes below, plus, for a capability in a package of its own, a
function of that package listed in ``DOCUMENTED_ELSEWHERE``. All of them are built with
:mod:`sharekit.openapi_parts` and refer to the schemas, parameters and headers of
:mod:`sharekit.openapi_components`. Documenting a new route is one entry in such a table.

Errors answer as JSON (``Error``) for API calls (paths under ``/api/``, JSON bodies, or
``Accept: application/json`` without ``text/html``) and as an HTML page otherwise, so both
media types are documented except under ``/api/``.
"""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import __version__
from .bodies import JSON
from .openapi_comments import comment_paths
from .openapi_components import (
    CACHED,
    component_headers,
    component_parameters,
    component_schemas,
    params,
)
from .openapi_parts import (
    NOT_MODIFIED,
    STRING,
    Schema,
    html,
    in_path,
    json_reply,
    op,
    reply,
    tagged,
)
from .openapi_print import print_paths
from .openapi_share import share_paths
from .settings import Settings
from .state import base_path, state_of

__all__ = ["openapi_endpoint", "openapi_schema", "routes"]


def _service_paths() -> dict[str, Schema]:
    """The service's own routes: its home page, health, static files and this document."""
    files = reply("The file.", dict.fromkeys(("text/css", "text/javascript"), STRING), *CACHED)
    name = in_path("name", STRING, "A file's plain or content-hashed name.")
    return {
        "/": {
            "get": op(
                "What this service is",
                {"200": html("The page.")},
                parameters=params("lang"),
            )
        },
        "/healthz": {"get": op("Alive?", {"200": json_reply("Yes.", "Health")})},
        "/static/{name}": {
            "get": op(
                "A script or style sheet",
                {"200": files, "304": NOT_MODIFIED},
                [404],
                parameters=[name | {"example": "sharekit.js"}, *params("ifNoneMatch")],
            )
        },
        "/openapi.json": {
            "get": op(
                "This document",
                {"200": reply("OpenAPI 3.1.", {JSON: {"type": "object"}})},
            )
        },
    }


# Modules that document their own routes: (tag, module); each module has
# ``openapi_paths(settings) -> dict`` built with :mod:`sharekit.openapi_parts`.
DOCUMENTED_ELSEWHERE: tuple[tuple[str, str], ...] = (
    ("notifications", "sharekit.comments.replies"),
    ("moderation", "sharekit.mail.routes"),
    ("privacy", "sharekit.privacy.routes"),
    ("admin", "sharekit.admin.routes"),
)


def openapi_schema(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service that ``create_app(settings)`` builds."""
    schemas = component_schemas(settings)
    paths = (
        tagged("comments", comment_paths(settings))
        | tagged("share", share_paths(schemas))
        | tagged("print", print_paths())
        | tagged("service", _service_paths())
    )
    tags = ["comments", "share", "print", "service"]
    for tag, module in DOCUMENTED_ELSEWHERE:
        paths |= tagged(tag, importlib.import_module(module).openapi_paths(settings))
        tags += [tag] if tag not in tags else []
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "sharekit",
            "version": __version__,
            "description": "Privacy-friendly share buttons and comments: nothing reaches a "
            "third party until a visitor chooses to, and no email address is ever published.",
        },
        "tags": [{"name": n} for n in tags],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": component_parameters(settings),
            "headers": component_headers(),
        },
    }
    return copy.deepcopy(document)  # callers may change it; the shared constants must not


async def openapi_endpoint(request: Request) -> Response:
    """Serve the document as JSON; built once per app (and mount point), then kept."""
    app_state = request.app.state
    cache: dict[str, bytes] = getattr(app_state, "sharekit_openapi", None) or {}
    base = base_path(request)
    if base not in cache:
        document = openapi_schema(state_of(request).settings)
        document["servers"] = [{"url": base or "/"}]
        cache[base] = json.dumps(document, separators=(",", ":")).encode("utf-8")
        app_state.sharekit_openapi = cache
    return Response(cache[base], media_type=JSON)


def routes() -> list[BaseRoute]:
    """The route that serves the document, for ``create_app``."""
    return [Route("/openapi.json", openapi_endpoint, methods=["GET"])]
