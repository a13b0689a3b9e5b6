"""Building blocks of the OpenAPI document, for every module that documents routes.

Each capability documents its routes as a function returning OpenAPI ``paths``, built
with these helpers; :mod:`sharekit.openapi` puts them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .bodies import FORM, JSON

__all__ = [
    "FORM",
    "HTML",
    "JSON",
    "NOT_MODIFIED",
    "NULL",
    "STRING",
    "Schema",
    "body",
    "error",
    "html",
    "in_path",
    "json_reply",
    "op",
    "q",
    "ref",
    "reply",
    "tagged",
]

Schema = dict[str, Any]

HTML = "text/html"
STRING: Schema = {"type": "string"}
NULL: Schema = {"type": "null"}

ERRORS = {
    400: "The request is malformed or not allowed; the message says what to change.",
    403: "The request's origin may not use the service, or the action is refused.",
    404: "Nothing lives here: an unknown site, comment or network.",
    409: "The same author already posted this text in this thread.",
    413: "The body is larger than this route reads.",
    415: "The body is in a format this route does not read.",
    422: "Some fields are invalid (`errors` has one message per field), or the page has no "
    "article to print.",
    429: "Too many comments from this network for now.",
    501: "This installation has no PDF support; the message says how to add it.",
    502: "The site's page could not be loaded, was not HTML, or was too large.",
    401: "Not logged in (the admin).",
    503: "The database cannot answer now, or every PDF render slot is busy.",
    504: "The site's page took longer than `print_timeout` to load.",
}


def ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def q(name: str, schema: Schema = STRING, description: str = "", **extra: Any) -> Schema:
    """A query parameter; ``extra`` adds keywords such as ``required=True``."""
    parameter = {"name": name, "in": "query", "schema": schema, **extra}
    return parameter | {"description": description} if description else parameter


def in_path(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema} | {
        "description": description
    }


def reply(description: str, content: Schema | None = None, *headers: str) -> Schema:
    """A response: ``content`` maps media types to schemas; ``headers`` names components."""
    response: Schema = {"description": description}
    if content:
        response["content"] = {kind: {"schema": schema} for kind, schema in content.items()}
    if headers:
        response["headers"] = {name: ref(name, "headers") for name in headers}
    return response


def json_reply(description: str, name: str, *headers: str) -> Schema:
    return reply(description, {JSON: ref(name)}, *headers)


def html(description: str, *headers: str) -> Schema:
    return reply(description, {HTML: STRING}, *headers)


def error(code: int, api: bool) -> Schema:
    body = ref("ValidationFailed" if code == 422 else "Error")
    content = {JSON: body} if api else {JSON: body, HTML: STRING}
    return reply(ERRORS[code], content, *(["Retry-After"] if code in (429, 503) else []))


def body(content: Schema, required: bool = True) -> Schema:
    return {"required": required, "content": {kind: {"schema": s} for kind, s in content.items()}}


def op(
    summary: str,
    answers: Schema,
    errors: Iterable[int] = (),
    *,
    api: bool = False,
    **extra: Any,
) -> Schema:
    """One operation: its successful ``answers``, the statuses of its errors (JSON only
    when ``api``), and ``extra`` fields such as ``parameters`` or ``requestBody``."""
    responses = answers | {str(code): error(code, api) for code in errors}
    return {"summary": summary, **extra, "responses": responses}


def tagged(tag: str, paths: dict[str, Schema]) -> dict[str, Schema]:
    """Tag every operation of ``paths`` and name it by its method and path."""
    for path, operations in paths.items():
        words = "".join(word.capitalize() for word in re.findall(r"[a-z0-9]+", path))
        for method, operation in operations.items():
            operation.update(tags=[tag], operationId=method + words)
    return paths


NOT_MODIFIED = reply("Unchanged since the ETag in `If-None-Match`.", None, "ETag")
