"""The service's OpenAPI 3.1 document, served at ``GET /openapi.json``.

Bodies come from the pydantic models where there is one (``Comment``, ``CommentIn``,
``ShareRequest``, ``BarOptions``); what the settings decide (text length, page size, the
sites, the networks, the edit window) is read from the settings the app was built with.
Documenting a new route is one entry in ``_comment_paths``, ``_share_paths`` or
``_service_paths``, or, for a capability in a package of its own, a function of that
package listed in ``DOCUMENTED_ELSEWHERE`` (built with :mod:`sharekit.openapi_parts`).

Errors answer as JSON (``Error``) for API calls (paths under ``/api/``, JSON bodies, or
``Accept: application/json`` without ``text/html``) and as an HTML page otherwise, so both
media types are documented except under ``/api/``.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import __version__
from .bodies import FORM, JSON
from .comments.feeds import MEDIA_TYPE as ATOM_TYPE
from .comments.models import Comment, CommentIn, Posted
from .comments.service import OWN_COOKIE
from .openapi_parts import (
    HTML,
    NOT_MODIFIED,
    NULL,
    STRING,
    Schema,
)
from .openapi_parts import (
    body as _body,
)
from .openapi_parts import (
    html as _html,
)
from .openapi_parts import (
    in_path as _in_path,
)
from .openapi_parts import (
    json_reply as _json,
)
from .openapi_parts import (
    op as _op,
)
from .openapi_parts import (
    q as _q,
)
from .openapi_parts import (
    ref as _ref,
)
from .openapi_parts import (
    reply as _reply,
)
from .openapi_parts import (
    tagged as _tagged,
)
from .settings import Settings
from .share.bar import BarOptions
from .share.fediverse import FEDIVERSE_SOFTWARE
from .share.networks import NETWORKS
from .share.page import ShareRequest
from .state import base_path, state_of

__all__ = ["openapi_endpoint", "openapi_schema", "routes"]

REF = "#/components/schemas/{model}"
ATOM = ATOM_TYPE.split(";")[0]
CORS = "Access-Control-Allow-Origin"
CACHED = ("ETag", "Cache-Control")

_HEADERS = {
    "ETag": "Validator of this representation, for `If-None-Match`.",
    "Cache-Control": "Who may cache the response, and for how long.",
    "Retry-After": "Seconds to wait before trying again.",
    "Location": "Where the browser goes next.",
    "Set-Cookie": f"The HttpOnly author cookie `{OWN_COOKIE}`: the comments this browser "
    "posted lately, so that their author sees, edits or deletes them.",
    CORS: "The request's `Origin`, when it is one of the configured sites.",
}


def _model(
    schemas: dict[str, Schema], model: type[BaseModel], mode: JsonSchemaMode = "validation"
) -> Schema:
    """Add a model's schema (its nested definitions hoisted) to ``schemas``; return it."""
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return schema


def _with(base: Schema, properties: Schema, required: Iterable[str] = ()) -> Schema:
    """A copy of an object schema with more properties, more keywords on existing ones,
    and more required names (which then lose their defaults)."""
    schema = copy.deepcopy(base)
    schema.pop("title", None)
    props = schema.setdefault("properties", {})
    for name, keywords in properties.items():
        props[name] = {**props.get(name, {}), **keywords}
    schema["required"] = list(dict.fromkeys([*schema.get("required", []), *required]))
    for name in schema["required"]:
        props[name].pop("default", None)
    return schema


def _object(properties: Schema, required: Iterable[str] = ()) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required)}


def _enum(values: Iterable[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


def _sites(settings: Settings) -> Schema:
    return _enum(site.key for site in settings.sites)


def _networks(settings: Settings) -> Schema:
    return _enum([*NETWORKS, *(network.key for network in settings.share_custom_networks)])


def _schemas(settings: Settings) -> dict[str, Schema]:
    """Every body the service reads or writes, with the limits of ``settings``."""
    schemas: dict[str, Schema] = {}
    _model(schemas, Comment, mode="serialization")
    _model(schemas, Posted, mode="serialization")  # the answer to a JSON post
    comment = _ref("Comment")
    limits = {"minLength": settings.comments_text_min, "maxLength": settings.comments_text_max}
    site = _sites(settings)
    need_email = settings.comments_email_required
    submission = _with(
        _model(schemas, CommentIn),
        {
            "site": site | {"description": "The site; found from `url` when absent."},
            "token": STRING | {"description": "The form's signed token."},
            "lang": STRING | {"description": "The form's language, for the messages."},
            "company": STRING | {"maxLength": 0, "description": "A honeypot: leave it empty."},
            "thread": {"minLength": 1, "maxLength": 200},
            "url": {"maxLength": 2048, "description": "The page, on one of the site's origins."},
            "parent": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 2**62 - 1}, NULL]},
            "name": {"minLength": 1, "maxLength": 100},
            "email": {"maxLength": 254, "description": "Never published."}
            | ({"format": "email"} if need_email else {}),
            "website": {"maxLength": 200, "description": "An http:// or https:// address."},
            "text": limits,
            "consent": {"description": "Needed when the site has a privacy policy."},
        },
        ["token", "name", "text", *(["email"] if need_email else [])],
    )
    del schemas["CommentIn"]
    form = copy.deepcopy(submission)
    form["properties"]["parent"] = STRING | {"pattern": "^([0-9]{1,18})?$"}
    text = STRING | limits
    share = _model(schemas, ShareRequest)
    _model(schemas, BarOptions)
    edit = STRING | {"description": "The edit token, from posting or editing."}
    several = [] if len(settings.sites) == 1 else ["site"]
    page = f"At most {settings.comments_page_size} top-level comments, each with its replies."
    counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    return schemas | {
        "CommentSubmission": submission,
        "CommentForm": form,
        "CommentEdit": _object({"edit": edit, "text": text}, ["edit", "text"]),
        "CommentEditForm": _object({"text": text}, ["text"]),
        "CommentEdited": _object({"comment": comment, "edit": edit}, ["comment", "edit"]),
        "CommentDelete": _object({"edit": edit}, ["edit"]),
        "ThreadPage": _object(
            {
                "thread": STRING,
                "total": {"type": "integer", "minimum": 0},
                "comments": {"type": "array", "items": comment, "description": page},
                "next": {"anyOf": [STRING, NULL], "description": "The next page's cursor."},
            },
            ["thread", "total", "comments", "next"],
        ),
        "CountsRequest": _object(
            {"site": site, "threads": {"type": "array", "items": STRING, "maxItems": 500}},
            ["threads", *several],
        ),
        "Counts": counts,
        "PreviewRequest": _object({"site": site, "text": STRING}, several),
        "Preview": _object({"html": STRING}, ["html"]),
        "ShareForm": _with(
            share,
            {"lang": STRING, "server": STRING, "software": _enum(FEDIVERSE_SOFTWARE)},
        ),
        "ShareRecord": _with(share, {"network": _networks(settings)}, ["network"]),
        "Health": _object({"status": {"const": "ok"}, "version": STRING}, ["status", "version"]),
        "Error": _object(
            {
                "error": STRING | {"description": "What went wrong, in the visitor's language."},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "errors": {"type": "object", "additionalProperties": STRING},
            },
            ["error", "status"],
        ),
        "ValidationFailed": {"allOf": [_ref("Error")], "required": ["errors"]},
    }


def _parameters(settings: Settings) -> dict[str, Schema]:
    """The parameters several routes share, by the name ``_params`` knows them."""
    sites = _sites(settings)
    return {
        "site": _q("site", sites, "The site; found from `url` (or the only one) if absent."),
        "url": _q("url", STRING, "The page's address, on one of the site's origins."),
        "title": _q("title", STRING, "The page's title (cut to 300 characters)."),
        "lang": _q("lang", STRING, "The language to answer in, such as `de`."),
        "thread": _in_path("thread", STRING, "The thread's name (may contain slashes)."),
        "comment": _in_path("comment", {"type": "integer", "minimum": 1}, "A comment's id."),
        "network": _in_path("network", _networks(settings), "A share network's key."),
        "siteKey": _in_path("site", sites, "The site's key."),
        "ifNoneMatch": {"name": "If-None-Match", "in": "header", "schema": STRING},
        "own": {"name": OWN_COOKIE, "in": "cookie", "schema": STRING},
    }


def _params(*names: str) -> list[Schema]:
    return [_ref(name, "parameters") for name in names]


def _query(schema: Schema, skip: Iterable[str] = ()) -> list[Schema]:
    """Query parameters from the properties of a model's schema."""
    required = set(schema.get("required", []))
    properties = schema["properties"].items()
    return [_q(name, p, required=name in required) for name, p in properties if name not in skip]


def _comment_paths(settings: Settings) -> dict[str, Schema]:
    page = _params("site", "url", "title", "lang")
    posted = (CORS,)  # from the service's own origin: the author cookie instead of CORS
    listing = {JSON: _ref("ThreadPage"), HTML: STRING}
    return {
        "/comments": {
            "post": _op(
                "Post a comment",
                {
                    "201": _json("Published.", "Posted", *posted),
                    "202": _json("Held for moderation.", "Posted", *posted),
                    "303": _reply("A form's comment was stored.", None, "Location", "Set-Cookie"),
                },
                [400, 403, 404, 409, 413, 415, 422, 429, 503],
                description="JSON from the script (with a site's `Origin`), or a form "
                "without JavaScript (answered by a redirect, or the form with what to fix). "
                "Forms, and scripts on the service's own origin, also get the author cookie.",
                requestBody=_body({JSON: _ref("CommentSubmission"), FORM: _ref("CommentForm")}),
            )
        },
        "/comments/new": {
            "get": _op(
                "The comment form alone (replies without JavaScript)",
                {"200": _html("The form.", "Cache-Control")},
                [400, 404],
                parameters=[
                    *_params("site"),
                    _q("url", STRING, "The page, on one of the site's origins.", required=True),
                    _q("thread", STRING, "The thread (cut to 200 characters)."),
                    _q("parent", STRING, "The id of the comment replied to."),
                    *_params("title", "lang"),
                ],
            )
        },
        "/comments/preview": {
            "post": _op(
                "A draft as the server renders it",
                {"200": _json("The draft's markup.", "Preview", CORS)},
                [400, 403, 404, 413, 415],
                requestBody=_body({JSON: _ref("PreviewRequest")}),
            )
        },
        "/threads/{thread}/comments": {
            "get": _op(
                "A page of a thread",
                {
                    "200": _reply("JSON if asked for, else HTML.", listing, *CACHED, CORS),
                    "304": NOT_MODIFIED,
                },
                [400, 403, 404, 503],
                parameters=[
                    *_params("thread", "site", "url", "title", "lang"),
                    _q("format", STRING, "`json` asks for JSON (as `Accept` can)."),
                    _q("order", STRING, "`newest` lists the newest first, else the oldest."),
                    _q("after", STRING, "The previous page's `next` cursor."),
                    _q("fragment", STRING, "`1` asks for the section alone, not a page."),
                    *_params("ifNoneMatch", "own"),
                ],
            )
        },
        "/api/comment-counts": {
            "post": _op(
                "Approved comments of many threads",
                {"200": _json("Comments per thread.", "Counts", CORS)},
                [400, 404, 413, 415, 503],
                api=True,
                requestBody=_body({JSON: _ref("CountsRequest")}),
            )
        },
        "/comments/{comment}/edit": _author_paths("edit", settings),
        "/comments/{comment}/delete": _author_paths("delete", settings),
        "/threads/{thread}/feed.atom": _feed([*_params("thread"), *page], 400),
        "/sites/{site}/feed.atom": _feed(_params("siteKey", "lang")),
    }


def _author_paths(action: str, settings: Settings) -> Schema:
    """Edit or delete one's own comment: a page that asks, and the change itself."""
    minutes = max(1, settings.comments_edit_window // 60)
    rule = f"Only by its author (edit token or cookie), within {minutes} minutes of posting."
    params = _params("comment", "url", "lang", "own")
    back = _reply("Without JavaScript: done.", None, "Location", "Set-Cookie")
    if action == "edit":
        done = {"200": _json("Edited.", "CommentEdited", "Set-Cookie"), "303": back}
        body = _body({JSON: _ref("CommentEdit"), FORM: _ref("CommentEditForm")})
        errors = [400, 403, 404, 409, 413, 415, 422, 503]
    else:
        done = {"204": _reply("Deleted.", None, "Set-Cookie"), "303": back}
        body = _body({JSON: _ref("CommentDelete"), FORM: {"type": "object"}}, required=False)
        errors = [400, 403, 404, 413, 503]
    page = _html("The page.", "Cache-Control")
    return {
        "get": _op(
            f"The page to {action} one's comment (no JavaScript)",
            {"200": page},
            [403, 404, 503],
            description=rule,
            parameters=params,
        ),
        "post": _op(
            f"{action.capitalize()} one's comment",
            done,
            errors,
            description=rule,
            parameters=params,
            requestBody=body,
        ),
    }


def _feed(parameters: list[Schema], *errors: int) -> Schema:
    """An Atom feed of the newest approved comments (never an email address)."""
    feed = _reply("An Atom feed (RFC 4287).", {ATOM: STRING}, *CACHED)
    answers = {"200": feed, "304": NOT_MODIFIED}
    parameters = [*parameters, *_params("ifNoneMatch")]
    summary = "The newest approved comments"
    return {"get": _op(summary, answers, [*errors, 404, 503], parameters=parameters)}


def _share_paths(schemas: dict[str, Schema]) -> dict[str, Schema]:
    share = _query(schemas["ShareRequest"])
    bar = _query(schemas["BarOptions"], skip=["networks"])
    networks = _q("networks", STRING, "Network keys, comma-separated (at most 40).")
    counting = "Answers 404 when share counting is off."
    return {
        "/share/info": {"get": _op("What the buttons do", {"200": _html("The page.")})},
        "/share/{network}": {
            "get": _op(
                "What would be sent where, and a button to share",
                {"200": _html("The page.", "Cache-Control")},
                [400, 404],
                parameters=[*_params("network"), *share, *_params("lang")],
            ),
            "post": _op(
                "Share: the redirect to the network (the second click)",
                {"303": _reply("To the network.", None, "Location", "Cache-Control")},
                [400, 404, 413, 415, 503],
                parameters=_params("network"),
                requestBody=_body({FORM: _ref("ShareForm")}),
            ),
        },
        "/share-bar": {
            "get": _op(
                "The share bar as an HTML fragment",
                {"200": _html("The bar.", "Cache-Control", CORS)},
                [400, 403],
                parameters=[*share, networks, *bar, *_params("lang")],
            )
        },
        "/api/counts": {
            "get": _op(
                "Completed shares of a page, per network",
                {"200": _json("Shares per network.", "Counts", "Cache-Control", CORS)},
                [400, 403, 404, 503],
                api=True,
                description=counting,
                parameters=share[:1],
            )
        },
        "/api/share": {
            "post": _op(
                "Count a share made with JavaScript",
                {"204": _reply("Counted.", None, CORS)},
                [400, 403, 404, 413, 415, 503],
                api=True,
                description=counting,
                requestBody=_body({FORM: _ref("ShareRecord")}),
            )
        },
    }


def _service_paths() -> dict[str, Schema]:
    files = _reply("The file.", dict.fromkeys(("text/css", "text/javascript"), STRING), *CACHED)
    name = _in_path("name", STRING, "A file's plain or content-hashed name.")
    return {
        "/": {
            "get": _op(
                "What this service is",
                {"200": _html("The page.")},
                parameters=_params("lang"),
            )
        },
        "/healthz": {"get": _op("Alive?", {"200": _json("Yes.", "Health")})},
        "/static/{name}": {
            "get": _op(
                "A script or style sheet",
                {"200": files, "304": NOT_MODIFIED},
                [404],
                parameters=[name | {"example": "sharekit.js"}, *_params("ifNoneMatch")],
            )
        },
        "/openapi.json": {
            "get": _op(
                "This document",
                {"200": _reply("OpenAPI 3.1.", {JSON: {"type": "object"}})},
            )
        },
    }


def _print_paths() -> dict[str, Schema]:
    page = _q("url", STRING, "The article's address, on one of a site's origins.", required=True)
    common = [page, *_params("lang")]
    fetch_errors = [400, 404, 422, 502, 504]
    pdf = _reply("The PDF file.", {"application/pdf": {"type": "string"}}, *CACHED)
    return {
        "/print": {
            "get": _op(
                "The article alone, in a clean layout to print",
                {"200": _html("The print view.", "Cache-Control")},
                fetch_errors,
                parameters=common,
            )
        },
        "/pdf": {
            "get": _op(
                "The article as a PDF file",
                {"200": pdf, "304": NOT_MODIFIED},
                [*fetch_errors, 501, 503],
                parameters=[*common, *_params("ifNoneMatch")],
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
    schemas = _schemas(settings)
    paths = (
        _tagged("comments", _comment_paths(settings))
        | _tagged("share", _share_paths(schemas))
        | _tagged("print", _print_paths())
        | _tagged("service", _service_paths())
    )
    tags = ["comments", "share", "print", "service"]
    for tag, module in DOCUMENTED_ELSEWHERE:
        paths |= _tagged(tag, importlib.import_module(module).openapi_paths(settings))
        tags += [tag] if tag not in tags else []
    headers = {
        name: {
            "description": text,
            "schema": {"type": "integer"} if name == "Retry-After" else STRING,
        }
        for name, text in _HEADERS.items()
    }
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
            "parameters": _parameters(settings),
            "headers": headers,
        },
    }
    return copy.deepcopy(document)  # callers may change it; the constants here must not


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
