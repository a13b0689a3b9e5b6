"""Print routes: thin — find the site, call the service, answer.

GET /print?url=…[&lang=…]   the article alone, in a clean reader layout, with a Print button
GET /pdf?url=…[&lang=…]     the same as a PDF file (501 without the ``pdf`` extra)
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.errors import BadRequest
from sharekit.headers import content_security_policy
from sharekit.i18n import N_
from sharekit.state import base_path, headers_of, query_of, state_of

__all__ = ["routes"]

NO_URL = N_("Give the address of the page to print as url.")


def _url(request: Request) -> str:
    url = query_of(request).get("url", "")
    if not url:
        raise BadRequest(NO_URL)
    return url.split("#")[0]


def _lang(request: Request, article_lang: str, default: str) -> str:
    state = state_of(request)
    wanted = query_of(request).get("lang", "")
    header = headers_of(request).get("accept-language", "")
    return state.catalogs.best([wanted, article_lang, *header.split(",")[:1]], default)


async def print_view(request: Request) -> Response:
    state = state_of(request)
    url = _url(request)
    site, article = await state.printing.article(url)
    lang = _lang(request, article.lang, state.settings.language_of(site))
    base = base_path(request)
    pdf_url = None
    if state.printing.pdf_available:
        pdf_url = f"{base}/pdf?{urlencode({'url': url, 'lang': lang})}"
    html = state.printing.render_view(site, article, lang, base, pdf_url)
    origins = sorted({o for known in state.settings.sites for o in known.origins})
    headers = {
        # Built from the site's page, for anyone: caches may keep it for a few minutes.
        "cache-control": "public, max-age=300",
        # The article's pictures stay on the site's own origin.
        "content-security-policy": content_security_policy(origins, img_src=site.origins),
    }
    return HTMLResponse(html, headers=headers)


async def pdf_file(request: Request) -> Response:
    state = state_of(request)
    url = _url(request)
    site = state.printing.site_for(url)
    lang = _lang(request, "", state.settings.language_of(site))
    pdf = await state.printing.pdf(url, lang, base_path(request))
    etag = f'"{hashlib.sha256(pdf).hexdigest()[:32]}"'
    headers = {
        "etag": etag,
        "cache-control": "public, max-age=300",
        "content-disposition": f'inline; filename="{_filename(url)}"',
    }
    if headers_of(request).get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(pdf, media_type="application/pdf", headers=headers)


def _filename(url: str) -> str:
    """A plain file name from the page's path: ``/2024/tour/`` gives ``tour.pdf``."""
    path = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.rsplit(".", 1)[0]).strip("-.")
    return f"{stem[:80] or 'article'}.pdf"


def routes() -> list[BaseRoute]:
    return [
        Route("/print", print_view, methods=["GET"]),
        Route("/pdf", pdf_file, methods=["GET"]),
    ]
