"""What one app instance shares between requests, and helpers routes use to reach it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse

from .assets import Assets
from .i18n import Catalogs, request_language
from .rendering import Renderer
from .security import client_ip, client_key
from .settings import Settings
from .storage import Database

if TYPE_CHECKING:
    from .comments.moderation import Moderation
    from .comments.service import CommentService
    from .printing.service import PrintService
    from .share.service import ShareService

__all__ = [
    "AppState",
    "base_path",
    "client_key_of",
    "headers_of",
    "is_https",
    "query_of",
    "render_page",
    "service_root",
    "state_of",
]


@dataclass(frozen=True)
class AppState:
    """Everything one app instance shares between requests; lives on ``app.state.sharekit``."""

    settings: Settings
    catalogs: Catalogs
    assets: Assets
    renderer: Renderer
    database: Database
    share: ShareService
    comments: CommentService
    moderation: Moderation
    printing: PrintService


def state_of(request: Request) -> AppState:
    """The :class:`AppState` of the sharekit app serving ``request``."""
    state: AppState = request.app.state.sharekit
    return state


@functools.lru_cache(maxsize=1024)
def _parse_query(query: bytes) -> Mapping[str, str]:
    return MappingProxyType(dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)))


def query_of(request: Request) -> Mapping[str, str]:
    """The request's query parameters (the last value of a repeated one), read-only.

    Like ``request.query_params`` but parsed once per distinct query string: listings
    are asked for with the same few queries over and over.
    """
    return _parse_query(request.scope.get("query_string", b""))


def headers_of(request: Request) -> Mapping[str, str]:
    """The request's headers as a plain dict (lower-case names; the first of repeated
    ones, as ``request.headers.get`` gives), made once per request: each lookup in
    Starlette's ``Headers`` scans the raw list again."""
    scope = request.scope
    found: dict[str, str] | None = scope.get("sharekit.headers")
    if found is None:
        found = {}
        for name, value in scope["headers"]:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        scope["sharekit.headers"] = found
    return found


def service_root(request: Request) -> str:
    """The absolute URL the service is mounted at, without a trailing slash (what
    ``str(request.base_url).rstrip("/")`` gives, without building URL objects)."""
    scope = request.scope
    host = headers_of(request).get("host")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}" if server[1] is not None else str(server[0])
    return f"{scope.get('scheme', 'http')}://{host}{base_path(request)}"


def is_https(request: Request) -> bool:
    """Whether the visitor reached the service over TLS (for ``Secure`` cookies): the
    connection's own scheme, or ``X-Forwarded-Proto: https`` from a trusted proxy (one of
    ``trusted_proxies``, the same networks whose ``X-Forwarded-For`` is believed)."""
    if request.scope.get("scheme") in ("https", "wss"):
        return True
    forwarded = request.headers.get("x-forwarded-proto")
    sharekit = getattr(request.app.state, "sharekit", None) if "app" in request.scope else None
    if not forwarded or sharekit is None or request.client is None:
        return False
    try:
        peer = ip_address(request.client.host)
    except ValueError:
        return False
    trusted = sharekit.settings.trusted_proxies
    return any(peer in network for network in trusted) and (
        forwarded.split(",")[0].strip().lower() == "https"
    )


def base_path(request: Request) -> str:
    """The path prefix the service is mounted under (``/sharekit`` in the demo)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render_page(
    request: Request,
    template: str,
    status_code: int = 200,
    lang: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render one of the service's own pages in the request's language."""
    state = state_of(request)
    lang = lang or request_language(request, state.settings, state.catalogs)
    html = state.renderer.render(template, lang, base=base_path(request), **context)
    return HTMLResponse(html, status_code=status_code)


def client_key_of(request: Request) -> str:
    """The keyed hash of the visitor's anonymised network (never the address itself)."""
    settings = state_of(request).settings
    assert settings.secret_key is not None
    peer = request.client.host if request.client else None
    address = client_ip(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    return client_key(settings.secret_key.get_secret_value(), address)
