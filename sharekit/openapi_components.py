"""The components of the OpenAPI document: the schemas, shared parameters and headers.

Bodies come from the pydantic models where there is one (``Comment``, ``CommentIn``,
``ShareRequest``, ``BarOptions``); what the settings decide (text length, page size, the
sites, the networks) is read from the settings the app was built with. The path tables
refer to these by name (``ref``, ``params``), so each is described once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from .comments.models import Comment, CommentIn, Posted
from .comments.service import OWN_COOKIE
from .openapi_parts import NULL, STRING, Schema, in_path, q, ref
from .settings import Settings
from .share.bar import BarOptions
from .share.fediverse import FEDIVERSE_SOFTWARE
from .share.networks import NETWORKS
from .share.page import ShareRequest

__all__ = [
    "CACHED",
    "CORS",
    "component_headers",
    "component_parameters",
    "component_schemas",
    "params",
]

REF = "#/components/schemas/{model}"
# Header names the path tables put on their answers; described in ``_HEADERS``.
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


def component_schemas(settings: Settings) -> dict[str, Schema]:
    """Every body the service reads or writes, with the limits of ``settings``."""
    schemas: dict[str, Schema] = {}
    _model(schemas, Comment, mode="serialization")
    _model(schemas, Posted, mode="serialization")  # the answer to a JSON post
    comment = ref("Comment")
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
        "ValidationFailed": {"allOf": [ref("Error")], "required": ["errors"]},
    }


def component_parameters(settings: Settings) -> dict[str, Schema]:
    """The parameters several routes share, by the name ``params`` knows them."""
    sites = _sites(settings)
    return {
        "site": q("site", sites, "The site; found from `url` (or the only one) if absent."),
        "url": q("url", STRING, "The page's address, on one of the site's origins."),
        "title": q("title", STRING, "The page's title (cut to 300 characters)."),
        "lang": q("lang", STRING, "The language to answer in, such as `de`."),
        "thread": in_path("thread", STRING, "The thread's name (may contain slashes)."),
        "comment": in_path("comment", {"type": "integer", "minimum": 1}, "A comment's id."),
        "network": in_path("network", _networks(settings), "A share network's key."),
        "siteKey": in_path("site", sites, "The site's key."),
        "ifNoneMatch": {"name": "If-None-Match", "in": "header", "schema": STRING},
        "own": {"name": OWN_COOKIE, "in": "cookie", "schema": STRING},
    }


def params(*names: str) -> list[Schema]:
    """References to the shared parameters of these names (see ``component_parameters``)."""
    return [ref(name, "parameters") for name in names]


def component_headers() -> Schema:
    """The response headers the operations name, each described once."""
    return {
        name: {
            "description": text,
            "schema": {"type": "integer"} if name == "Retry-After" else STRING,
        }
        for name, text in _HEADERS.items()
    }
