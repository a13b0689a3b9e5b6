"""What one app instance shares between requests, and helpers routes use to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from .assets import Assets
from .i18n import Catalogs, request_language
from .rendering import Renderer
from .settings import Settings
from .storage import Database

if TYPE_CHECKING:
    from .share.service import ShareService

__all__ = ["AppState", "base_path", "render_page", "state_of"]


@dataclass(frozen=True)
class AppState:
    """Everything one app instance shares between requests; lives on ``app.state.sharekit``."""

    settings: Settings
    catalogs: Catalogs
    assets: Assets
    renderer: Renderer
    database: Database
    share: ShareService


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
