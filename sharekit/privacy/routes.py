"""The erase link in every mail to a commenter (GDPR Art. 17).

GET  /privacy/erase/{token}   what would be erased for the link's address on its site, and
                              a button; changes nothing (mail scanners fetch links)
POST /privacy/erase/{token}   erases it (``privacy_erase``: anonymise or delete) and says so

The token (``MailLinks.erase``) names a site and an address; the page shows the address
only masked (``j…@example.org``), since anyone holding the mail can open it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sharekit.i18n import parse_accept_language
from sharekit.links import ERASE_PATH, Erase
from sharekit.openapi_parts import Schema, html, in_path, op, q
from sharekit.settings import Settings
from sharekit.state import render_page, state_of

from .requests import DataRequests, mask

__all__ = ["openapi_paths", "routes"]

TEMPLATE = "privacy/erase.html"


def _requests(request: Request) -> DataRequests:
    state = state_of(request)
    return DataRequests(state.settings, state.database, state.comments.forget_rendered)


def _link(request: Request) -> Erase:
    """The link's site and address; ``InvalidToken`` or ``TokenExpired`` (400) else."""
    return state_of(request).comments.links.read_erase(request.path_params["token"])


def _language(request: Request, site: str) -> str:
    state = state_of(request)
    wanted = [request.query_params.get("lang", "")]
    wanted += parse_accept_language(request.headers.get("accept-language", ""))
    return state.catalogs.best(
        [tag for tag in wanted if tag], state.settings.language_of(state.settings.site(site))
    )


def _page(request: Request, link: Erase, **context: Any) -> Response:
    settings = state_of(request).settings
    site = settings.site(link.site)
    response = render_page(
        request,
        TEMPLATE,
        lang=_language(request, link.site),
        address=mask(link.email),
        site_name=(site.name or site.origins[0]) if site else link.site,
        mode=settings.privacy_erase,
        **context,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def confirm(request: Request) -> Response:
    link = _link(request)
    found = await _requests(request).find(link.email, link.site)
    return _page(
        request,
        link,
        done=False,
        comments=len(found.comments),
        subscriptions=len(found.subscriptions),
        anything=bool(found),
    )


async def erase(request: Request) -> Response:
    link = _link(request)
    erased = await _requests(request).erase(link.email, link.site)
    return _page(
        request,
        link,
        done=True,
        comments=erased.anonymised + erased.deleted,
        subscriptions=erased.subscriptions,
        anything=bool(erased),
    )


def routes() -> list[BaseRoute]:
    """The erase link's confirmation page and its action, for ``create_app``."""
    return [
        Route(ERASE_PATH, confirm, methods=["GET"], name="privacy-erase"),
        Route(ERASE_PATH, erase, methods=["POST"], name="privacy-erase-post"),
    ]


def openapi_paths(settings: Settings) -> dict[str, Schema]:
    """The OpenAPI description of these routes."""
    mode = (
        "keeps the text of the comments without name, email address, website or keys"
        if settings.privacy_erase == "anonymise"
        else "deletes the comments (an empty placeholder stays where others replied)"
    )
    token = in_path("token", {"type": "string"}, "The signed token from the mail's link.")
    language = q("lang", {"type": "string"}, "The language to answer in, such as `de`.")
    page = html("The page; the address is shown masked.", "Cache-Control")
    rule = (
        "The link names a site and an email address; it works for a year. Erasing "
        f"{mode}, and deletes the address's reply subscriptions and queued mail about it, "
        "on that site only."
    )
    return {
        "/privacy/erase/{token}": {
            "get": op(
                "What erasing would remove (changes nothing)",
                {"200": page},
                [400, 503],
                description=rule,
                parameters=[token, language],
            ),
            "post": op(
                "Erase what is stored about the link's address on its site",
                {"200": page},
                [400, 503],
                description=rule,
                parameters=[token, language],
            ),
        }
    }
