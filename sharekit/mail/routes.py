"""The one-click moderation links of owner mails.

    GET  /moderate/{token}   shows the comment and asks to confirm; changes nothing
    POST /moderate/{token}   approves, marks as spam or deletes it; shows the result

The token (see :mod:`sharekit.links`) names the comment, the action and the comment's
status when the mail was written; it is the secret, so the form needs no CSRF token of its
own. A link whose comment has changed status since then was used already (409); an old
one has expired (400), a changed one is refused (400), a deleted comment is gone (404).
Mail scanners that fetch links see only the question.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sharekit.errors import HTTPError
from sharekit.i18n import N_, parse_accept_language
from sharekit.links import MODERATE_PATH, Moderate
from sharekit.openapi_parts import (
    HTML,
    STRING,
    Schema,
    html,
    in_path,
    op,
    reply,
)
from sharekit.settings import Settings
from sharekit.state import AppState, render_page, state_of
from sharekit.storage.comments import SiteComment

__all__ = ["LinkUsed", "openapi_paths", "routes"]

_USED = {
    "approved": N_("This link was already used: the comment is published now."),
    "pending": N_("This link was already used: the comment is awaiting moderation again."),
    "spam": N_("This link was already used: the comment is marked as spam now."),
    "deleted": N_("This link was already used: the comment was deleted."),
}
_QUESTIONS = {
    "approve": N_("Publish this comment?"),
    "spam": N_("Mark this comment as spam?"),
    "delete": N_("Delete this comment?"),
}
_BUTTONS = {"approve": N_("Publish"), "spam": N_("Mark as spam"), "delete": N_("Delete")}
_DONE = {
    "approve": N_("The comment is published."),
    "spam": N_("The comment is marked as spam and hidden."),
    "delete": N_("The comment is deleted."),
}


class LinkUsed(HTTPError):
    """409: a moderation link whose comment was moderated since the mail was written."""

    status_code = 409
    default_message = _USED["approved"]


async def _checked(request: Request, state: AppState) -> tuple[Moderate, SiteComment]:
    link = state.comments.links.read_moderate(request.path_params["token"])
    found = await state.moderation.get(link.comment)
    # The page (and an error about the link) speaks the owner's language, else the site's.
    wanted = [lang] if (lang := request.query_params.get("lang")) else []
    wanted += parse_accept_language(request.headers.get("accept-language", ""))
    site = state.settings.site(found.comment.site)
    request.state.sharekit_lang = state.catalogs.best(wanted, state.settings.language_of(site))
    current = found.comment.status
    if current != link.status:
        raise LinkUsed(_USED.get(current, _USED["approved"]))
    return link, found


def _page(request: Request, link: Moderate, found: SiteComment, done: bool) -> Response:
    state = state_of(request)
    site = state.settings.site(found.comment.site)
    response = render_page(
        request,
        "mail/moderate_page.html",
        comment=found.comment,
        title=found.thread_title or found.thread_url,
        link=f"{found.thread_url.split('#')[0]}#comment-{found.comment.id}",
        site_name=(site.name or site.key) if site else found.comment.site,
        question=_QUESTIONS[link.action],
        button=_BUTTONS[link.action],
        result=_DONE[link.action] if done else "",
        token=request.path_params["token"],
    )
    response.headers["cache-control"] = "no-store"
    # The token is in the address: no page the owner goes on to should see it.
    response.headers["referrer-policy"] = "no-referrer"
    return response


async def confirm(request: Request) -> Response:
    state = state_of(request)
    link, found = await _checked(request, state)
    return _page(request, link, found, done=False)


async def moderate(request: Request) -> Response:
    state = state_of(request)
    link, found = await _checked(request, state)
    ids = [found.comment.id]
    if link.action == "approve":
        await state.moderation.approve(ids)
    elif link.action == "spam":
        await state.moderation.spam(ids)
    else:
        await state.moderation.delete(ids)
    return _page(request, link, found, done=True)


def routes() -> list[BaseRoute]:
    return [
        Route(MODERATE_PATH, confirm, methods=["GET"]),
        Route(MODERATE_PATH, moderate, methods=["POST"]),
    ]


def openapi_paths(settings: Settings) -> dict[str, Schema]:
    """The moderation links, for :mod:`sharekit.openapi`."""
    days = settings.mail_link_max_age_days
    token = in_path(
        "token",
        STRING,
        "Signed token from an owner mail: the comment, the action (approve, spam or "
        "delete) and the comment's status when the mail was written. It is the secret "
        f"that authorises the action and expires after {days} days.",
    )
    used = reply(
        "The link was already used: the comment's status changed since the mail.",
        {HTML: STRING, "application/json": {"$ref": "#/components/schemas/Error"}},
    )
    errors: list[int] = [400, 404, 503]
    page = html("A page that shows the comment and asks to confirm (`noindex`).")
    result = html("The action was done; the page says so.")
    description = (
        "Opened from the links of an owner mail. The GET changes nothing (mail scanners "
        "may fetch it); the page's form POSTs to the same address."
    )
    return {
        "/moderate/{token}": {
            "get": op(
                "Ask to confirm a moderation link",
                {"200": page, "409": used},
                errors,
                description=description,
                parameters=[token],
            ),
            "post": op(
                "Approve, mark as spam or delete a comment from an owner mail",
                {"200": result, "409": used},
                errors,
                description=description + " No body and no CSRF token: the token is one.",
                parameters=[token],
            ),
        }
    }
