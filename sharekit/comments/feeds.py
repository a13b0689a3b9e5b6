"""Atom feeds (RFC 4287) of approved comments, per thread and per site.

GET /threads/{thread}/feed.atom?site=…&url=…&title=…   a thread's newest comments first
GET /sites/{site}/feed.atom                           the whole site's newest comments

Only approved comments appear: never held, spam or deleted ones, and never an email
address (entries are built from an allow-list of public fields).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sharekit.errors import BadRequest, NotFound
from sharekit.i18n import N_
from sharekit.state import state_of
from sharekit.storage.records import StoredComment

from .routes import _lang, _site
from .text import excerpt

if TYPE_CHECKING:
    from sharekit.storage.comments import CommentStore

__all__ = ["MAX_ENTRIES", "MEDIA_TYPE", "routes"]

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
MAX_ENTRIES = 50
PAGE = 200  # roots read per page while collecting the newest comments
MAX_PAGES = 10  # a bound on the work for one (uncached) feed of a huge thread
CACHE_CONTROL = "public, max-age=300"

FEED_TITLE = N_("Comments on %(title)s")
ENTRY_TITLE = N_("%(author)s on %(title)s")
ANONYMOUS = N_("Anonymous")  # as CommentLabels.anonymous
NOT_ON_SITE = N_("This address is not a page of a site that uses this service.")
NO_URL = N_("Give the address of the commented page as url.")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """The public fields of one comment, as the feed shows them (no email, no keys)."""

    id: str
    link: str
    title: str
    author: str
    published: str
    updated: str
    html: str
    summary: str


def rfc3339(value: datetime) -> str:
    """A timestamp as RFC 3339 in UTC, to the second (``2024-05-01T12:00:00Z``)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _changed(comment: StoredComment) -> datetime:
    return comment.edited_at or comment.created_at


def _entry(
    row: StoredComment, page_url: str, title: str, translate: Callable[[str], str]
) -> FeedEntry:
    author = row.author or translate(ANONYMOUS)
    return FeedEntry(
        id=f"{page_url}#comment-{row.id}",
        link=f"{page_url}#comment-{row.id}",
        title=translate(ENTRY_TITLE) % {"author": author, "title": title},
        author=author,
        published=rfc3339(row.created_at),
        updated=rfc3339(_changed(row)),
        html=row.html,
        summary=excerpt(row.html),
    )


async def _newest(store: CommentStore, site: str, thread: str) -> list[StoredComment]:
    """The newest approved comments of a thread, newest first, at most ``MAX_ENTRIES``.

    Pages hold roots with all their replies, and a reply may be newer than any root, so
    every page is read (up to ``MAX_PAGES``) before sorting by time.
    """
    found: list[StoredComment] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        rows, cursor = await store.list_thread(
            site, thread, statuses=("approved",), newest_first=True, limit=PAGE, after=cursor
        )
        found.extend(row for row in rows if row.status == "approved")
        if cursor is None:
            break
    found.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return found[:MAX_ENTRIES]


async def thread_feed(request: Request) -> Response:
    state = state_of(request)
    params = request.query_params
    site = _site(state, params.get("site"), params.get("url"))
    key = request.path_params["thread"]
    url = params.get("url", "")
    if url and not site.allows(url):
        raise BadRequest(NOT_ON_SITE)
    lang = _lang(state, request, site, params.get("lang", ""))
    store = state.comments.store
    version = await store.thread_version(site.key, key)
    seed = f"feed|{site.key}|{key}|{version}|{params}|{lang}"
    etag = f'"{hashlib.sha256(seed.encode()).hexdigest()[:32]}"'
    # The language may come from Accept-Language: shared caches must keep one per language.
    headers = {"etag": etag, "cache-control": CACHE_CONTROL, "vary": "Accept-Language"}
    if etag in {value.strip() for value in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)

    stored_thread = await store.thread(site.key, key)
    page_url = (url or (stored_thread.url if stored_thread else "")).split("#")[0]
    if not page_url or not site.allows(page_url):
        raise BadRequest(NO_URL)
    title = params.get("title", "")[:300] or (stored_thread.title if stored_thread else "")
    title = title or page_url
    _ = state.catalogs.translations(lang).gettext
    rows = await _newest(store, site.key, key)
    entries = [_entry(row, page_url, title, _) for row in rows]
    newest = max((_changed(row) for row in rows), default=None)
    if newest is None:
        newest = stored_thread.created_at if stored_thread else _EPOCH
    body = state.renderer.render(
        "comments/feed.xml",
        lang,
        feed_id=page_url,
        feed_title=_(FEED_TITLE) % {"title": title},
        updated=rfc3339(newest),
        self_url=str(request.url),
        page_url=page_url,
        entries=entries,
    )
    return Response(str(body).encode("utf-8"), media_type=MEDIA_TYPE, headers=headers)


async def site_feed(request: Request) -> Response:
    state = state_of(request)
    site = state.settings.site(request.path_params["site"])
    if site is None:
        raise NotFound(N_("This site does not use this service."))
    lang = _lang(state, request, site, request.query_params.get("lang", ""))
    store = state.comments.store
    version = await store.site_version(site.key)
    seed = f"site-feed|{site.key}|{version}|{lang}"
    etag = f'"{hashlib.sha256(seed.encode()).hexdigest()[:32]}"'
    headers = {"etag": etag, "cache-control": CACHE_CONTROL, "vary": "Accept-Language"}
    if etag in {value.strip() for value in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)

    _ = state.catalogs.translations(lang).gettext
    name = site.name or site.key
    home = site.origins[0] if site.origins else ""
    found = await store.recent(site.key, MAX_ENTRIES)
    entries = []
    for item in found:
        page_url = item.thread_url.split("#")[0]
        entries.append(_entry(item.comment, page_url, item.thread_title or page_url, _))
    newest = max((_changed(item.comment) for item in found), default=_EPOCH)
    body = state.renderer.render(
        "comments/feed.xml",
        lang,
        feed_id=f"{home}/#sharekit-comments-{site.key}",
        feed_title=_(FEED_TITLE) % {"title": name},
        updated=rfc3339(newest),
        self_url=str(request.url),
        page_url=home,
        entries=entries,
    )
    return Response(str(body).encode("utf-8"), media_type=MEDIA_TYPE, headers=headers)


def routes() -> list[BaseRoute]:
    return [
        Route("/threads/{thread:path}/feed.atom", thread_feed, methods=["GET"]),
        Route("/sites/{site}/feed.atom", site_feed, methods=["GET"]),
    ]
