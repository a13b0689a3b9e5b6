"""Authors change their minds: edit or delete one's own comment within the edit window.

    GET  /comments/{id}/edit      the comment's text in a form (no-JavaScript path)
    POST /comments/{id}/edit      form (303 back to the comment) or JSON (200)
    GET  /comments/{id}/delete    asks to confirm (no-JavaScript path)
    POST /comments/{id}/delete    form (303 back to the thread) or JSON (204)

Authorised by an itsdangerous token bound to the comment id and a hash of its text: sent in
the JSON body (``edit``) by the script, or kept in the HttpOnly author cookie otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.bodies import JSON, media_type, read_form, read_json
from sharekit.errors import NotFound, ValidationFailed
from sharekit.i18n import N_
from sharekit.state import AppState, render_page, state_of
from sharekit.storage.records import StoredComment

from .models import parse_text
from .service import FormState
from .text import render, text_hash

__all__ = ["routes"]

MAX_BODY = 64 * 1024


async def _comment(request: Request, state: AppState) -> StoredComment:
    raw = request.path_params["comment"]
    stored = (
        await state.comments.store.get(int(raw)) if raw.isdecimal() and len(raw) < 19 else None
    )
    if stored is None or stored.status in ("deleted", "spam"):
        raise NotFound(N_("This comment does not exist or was deleted."))
    return stored


def _back(request: Request, stored: StoredComment, anchor: str) -> str:
    site = state_of(request).settings.site(stored.site)
    url = request.query_params.get("url", "")
    if site is None or not site.allows(url):
        return anchor
    return f"{url.split('#')[0]}{anchor}"


async def edit_page(request: Request) -> Response:
    state = state_of(request)
    stored = await _comment(request, state)
    state.comments.authorise(stored, request.cookies, None)
    return _edit_form(request, state, stored, FormState(values={"text": stored.text}))


def _edit_form(
    request: Request, state: AppState, stored: StoredComment, form: FormState, status: int = 200
) -> Response:
    response = render_page(
        request,
        "comments/edit_page.html",
        status,
        comment=stored,
        back=_back(request, stored, f"#comment-{stored.id}"),
        url=request.query_params.get("url", ""),
        form=form,
        settings=state.settings,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def edit(request: Request) -> Response:
    state = state_of(request)
    stored = await _comment(request, state)
    is_json = media_type(request) == JSON
    data: dict[str, Any] = (
        await read_json(request, MAX_BODY) if is_json else await read_form(request, MAX_BODY)
    )
    token = data.get("edit") if is_json else None
    state.comments.authorise(stored, request.cookies, token if isinstance(token, str) else None)
    site = state.settings.site(stored.site)
    if site is None:  # the site was removed from the settings since
        raise NotFound(N_("This comment does not exist or was deleted."))
    text = data.get("text")
    try:
        checked = parse_text(text, state.comments.limits(site))
    except ValidationFailed as exc:
        if is_json:
            raise
        translate = state.catalogs.translations(_lang(state, request, site.key)).gettext
        form = FormState(
            values={"text": str(text or "")},
            errors={"text": exc.translated(translate).get("text", translate(exc.message))},
            message=translate(exc.message),
        )
        return _edit_form(request, state, stored, form, 422)
    updated = await state.comments.store.update_text(
        stored.id,
        checked,
        render(checked, markdown=state.settings.comments_markdown),
        text_hash(checked),
        datetime.now(UTC),
    )
    state.comments.forget_rendered()
    if is_json:
        body = {
            "comment": state.comments.public(updated).model_dump(mode="json"),
            "edit": state.comments.edit_token(updated),
        }
        response: Response = JSONResponse(body)
    else:
        response = RedirectResponse(_back(request, updated, f"#comment-{updated.id}"), 303)
    state.comments.remember_author(response, request, updated)
    return response


async def delete_page(request: Request) -> Response:
    state = state_of(request)
    stored = await _comment(request, state)
    state.comments.authorise(stored, request.cookies, None)
    response = render_page(
        request,
        "comments/delete_page.html",
        comment=stored,
        back=_back(request, stored, f"#comment-{stored.id}"),
        url=request.query_params.get("url", ""),
    )
    response.headers["cache-control"] = "no-store"
    return response


async def delete(request: Request) -> Response:
    state = state_of(request)
    stored = await _comment(request, state)
    is_json = media_type(request) == JSON
    # The no-JavaScript confirmation form has no fields: its body is not needed.
    data: dict[str, Any] = await read_json(request, MAX_BODY) if is_json else {}
    token = data.get("edit") if is_json else None
    state.comments.authorise(stored, request.cookies, token if isinstance(token, str) else None)
    await state.comments.store.delete(stored.id)
    state.comments.forget_rendered()
    response: Response = (
        Response(status_code=204)
        if is_json
        else RedirectResponse(_back(request, stored, "#sk-comments"), 303)
    )
    state.comments.remember_author(response, request, stored, forget=True)
    return response


def _lang(state: AppState, request: Request, site_key: str) -> str:
    site = state.settings.site(site_key)
    header = request.headers.get("accept-language", "").split(",")[:1]
    return state.catalogs.best(
        [request.query_params.get("lang", ""), *header], state.settings.language_of(site)
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/comments/{comment}/edit", edit_page, methods=["GET"]),
        Route("/comments/{comment}/edit", edit, methods=["POST"]),
        Route("/comments/{comment}/delete", delete_page, methods=["GET"]),
        Route("/comments/{comment}/delete", delete, methods=["POST"]),
    ]
