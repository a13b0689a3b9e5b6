"""Comment routes: thin — parse, call the service, render.

POST /comments                      form (303 to the page, or the form again with errors)
                                    or JSON (201; 202 when held; 422 with field errors)
GET  /comments/new                  the form alone (replies and errors without JavaScript)
GET  /threads/{thread}/comments     a page of the thread: HTML fragment or page, or JSON
POST /api/comment-counts            approved comments for many threads at once
POST /comments/preview              the server's rendering of a draft (live preview)
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.bodies import FORM, JSON, media_type, read_form, read_json
from sharekit.errors import (
    BadRequest,
    Forbidden,
    HTTPError,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from sharekit.i18n import N_
from sharekit.origins import origin_of
from sharekit.security import InvalidToken, TokenExpired
from sharekit.settings import Site
from sharekit.state import (
    AppState,
    base_path,
    client_key_of,
    headers_of,
    query_of,
    render_page,
    service_root,
    state_of,
)

from .listings import CachedResponse, Listing
from .models import Posted
from .service import FormState
from .text import render as render_text

__all__ = ["routes"]

MAX_BODY = 64 * 1024
UNCHECKED = N_("This form could not be checked. Your comment is still here: please send it again.")
HELD = N_("Thank you! Your comment will appear once it has been approved.")
PUBLISHED = N_("Thank you! Your comment has been published.")
EXPIRED = N_(
    "This form was open for a long time. Your comment is still here: please send it again."
)
FIELDS = ("text", "name", "email", "website", "remember", "consent", "notify")


def _site(state: AppState, key: str | None, url: str | None = None) -> Site:
    if key:
        site = state.settings.site(key)
    elif url:
        site = state.settings.site_for_url(url)
    else:
        site = state.settings.sites[0] if len(state.settings.sites) == 1 else None
    if site is None:
        raise NotFound(N_("This site does not use this service."))
    return site


def _request_origin(request: Request) -> str | None:
    headers = headers_of(request)
    origin = headers.get("origin")
    if origin is None and (referer := headers.get("referer")):
        return origin_of(referer) or "null"
    return origin


def _allowed_origins(request: Request, site: Site) -> list[str]:
    own = origin_of(service_root(request))
    return [*site.origins, *([own] if own else [])]


def _lang(state: AppState, request: Request, site: Site, wanted: str = "") -> str:
    header = headers_of(request).get("accept-language", "")
    return state.catalogs.best([wanted, *header.split(",")[:1]], state.settings.language_of(site))


async def submit(request: Request) -> Response:
    state = state_of(request)
    kind = media_type(request)
    if kind == JSON:
        return await _submit_json(request, state)
    if kind == FORM:
        return await _submit_form(request, state)
    raise UnsupportedMediaType()


async def _submit_form(request: Request, state: AppState) -> Response:
    data = await read_form(request, MAX_BODY, max_fields=30)
    site = _site(state, data.get("site"), data.get("url"))
    state.comments.guard.check_origin(
        _request_origin(request), _allowed_origins(request, site), required=False
    )
    lang = _lang(state, request, site, data.get("lang", ""))
    _ = state.catalogs.translations(lang).gettext
    thread, url = data.get("thread", ""), data.get("url", "")
    try:
        if not site.allows(url):
            raise BadRequest(N_("This address is not a page of a site that uses this service."))
        state.comments.guard.check_token(data.get("token", ""), site.key, thread)
        comment = state.comments.validate(data, site)
        stored = await state.comments.submit(comment, site, client_key_of(request))
    except TokenExpired:
        return _form_again(request, state, site, data, lang, _(EXPIRED), {}, 400)
    except InvalidToken:
        return _form_again(request, state, site, data, lang, _(UNCHECKED), {}, 400)
    except ValidationFailed as exc:
        errors = exc.translated(_)
        return _form_again(request, state, site, data, lang, _(exc.message), errors, 422)
    except HTTPError as exc:
        message = _(exc.message) % exc.params if exc.params else _(exc.message)
        again = _form_again(request, state, site, data, lang, message, {}, exc.status_code)
        again.headers.update(exc.headers())
        return again
    done = RedirectResponse(f"{url.split('#')[0]}#comment-{stored.id}", status_code=303)
    state.comments.remember_author(done, request, stored)
    return done


def _form_again(
    request: Request,
    state: AppState,
    site: Site,
    data: dict[str, str],
    lang: str,
    message: str,
    errors: dict[str, str],
    status: int,
) -> HTMLResponse:
    """The form once more, with every value the visitor typed and what to fix."""
    values = {name: data.get(name, "") for name in FIELDS}
    parent = data.get("parent", "")
    response = render_page(
        request,
        "comments/form_page.html",
        status,
        lang,
        site=site,
        thread=data.get("thread", "")[:200],
        url=data.get("url", "") if site.allows(data.get("url", "")) else "",
        title=data.get("title", "")[:300],
        parent=_parent_id(parent),
        token=state.comments.guard.issue(site.key, data.get("thread", "")[:200]),
        form=FormState(values=values, errors=errors, message=message),
        settings=state.settings,
        replies=state.comments.replies_offered,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def _submit_json(request: Request, state: AppState) -> Response:
    data = await read_json(request, MAX_BODY)
    site = _site(state, _str(data.get("site")), _str(data.get("url")))
    # Errors below answer in the language the form was shown in.
    request.state.sharekit_lang = _lang(state, request, site, _str(data.get("lang")))
    origin = headers_of(request).get("origin")
    state.comments.guard.check_origin(origin, _allowed_origins(request, site), required=True)
    if not site.allows(_str(data.get("url"))):
        raise BadRequest(N_("This address is not a page of a site that uses this service."))
    state.comments.guard.check_token(_str(data.get("token")), site.key, _str(data.get("thread")))
    comment = state.comments.validate(data, site)
    stored = await state.comments.submit(comment, site, client_key_of(request))
    public = state.comments.public(stored)
    lang = request.state.sharekit_lang
    base = base_path(request) or (service_root(request) if origin else "")
    html = state.comments.render_item(public, site, comment.url, comment.title, lang, base)
    held = stored.status == "pending"
    posted = Posted(
        comment=public,
        html=str(html),
        edit=state.comments.edit_token(stored),
        message=state.catalogs.translations(lang).gettext(HELD if held else PUBLISHED),
    )
    response = Response(
        posted.model_dump_json(),
        status_code=202 if held else 201,
        media_type="application/json",
        headers=_cors(request, site),
    )
    # The script posts with credentials "same-origin": from a page on another origin the
    # browser neither sends nor keeps our cookies, so the author cookie only helps when the
    # page and the service share an origin (the edit token in the answer covers the rest).
    if origin == origin_of(service_root(request)):
        state.comments.remember_author(response, request, stored)
    return response


def _links_base(request: Request) -> str:
    """Where links in a fragment point: a path on our own origin, else an absolute URL."""
    origin = headers_of(request).get("origin")
    if origin is None or origin == origin_of(service_root(request)):
        return base_path(request)
    return service_root(request)


def _parent_id(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _cors(request: Request, site: Site) -> dict[str, str]:
    origin = headers_of(request).get("origin")
    if origin and origin in site.origins:
        return {"access-control-allow-origin": origin, "vary": "Origin"}
    return {"vary": "Origin"}


async def new_form(request: Request) -> Response:
    state = state_of(request)
    params = request.query_params
    site = _site(state, params.get("site"), params.get("url"))
    url = params.get("url", "")
    if not site.allows(url):
        raise BadRequest(N_("This address is not a page of a site that uses this service."))
    thread = params.get("thread", "")[:200]
    parent = params.get("parent", "")
    lang = _lang(state, request, site, params.get("lang", ""))
    response = render_page(
        request,
        "comments/form_page.html",
        200,
        lang,
        site=site,
        thread=thread,
        url=url,
        title=params.get("title", "")[:300],
        parent=_parent_id(parent),
        token=state.comments.guard.issue(site.key, thread),
        form=FormState(),
        settings=state.settings,
        replies=state.comments.replies_offered,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def thread(request: Request) -> Response:
    state = state_of(request)
    params = query_of(request)
    site = _site(state, params.get("site"), params.get("url"))
    headers = headers_of(request)
    origin = headers.get("origin")
    if origin is not None and origin not in _allowed_origins(request, site):
        raise Forbidden(N_("This site is not allowed to use this service."))
    key = request.path_params["thread"]
    url = params.get("url", "")
    if url and not site.allows(url):
        raise BadRequest(N_("This address is not a page of a site that uses this service."))
    own = state.comments.own_ids(request)
    version = await state.comments.store.thread_version(site.key, key)
    wants_json = "application/json" in headers.get("accept", "") or (
        params.get("format") == "json"
    )
    lang = _lang(state, request, site, params.get("lang", ""))
    query = request.scope.get("query_string", b"")
    if_none_match = headers.get("if-none-match")
    links = _links_base(request)
    cache_key = (version, query, tuple(sorted(own)), wants_json, lang, origin, links)
    cached = state.comments.listings.get(cache_key)
    if cached is not None:
        if if_none_match == cached.etag:
            return _not_modified(request, site, cached.etag)
        return CachedResponse(cached)
    tag = hashlib.sha256(
        f"{version}|{query!r}|{sorted(own)}|{wants_json}|{lang}|{origin}".encode()
    ).hexdigest()[:32]
    etag = f'W/"{tag}"'
    if if_none_match == etag:
        return _not_modified(request, site, etag)
    rendered = await _render_thread(request, state, site, key, own, lang, wants_json)
    body = bytes(rendered.body)
    response = Response(
        body,
        media_type=rendered.media_type or "text/html",
        headers=_listing_headers(request, site, etag),
    )
    listing = Listing(body, response.media_type or "", tuple(response.raw_headers), etag)
    state.comments.listings.put(cache_key, listing)
    return response


def _listing_headers(request: Request, site: Site, etag: str) -> dict[str, str]:
    return {"etag": etag, "cache-control": "no-cache", **_cors(request, site)}


def _not_modified(request: Request, site: Site, etag: str) -> Response:
    return Response(status_code=304, headers=_listing_headers(request, site, etag))


async def _render_thread(
    request: Request,
    state: AppState,
    site: Site,
    key: str,
    own: frozenset[int],
    lang: str,
    wants_json: bool,
) -> Response:
    params = query_of(request)
    newest = params.get("order") == "newest"
    view = await state.comments.thread(site, key, own, newest, params.get("after") or None)
    if wants_json:
        body = {
            "thread": key,
            "total": view.total,
            "comments": [comment.model_dump(mode="json") for comment in view.comments],
            "next": view.cursor,
        }
        return JSONResponse(body)
    url, title = params.get("url", ""), params.get("title", "")[:300]
    section = state.comments.render_section(
        view, site, key, url, title, lang, _links_base(request)
    )
    if params.get("fragment") == "1" or request.headers.get("origin"):
        return HTMLResponse(section)
    return render_page(
        request, "comments/thread_page.html", 200, lang, section=section, url=url, title=title
    )


async def counts(request: Request) -> Response:
    state = state_of(request)
    data = await read_json(request, MAX_BODY)
    site = _site(state, _str(data.get("site")))
    threads = data.get("threads")
    if not isinstance(threads, list) or not all(isinstance(t, str) for t in threads):
        raise BadRequest(N_("Send a list of thread names as threads."))
    if len(threads) > 500:
        raise BadRequest(N_("Ask for at most %(max)s threads at once."), max=500)
    numbers = await state.comments.counts(site, threads)
    return JSONResponse(numbers, headers=_cors(request, site))


async def preview(request: Request) -> Response:
    state = state_of(request)
    data = await read_json(request, MAX_BODY)
    site = _site(state, _str(data.get("site")))
    # Like posting: only the site's pages (and ours) may have us render their drafts.
    state.comments.guard.check_origin(
        headers_of(request).get("origin"), _allowed_origins(request, site), required=False
    )
    text = _str(data.get("text"))[: state.settings.comments_text_max]
    html = render_text(text, markdown=state.settings.comments_markdown)
    return JSONResponse({"html": html}, headers=_cors(request, site))


def routes() -> list[BaseRoute]:
    # Listings first: the router tries routes in order, and a thread is read far more
    # often than it is written to.
    return [
        Route("/threads/{thread:path}/comments", thread, methods=["GET"]),
        Route("/comments", submit, methods=["POST"]),
        Route("/comments/new", new_form, methods=["GET"]),
        Route("/comments/preview", preview, methods=["POST"]),
        Route("/api/comment-counts", counts, methods=["POST"]),
    ]
