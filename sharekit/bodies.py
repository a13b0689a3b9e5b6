"""Request bodies read with a hard cap, even without ``Content-Length``, and a deadline, so
a client sending one byte a second cannot hold a connection for ever; parsed strictly:
URL-encoded forms and JSON objects only, valid UTF-8, no repeated fields."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .errors import BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from .i18n import N_

__all__ = ["FORM", "JSON", "media_type", "read_body", "read_form", "read_json"]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEFAULT_TIMEOUT = 10.0


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body; :class:`PayloadTooLarge` as soon as it passes ``limit`` bytes,
    :class:`RequestTimeout` when it has not all arrived within ``request_body_timeout``."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise PayloadTooLarge()
    body = bytearray()
    try:
        async with asyncio.timeout(_timeout(request)):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise PayloadTooLarge()
    except TimeoutError as exc:
        raise RequestTimeout() from exc
    return bytes(body)


def _timeout(request: Request) -> float:
    # Outside a sharekit app (a bare Starlette app in a test) the default applies.
    state = getattr(request.app.state, "sharekit", None)
    return state.settings.request_body_timeout if state is not None else DEFAULT_TIMEOUT


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(N_("The submitted data is not valid UTF-8 text.")) from exc


async def read_form(request: Request, limit: int, max_fields: int = 20) -> dict[str, str]:
    """A URL-encoded form as a dict; each field at most once."""
    if media_type(request) != FORM:
        raise UnsupportedMediaType()
    try:
        pairs = parse_qsl(
            _text(await read_body(request, limit)),
            keep_blank_values=True,
            max_num_fields=max_fields,
        )
    except ValueError as exc:
        raise BadRequest(N_("The form has too many fields.")) from exc
    data: dict[str, str] = {}
    for name, value in pairs:
        if name in data:
            raise BadRequest(N_("The field %(name)s was sent twice."), name=_printable(name))
        data[name] = value
    return data


def _printable(name: str) -> str:
    """A field name safe to repeat in a message (no lone surrogates, no control codes)."""
    clean = name.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch if ch.isprintable() else "?" for ch in clean)[:40]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in pairs:
        if name in data:
            raise BadRequest(N_("The field %(name)s was sent twice."), name=_printable(name))
        data[name] = value
    return data


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """A JSON object as a dict; repeated keys, other types and bad JSON are refused."""
    if media_type(request) != JSON:
        raise UnsupportedMediaType()
    try:
        data = json.loads(_text(await read_body(request, limit)), object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise BadRequest(N_("The submitted data is not valid JSON.")) from exc
    except RecursionError as exc:
        raise BadRequest(N_("The submitted data is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise BadRequest(N_("The submitted data must be a JSON object."))
    return data
