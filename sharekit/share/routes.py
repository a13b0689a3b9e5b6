"""Share routes: the no-JavaScript consent page and its redirect, the bar fragment, counts.

GET  /share/info            what the buttons do and why they need two clicks
GET  /share/{network}       consent page: what would be sent where, a "Share on …" button
POST /share/{network}       303 to the network's share URL (the second click without JS)
GET  /share-bar             the bar as an HTML fragment, for static-HTML pages (CORS)
GET  /api/counts            {"network": n, …} in Shariff's shape, when counting is on
POST /api/share             records a share made with JavaScript, when counting is on
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.bodies import read_form
from sharekit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
)
from sharekit.headers import content_security_policy
from sharekit.i18n import N_
from sharekit.state import base_path, client_key_of, render_page, state_of

from .bar import BarOptions, fediverse_choices, notice_text
from .fediverse import FEDIVERSE_SOFTWARE, fediverse_share_url
from .networks import Network
from .page import ShareRequest, parse_share_request

__all__ = ["routes"]

MAX_FORM_BYTES = 16 * 1024


def _network(request: Request, key: str) -> Network:
    network = state_of(request).share.registry.networks.get(key)
    if network is None:
        raise NotFound(N_("There is no share button called %(name)s."), name=key[:40])
    return network


async def _form(request: Request) -> dict[str, str]:
    return await read_form(request, MAX_FORM_BYTES)


def _consent_csp(request: Request, targets: str) -> str:
    origins = sorted({o for site in state_of(request).settings.sites for o in site.origins})
    return content_security_policy(frame_ancestors=origins, form_action=[targets])


async def info(request: Request) -> Response:
    return render_page(request, "share/info.html")


async def consent(request: Request) -> Response:
    state = state_of(request)
    network = _network(request, request.path_params["network"])
    share, site = parse_share_request(dict(request.query_params), state.settings)
    if network.action == "print":  # without JavaScript: the print view of the page
        query = urlencode({"url": share.url, "lang": request.query_params.get("lang", "")})
        return RedirectResponse(f"{base_path(request)}/print?{query}", status_code=303)
    return _consent_page(request, network, share, site.key)


def _consent_page(
    request: Request,
    network: Network,
    share: ShareRequest,
    site_key: str,
    status_code: int = 200,
    server: str = "",
    software: str = "",
    error: str = "",
    error_field: str = "server",
) -> Response:
    state = state_of(request)
    lang = state.catalogs.best(
        [request.query_params.get("lang", "") or request.headers.get("accept-language", "")[:5]],
        state.settings.language_of(state.settings.site(site_key)),
    )
    translations = state.catalogs.translations(lang)
    page = share.page()
    target = ""
    if network.build is not None:
        target = network.build(page)
    response = render_page(
        request,
        "share/consent.html",
        status_code,
        lang,
        network=network,
        page=page,
        site=site_key,
        notice=notice_text(translations, network, page, armed=False) if network.external else "",
        target=target,
        fediverse=fediverse_choices(page, software or network.extra.get("software", "mastodon")),
        server=server,
        error=error,
        error_field=error_field,
    )
    if network.action == "fediverse":
        response.headers["content-security-policy"] = _consent_csp(request, "https:")
    elif target.startswith("https://"):
        parts = urlsplit(target)
        response.headers["content-security-policy"] = _consent_csp(
            request, f"{parts.scheme}://{parts.netloc}"
        )
    response.headers["cache-control"] = "no-store"
    return response


async def confirm(request: Request) -> Response:
    state = state_of(request)
    network = _network(request, request.path_params["network"])
    data = await _form(request)
    share, site = parse_share_request(data, state.settings)
    if network.action == "fediverse":
        server = data.get("server", "")
        software = data.get("software") or network.extra.get("software", "mastodon")

        def again(error: str, field: str = "server") -> Response:
            # The consent page once more, the typed server kept and the problem named.
            chosen = software if software in FEDIVERSE_SOFTWARE else ""
            return _consent_page(
                request, network, share, site.key, 400, server[:300], chosen, error, field
            )

        if software not in FEDIVERSE_SOFTWARE:
            return again(N_("Please choose one of the listed kinds of server."), "software")
        try:
            location = fediverse_share_url(server, software, share.page())
        except ValueError:
            return again(
                N_(
                    "Please enter the address of your server, like mastodon.social, "
                    "without https:// or a path."
                )
            )
    elif network.build is not None:
        location = network.build(share.page())
    else:
        raise BadRequest(N_("This button works in your browser; there is nothing to send."))
    if network.external:
        await state.share.record(site.key, share.url, network.key, client_key_of(request))
    return RedirectResponse(location, status_code=303, headers={"cache-control": "no-store"})


def _cors_origin(request: Request) -> str | None:
    """The request's Origin if it is a configured site origin; raise if it is another."""
    origin = request.headers.get("origin")
    if origin is None:
        return None
    allowed = {o for site in state_of(request).settings.sites for o in site.origins}
    if origin not in allowed:
        raise Forbidden(N_("This site is not allowed to use this service."))
    return origin


async def bar_fragment(request: Request) -> Response:
    state = state_of(request)
    origin = _cors_origin(request)
    params = dict(request.query_params)
    share, site = parse_share_request(params, state.settings)
    try:
        options = BarOptions.model_validate(
            {k: v for k, v in params.items() if k in BarOptions.model_fields}
        )
    except ValidationError as exc:
        name = str(exc.errors()[0]["loc"][0])
        raise BadRequest(N_("The share bar option %(name)s is not valid."), name=name) from exc
    try:
        state.share.registry.resolve(options.networks or ())
    except ValueError as exc:
        raise BadRequest(N_("Unknown network in networks.")) from exc
    lang = state.catalogs.best([params.get("lang", "")], state.settings.language_of(site))
    base = str(request.base_url).rstrip("/") if origin else base_path(request)
    html = state.share.bar.render(
        share.page(), options, lang, base, site.key, str(site.share_info_url or "") or None
    )
    return HTMLResponse(html, headers=_public_headers(origin, max_age=300))


def _public_headers(origin: str | None, max_age: int) -> dict[str, str]:
    """Cacheable, varying by Origin, and readable by a configured site's script."""
    headers = {"vary": "Origin", "cache-control": f"public, max-age={max_age}"}
    if origin:
        headers["access-control-allow-origin"] = origin
    return headers


def _counting_enabled(request: Request) -> None:
    if not state_of(request).settings.share_counts:
        raise NotFound(N_("Share counts are not enabled on this service."))


async def counts(request: Request) -> Response:
    state = state_of(request)
    _counting_enabled(request)
    origin = _cors_origin(request)
    share, site = parse_share_request({"url": request.query_params.get("url", "")}, state.settings)
    numbers = await state.share.counts(site.key, share.url)
    return JSONResponse(numbers, headers=_public_headers(origin, max_age=60))


async def record(request: Request) -> Response:
    state = state_of(request)
    _counting_enabled(request)
    origin = _cors_origin(request)
    data = await _form(request)
    share, site = parse_share_request(data, state.settings)
    network = _network(request, data.get("network", ""))
    if network.external:
        await state.share.record(site.key, share.url, network.key, client_key_of(request))
    headers = {"access-control-allow-origin": origin} if origin else {}
    return Response(status_code=204, headers=headers)


def routes() -> list[BaseRoute]:
    return [
        Route("/share/info", info, methods=["GET"]),
        Route("/share/{network}", consent, methods=["GET"]),
        Route("/share/{network}", confirm, methods=["POST"]),
        Route("/share-bar", bar_fragment, methods=["GET"]),
        Route("/api/counts", counts, methods=["GET"]),
        Route("/api/share", record, methods=["POST"]),
    ]
