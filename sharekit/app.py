"""The ASGI service: ``create_app(settings)`` builds a Starlette app with every capability."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import __version__
from .assets import Assets
from .errors import exception_handlers
from .headers import SecurityHeadersMiddleware
from .i18n import Catalogs, request_language
from .rendering import Renderer
from .settings import Settings

__all__ = [
    "AppState",
    "base_path",
    "create_app",
    "from_environment",
    "render_page",
    "state_of",
]


@dataclass(frozen=True)
class AppState:
    """Everything one app instance shares between requests; lives on ``app.state.sharekit``."""

    settings: Settings
    catalogs: Catalogs
    assets: Assets
    renderer: Renderer


def state_of(request: Request) -> AppState:
    """The :class:`AppState` of the sharekit app serving ``request``."""
    state: AppState = request.app.state.sharekit
    return state


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


async def _index(request: Request) -> Response:
    return render_page(request, "service/index.html", version=__version__)


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


def _routes(state: AppState) -> list[BaseRoute]:
    return [
        Route("/", _index, name="index"),
        Route("/healthz", _health, name="health"),
        Route(
            "/static/{name:path}", state.assets.endpoint, name="static", methods=["GET", "HEAD"]
        ),
    ]


def create_app(settings: Settings) -> Starlette:
    """Build the sharekit service for ``settings``; mount it anywhere or serve it alone.

    Raises :class:`~sharekit.ConfigurationError` when the settings lack a secret or a site.
    """
    settings.require_service_ready()
    catalogs = Catalogs()
    assets = Assets()
    state = AppState(
        settings=settings,
        catalogs=catalogs,
        assets=assets,
        renderer=Renderer(catalogs, assets, settings.public_url),
    )
    origins = sorted({origin for site in settings.sites for origin in site.origins})
    app = Starlette(
        routes=_routes(state),
        middleware=[Middleware(SecurityHeadersMiddleware, frame_ancestors=origins)],
        exception_handlers=exception_handlers(),
    )
    app.state.sharekit = state
    return app


def from_environment() -> Starlette:
    """App factory for ASGI servers: settings from ``SHAREKIT_CONFIG_FILE`` and ``SHAREKIT_*``.

    ``uvicorn --factory sharekit.app:from_environment`` (what ``sharekit serve`` runs).
    """
    config_file = os.environ.get("SHAREKIT_CONFIG_FILE") or None
    return create_app(Settings.load(config_file))
