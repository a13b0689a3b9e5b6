"""The admin at ``/admin``: log in, list comments, moderate one or many, edit one.

    GET  /admin                          the comment list (status tabs, site, thread,
                                         search, pages); 303 to the login when logged out
    GET  /admin/login                    the password form
    POST /admin/login                    checks the password; 303 to the list with a cookie
    POST /admin/logout                   ends the session
    POST /admin/comments                 approve, spam, hold or delete the ticked comments
                                         (or the one whose button was pressed)
    GET  /admin/comments/{comment}/edit  a comment's text and name in a form
    POST /admin/comments/{comment}/edit  saves them; 303 to the list, or the form again

Every route exists whether or not the admin is on; without ``admin_password_hash`` each
answers 404 with how to turn it on. Every POST needs the session cookie and (except the
login) the session's CSRF token. Pages are never cached, never indexed, never framed.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.bodies import FORM, media_type, read_body, read_form
from sharekit.comments.models import parse_text
from sharekit.errors import BadRequest, NotFound, UnsupportedMediaType, ValidationFailed
from sharekit.i18n import N_, parse_accept_language
from sharekit.settings import Settings
from sharekit.state import AppState, base_path, query_of, render_page, state_of
from sharekit.storage.comments import SiteComment

from .auth import Admin
from .docs import openapi_paths
from .sessions import Session
from .views import PAGE_SIZE, TABS, ListQuery, parse_action, parse_ids, parse_notice, safe_link

__all__ = ["openapi_paths", "routes"]

LOGIN_BYTES = 4 * 1024
BULK_BYTES = 64 * 1024
MAX_NAME = 100

# The site's CSP with framing refused outright: no page may wrap the admin (clickjacking).
ADMIN_CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PRIVATE = {
    "cache-control": "no-store",
    "x-robots-tag": "noindex, nofollow",
    "content-security-policy": ADMIN_CSP,
    "x-frame-options": "DENY",
}


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


def _language(request: Request) -> str:
    """The admin speaks the moderator's language (never a site's: it serves them all)."""
    state = state_of(request)
    wanted = parse_accept_language(request.headers.get("accept-language", ""))
    lang = state.catalogs.best(wanted, state.settings.default_language)
    request.state.sharekit_lang = lang  # error pages answer in it too
    return lang


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return _private(render_page(request, template, status, _language(request), **context))


def _redirect(request: Request, path: str) -> Response:
    return _private(RedirectResponse(f"{base_path(request)}{path}", status_code=303))


def _sites(state: AppState) -> list[str]:
    return [site.key for site in state.settings.sites]


def _comment_id(request: Request) -> int:
    raw = str(request.path_params["comment"])
    if not (raw.isdecimal() and raw.isascii() and len(raw) < 19):
        raise NotFound(N_("This comment does not exist or was deleted."))
    return int(raw)


def _check_author(value: str) -> str:
    """A moderator's correction of a commenter's name; raises ``ValueError`` with a message id."""
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise ValueError(N_("Please enter the author's name."))
    if any(unicodedata.category(char) in {"Cc", "Cs"} for char in name):
        raise ValueError(N_("This field contains characters that are not allowed."))
    if len(name) > MAX_NAME:
        raise ValueError(N_("The name can have at most 100 characters."))
    return name


async def _bulk_form(request: Request) -> tuple[dict[str, str], list[str]]:
    """The list's form: ``ids`` once per ticked comment, every other field at most once."""
    if media_type(request) != FORM:
        raise UnsupportedMediaType()
    try:
        text = (await read_body(request, BULK_BYTES)).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=1000)
    except UnicodeDecodeError as exc:
        raise BadRequest(N_("The submitted data is not valid UTF-8 text.")) from exc
    except ValueError as exc:
        raise BadRequest(N_("The form has too many fields.")) from exc
    fields: dict[str, str] = {}
    ids: list[str] = []
    for name, value in pairs:
        if name == "ids":
            ids.append(value)
        elif name in ("csrf", "back", "action"):
            if name in fields:
                raise BadRequest(N_("The field %(name)s was sent twice."), name=name)
            fields[name] = value
    return fields, ids


def _back(state: AppState, value: str) -> ListQuery:
    return ListQuery.parse(dict(parse_qsl(value[:2000])), _sites(state))


class Endpoints:
    """The admin's request handlers, around one :class:`Admin`."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    async def _login_first(self, request: Request) -> Session | Response:
        session = await self.admin.session(request)
        if session is not None:
            return session
        back = ListQuery.parse(query_of(request), _sites(state_of(request)))
        after = f"?{urlencode({'next': back.query()[1:]})}" if back.params() else ""
        return _redirect(request, f"/admin/login{after}")

    async def list_page(self, request: Request) -> Response:
        found = await self._login_first(request)
        if isinstance(found, Response):
            return found
        state = state_of(request)
        query = ListQuery.parse(query_of(request), _sites(state))
        comments, total = await state.moderation.find(
            query.filter(), limit=PAGE_SIZE, offset=query.offset
        )
        counts = {query.status: total}
        for tab in TABS:
            if tab not in counts:
                counts[tab] = (await state.moderation.find(query.tab(tab).filter(), limit=0))[1]
        return _page(
            request,
            "admin/list.html",
            session=found,
            query=query,
            comments=comments,
            total=total,
            counts=counts,
            tabs=TABS,
            page_size=PAGE_SIZE,
            notice=parse_notice(query_of(request)),
            sites=state.settings.sites,
            site_names={site.key: site.name or site.key for site in state.settings.sites},
            link=safe_link,
        )

    async def login_page(self, request: Request) -> Response:
        self.admin.require_on()
        if await self.admin.session(request) is not None:
            return _redirect(request, "/admin")
        back = _back(state_of(request), query_of(request).get("next", ""))
        return _page(request, "admin/login.html", session=None, next=back.query()[1:], error="")

    async def login(self, request: Request) -> Response:
        self.admin.require_on()
        form = await read_form(request, LOGIN_BYTES)
        back = _back(state_of(request), form.get("next", ""))
        if not await self.admin.check_password(request, form.get("password", "")):
            error = N_("This password is not right.")
            return _page(
                request, "admin/login.html", 403, session=None, next=back.query()[1:], error=error
            )
        response = _redirect(request, f"/admin{back.query()}")
        self.admin.sessions.start(request, response)
        return response

    async def logout(self, request: Request) -> Response:
        self.admin.require_on()
        form = await read_form(request, LOGIN_BYTES)
        session = await self.admin.require_form(request, form.get("csrf"))
        response = _redirect(request, "/admin/login")
        await self.admin.log_out(request, session, response)
        return response

    async def bulk(self, request: Request) -> Response:
        self.admin.require_on()
        fields, ticked = await _bulk_form(request)
        await self.admin.require_form(request, fields.get("csrf"))
        state = state_of(request)
        back = _back(state, fields.get("back", ""))
        action, one = parse_action(fields.get("action", ""))
        ids = [one] if one is not None else parse_ids(ticked)
        if not ids:
            return _redirect(request, f"/admin{back.query(done='none')}")
        moderation = state.moderation
        if action == "delete":
            changed = await moderation.delete(ids)
        elif action == "approve":
            changed = len(await moderation.approve(ids))
        elif action == "spam":
            changed = len(await moderation.spam(ids))
        else:
            changed = len(await moderation.hold(ids))
        return _redirect(request, f"/admin{back.query(done=action, n=changed)}")

    async def _editable(self, request: Request) -> SiteComment:
        found = await state_of(request).moderation.get(_comment_id(request))
        if found.comment.status == "deleted":
            raise NotFound(N_("This comment does not exist or was deleted."))
        return found

    def _edit_form(
        self,
        request: Request,
        session: Session,
        found: SiteComment,
        back: ListQuery,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
    ) -> Response:
        return _page(
            request,
            "admin/edit.html",
            422 if errors else 200,
            session=session,
            found=found,
            back=back,
            values=values,
            errors=errors or {},
            link=safe_link,
            settings=state_of(request).settings,
        )

    async def edit_page(self, request: Request) -> Response:
        found_session = await self._login_first(request)
        if isinstance(found_session, Response):
            return found_session
        found = await self._editable(request)
        back = _back(state_of(request), query_of(request).get("back", ""))
        values = {"author": found.comment.author, "text": found.comment.text}
        return self._edit_form(request, found_session, found, back, values)

    async def edit(self, request: Request) -> Response:
        self.admin.require_on()
        state = state_of(request)
        form = await read_form(request, max(BULK_BYTES, state.settings.comments_text_max * 12))
        session = await self.admin.require_form(request, form.get("csrf"))
        found = await self._editable(request)
        site = state.settings.site(found.comment.site)
        if site is None:  # the site was removed from the settings since
            raise NotFound(N_("This comment does not exist or was deleted."))
        back = _back(state, form.get("back", ""))
        values = {"author": form.get("author", ""), "text": form.get("text", "")}
        translate = state.catalogs.translations(_language(request)).gettext
        errors: dict[str, str] = {}
        try:
            author = _check_author(values["author"])
        except ValueError as exc:
            errors["author"] = translate(str(exc))
        try:
            parse_text(values["text"], state.comments.limits(site))
        except ValidationFailed as exc:
            errors.update(exc.translated(translate))
        if errors:
            return self._edit_form(request, session, found, back, values, errors)
        await state.moderation.edit(found.comment.id, site, values["text"], author)
        return _redirect(request, f"/admin{back.query(done='edit', n=1)}")


def routes(settings: Settings) -> list[BaseRoute]:
    """The admin's routes for ``create_app``; raises ``ConfigurationError`` for a malformed
    ``admin_password_hash``."""
    endpoints = Endpoints(Admin(settings))
    return [
        Route("/admin", endpoints.list_page, methods=["GET"]),
        Route("/admin/login", endpoints.login_page, methods=["GET"]),
        Route("/admin/login", endpoints.login, methods=["POST"]),
        Route("/admin/logout", endpoints.logout, methods=["POST"]),
        Route("/admin/comments", endpoints.bulk, methods=["POST"]),
        Route("/admin/comments/{comment}/edit", endpoints.edit_page, methods=["GET"]),
        Route("/admin/comments/{comment}/edit", endpoints.edit, methods=["POST"]),
    ]
