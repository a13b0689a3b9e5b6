"""Reply notifications, the commenter's side: confirm a subscription, or end it.

    GET  /replies/confirm/{token}        asks to confirm (a page with a button)
    POST /replies/confirm/{token}        confirms (double opt-in)
    GET  /replies/unsubscribe/{token}    asks to unsubscribe (a page with a button)
    POST /replies/unsubscribe/{token}    unsubscribes; also RFC 8058 one-click
                                         (``List-Unsubscribe=One-Click``, from a mail client)

The token (see :mod:`sharekit.links`) names the subscription and its address; it is the
only credential, so there is no cookie and no form token, and a GET changes nothing (mail
scanners fetch links). Unsubscribing is idempotent and always answers 200, as RFC 8058
asks. Bad and expired tokens answer 400.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.bodies import FORM, read_body
from sharekit.errors import NotFound
from sharekit.i18n import N_
from sharekit.links import REPLIES_CONFIRM_PATH, REPLIES_UNSUBSCRIBE_PATH, Subscription
from sharekit.openapi_parts import STRING, Schema, body, html, in_path, op
from sharekit.settings import Settings
from sharekit.state import AppState, render_page, state_of
from sharekit.storage.subscriptions import StoredSubscription, SubscriptionStore

__all__ = ["ONE_CLICK", "openapi_paths", "routes"]

# The body a mail client POSTs for a one-click unsubscribe (RFC 8058, section 3.1).
ONE_CLICK = "List-Unsubscribe=One-Click"
MAX_BODY = 4 * 1024  # a one-click body or an empty form; nothing in it is needed
GONE = N_("This subscription does not exist any more. You can ask again with your next comment.")


def _store(state: AppState) -> SubscriptionStore:
    return SubscriptionStore(state.database)


async def _subscription(state: AppState, link: Subscription) -> StoredSubscription | None:
    """The subscription a link names, if it still exists for the same address."""
    found = await _store(state).get(link.id)
    return found if found is not None and found.email == link.email else None


def _page(
    request: Request,
    state: AppState,
    template: str,
    subscription: StoredSubscription | None,
    **context: Any,
) -> HTMLResponse:
    """A page in the language of the subscription's site (the language of its mails)."""
    site = state.settings.site(subscription.site) if subscription else None
    lang = state.catalogs.best([], state.settings.language_of(site)) if subscription else None
    response = render_page(
        request,
        template,
        200,
        lang,
        subscription=subscription,
        site=site,
        token=request.path_params["token"],
        **context,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def confirm_page(request: Request) -> Response:
    state = state_of(request)
    link = state.comments.links.read_confirm(request.path_params["token"])
    subscription = await _subscription(state, link)
    if subscription is None:
        raise NotFound(GONE)
    step = "already" if subscription.confirmed else "ask"
    return _page(request, state, "replies/confirm.html", subscription, step=step)


async def confirm(request: Request) -> Response:
    state = state_of(request)
    link = state.comments.links.read_confirm(request.path_params["token"])
    before = await _subscription(state, link)
    subscription = await _store(state).confirm(link.id, link.email, datetime.now(UTC))
    if subscription is None:
        raise NotFound(GONE)
    step = "already" if before is not None and before.confirmed else "done"
    return _page(request, state, "replies/confirm.html", subscription, step=step)


async def unsubscribe_page(request: Request) -> Response:
    state = state_of(request)
    link = state.comments.links.read_unsubscribe(request.path_params["token"])
    subscription = await _subscription(state, link)
    step = "ask" if subscription is not None else "gone"
    return _page(request, state, "replies/unsubscribe.html", subscription, step=step)


async def unsubscribe(request: Request) -> Response:
    state = state_of(request)
    link = state.comments.links.read_unsubscribe(request.path_params["token"])
    # Read (and capped) but not needed: the button's empty form and a mail client's
    # one-click body mean the same; the signed token is what counts.
    await read_body(request, MAX_BODY)
    subscription = await _subscription(state, link)
    await _store(state).unsubscribe(link.id, link.email)
    return _page(request, state, "replies/unsubscribe.html", subscription, step="done")


def routes() -> list[BaseRoute]:
    return [
        Route(REPLIES_CONFIRM_PATH, confirm_page, methods=["GET"]),
        Route(REPLIES_CONFIRM_PATH, confirm, methods=["POST"]),
        Route(REPLIES_UNSUBSCRIBE_PATH, unsubscribe_page, methods=["GET"]),
        Route(REPLIES_UNSUBSCRIBE_PATH, unsubscribe, methods=["POST"]),
    ]


def openapi_paths(settings: Settings) -> dict[str, Schema]:
    """The routes above, for :mod:`sharekit.openapi`."""
    days = settings.mail_link_max_age_days
    token = in_path("token", STRING, "The signed token from the mail's link.")
    page = html("The page.", "Cache-Control")
    one_click = {
        "type": "object",
        "properties": {"List-Unsubscribe": {"const": "One-Click"}},
        "description": f"Optional: `{ONE_CLICK}` from a mail client (RFC 8058), or nothing.",
    }
    unsubscribe_body = body({FORM: one_click, "multipart/form-data": one_click}, required=False)
    return {
        "/replies/confirm/{token}": {
            "get": op(
                "The page that asks to confirm reply notifications",
                {"200": page},
                [400, 404, 503],
                description="Changes nothing (mail scanners fetch links). The link works "
                f"for {days} days; 404 once the subscription is gone.",
                parameters=[token],
            ),
            "post": op(
                "Confirm reply notifications (double opt-in)",
                {"200": html("Confirmed (or confirmed before).", "Cache-Control")},
                [400, 404, 503],
                parameters=[token],
            ),
        },
        "/replies/unsubscribe/{token}": {
            "get": op(
                "The page that asks to stop reply notifications",
                {"200": page},
                [400, 503],
                description="Changes nothing (mail scanners fetch links).",
                parameters=[token],
            ),
            "post": op(
                "Stop reply notifications (also RFC 8058 one-click)",
                {"200": html("Unsubscribed (or not subscribed any more).", "Cache-Control")},
                [400, 413, 503],
                description="The `List-Unsubscribe` URL of every reply mail: needs no "
                "cookie and no form token, and answers 200 however often it is sent.",
                parameters=[token],
                requestBody=unsubscribe_body,
            ),
        },
    }
