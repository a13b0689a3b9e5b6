"""The errors sharekit raises on purpose, and the one place that turns them into responses.

::

    SharekitError               anything sharekit raises on purpose
    ├── ConfigurationError      the settings cannot work; the CLI prints it and exits 2
    └── HTTPError               a request cannot be served; carries a status and a message
        ├── BadRequest          400: malformed or disallowed input
        │   └── URLNotAllowed   400: a page URL outside the configured site origins
        ├── Forbidden           403
        ├── NotFound            404
        ├── MethodNotAllowed    405
        ├── RequestTimeout      408: the body did not arrive in time
        ├── PayloadTooLarge     413
        ├── UnsupportedMediaType 415
        ├── ValidationFailed    422: carries one message per field
        ├── RateLimited         429: carries ``retry_after`` seconds
        └── ServiceUnavailable  503: carries ``retry_after`` seconds

Messages are English gettext message ids with ``%(name)s`` placeholders; the handler
translates them into the visitor's language before answering. Routes raise, never build
error responses themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .i18n import N_

__all__ = [
    "BadRequest",
    "ConfigurationError",
    "Forbidden",
    "HTTPError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "RequestTimeout",
    "ServiceUnavailable",
    "SharekitError",
    "URLNotAllowed",
    "UnsupportedMediaType",
    "ValidationFailed",
    "exception_handlers",
]

logger = logging.getLogger("sharekit")


class SharekitError(Exception):
    """Base class of every error sharekit raises on purpose."""


class ConfigurationError(SharekitError):
    """The settings cannot work; the message says what to change."""

    @classmethod
    def from_validation(cls, exc: ValueError, source: object = None) -> ConfigurationError:
        """Summarise a pydantic ``ValidationError`` as one readable line."""
        errors = getattr(exc, "errors", None)
        prefix = f"{source}: " if source else ""
        if errors is None:
            return cls(f"{prefix}{exc}")
        parts = []
        for error in errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}")
        return cls(prefix + "; ".join(parts))


class HTTPError(SharekitError):
    """A request that cannot be served; ``message`` is a gettext id, ``params`` fill it in."""

    status_code: ClassVar[int] = 400
    default_message: ClassVar[str] = N_("The request could not be served.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.message = message or self.default_message
        self.params = params
        super().__init__(self.message % params if params else self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers this error calls for."""
        return {}


class BadRequest(HTTPError):
    """400: the request is malformed or asks for something not allowed."""

    status_code = 400
    default_message = N_("The request is not valid.")


class URLNotAllowed(BadRequest):
    """400: a page URL is not on any configured site origin (no open redirects)."""

    default_message = N_("This address is not a page of a site that uses this service.")


class Forbidden(HTTPError):
    """403: the request is understood but refused."""

    status_code = 403
    default_message = N_("This action is not allowed.")


class NotFound(HTTPError):
    """404: nothing lives at this address."""

    status_code = 404
    default_message = N_("There is no page at this address.")


class MethodNotAllowed(HTTPError):
    """405: the address exists but not for this method."""

    status_code = 405
    default_message = N_("This address does not accept this kind of request.")


class RequestTimeout(HTTPError):
    """408: the client did not send the whole body in time; the connection is closed."""

    status_code = 408
    default_message = N_("The data took too long to arrive. Please try again.")

    def headers(self) -> dict[str, str]:
        return {"Connection": "close"}


class PayloadTooLarge(HTTPError):
    """413: the request body is over the configured cap."""

    status_code = 413
    default_message = N_("The submitted data is too large.")


class UnsupportedMediaType(HTTPError):
    """415: the body is not in a format this route reads."""

    status_code = 415
    default_message = N_("The submitted data is in a format this address does not accept.")


FieldMessage = str | tuple[str, Mapping[str, Any]]


class ValidationFailed(HTTPError):
    """422: one or more fields are invalid.

    ``fields`` maps a field name to a message id, or to ``(message id, parameters)``.
    """

    status_code = 422
    default_message = N_("Some fields need your attention.")

    def __init__(self, fields: Mapping[str, FieldMessage], message: str | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, tuple[str, Mapping[str, Any]]] = {
            name: (value, {}) if isinstance(value, str) else value
            for name, value in fields.items()
        }

    def translated(self, translate: Callable[[str], str]) -> dict[str, str]:
        """Each field's message in the language of ``translate``."""
        return {
            name: translate(message) % params if params else translate(message)
            for name, (message, params) in self.fields.items()
        }


class _RetryLater(HTTPError):
    def __init__(self, retry_after: int, message: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimited(_RetryLater):
    """429: too many requests from this client; try again after ``retry_after`` seconds."""

    status_code = 429
    default_message = N_("Too many requests. Please wait a moment and try again.")


class ServiceUnavailable(_RetryLater):
    """503: the service is busy; try again after ``retry_after`` seconds."""

    status_code = 503
    default_message = N_("The service is busy right now. Please try again shortly.")


def wants_json(request: Request) -> bool:
    """Tell whether the client asked for JSON rather than a page."""
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    if "/api/" in request.url.path or content_type.startswith("application/json"):
        return True
    if request.query_params.get("format") == "json":
        return True
    return "application/json" in accept and "text/html" not in accept


_STARLETTE_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def _render(request: Request, error: HTTPError) -> Response:
    from .i18n import request_language
    from .state import render_page, state_of  # state imports this module; import at call time

    state = state_of(request)
    lang = request_language(request, state.settings, state.catalogs)
    translate = state.catalogs.translations(lang).gettext
    message = translate(error.message) % error.params if error.params else translate(error.message)
    headers = error.headers()
    if wants_json(request):
        body: dict[str, Any] = {"error": message, "status": error.status_code}
        if isinstance(error, ValidationFailed):
            body["errors"] = error.translated(translate)
        return JSONResponse(body, status_code=error.status_code, headers=headers)
    response = render_page(
        request,
        "service/error.html",
        error.status_code,
        lang,
        status=error.status_code,
        message=message,
    )
    response.headers.update(headers)
    return response


async def _handle_sharekit(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return _render(request, exc)


async def _handle_starlette(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = _STARLETTE_STATUS.get(exc.status_code, HTTPError)()
    response = _render(request, error)
    response.status_code = exc.status_code
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _handle_configuration(request: Request, exc: Exception) -> Response:
    # A setting that only fails at run time (e.g. a database schema that needs
    # `sharekit migrate`): the operator must act; visitors get a clear 503, not a trace.
    logger.error("sharekit is not ready: %s", exc)
    response = _render(request, ServiceUnavailable(retry_after=60))
    response.headers["Retry-After"] = "60"
    return response


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    # The request body and query may hold personal data: log the path and the error only.
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    error = HTTPError(N_("Something went wrong on our side. Please try again later."))
    try:
        response = _render(request, error)
    except Exception:  # the error page itself failed: answer without templates
        logger.exception("cannot render the error page")
        return PlainTextResponse(error.message, status_code=500)
    response.status_code = 500
    return response


def exception_handlers() -> dict[Any, Any]:
    """The handlers ``create_app`` installs: sharekit errors, Starlette's, and the rest."""
    return {
        HTTPError: _handle_sharekit,
        ConfigurationError: _handle_configuration,
        StarletteHTTPException: _handle_starlette,
        Exception: _handle_unexpected,
    }
