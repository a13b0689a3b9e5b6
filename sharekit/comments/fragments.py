"""Each comment's markup, rendered once per page and kept.

A thread's listing is rendered again after every new comment (its version changed), yet
the comments already in it have not changed: an article depends only on the comment itself
and on the page around it (language, addresses, whether this visitor may still edit it).
Keeping the rendered article under exactly those inputs turns the re-render of a busy
thread from a template run per comment into a dictionary look-up per comment, so a post
that goes viral does not make every new comment cost a full page render.

The key holds every field of the public comment, so an edited, moderated or erased comment
is simply a new key and its old article is never served again. :meth:`Fragments.clear`
also drops the old texts from the memory of the process that made the change; another
worker's copy (or one left by a change made from the command line) ages out of the bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from markupsafe import Markup

from sharekit.rendering import Renderer

from .labels import comment_labels, link_queries
from .models import Comment

__all__ = ["Fragments", "Page"]

# Every field of the public comment, as a plain tuple: hashed and compared in C, where the
# model's own hash and equality run in Python (a listing looks up a hundred of them).
_FIELDS = attrgetter(*Comment.model_fields)


@dataclass(frozen=True, slots=True)
class Page:
    """What a comment's article takes from the page it is shown on."""

    site: str
    thread: str
    url: str
    title: str
    lang: str
    base: str


class Fragments:
    """At most ``size`` rendered comment articles, the least recently used dropped first.

    Safe to share between threads (the template tags may render in a thread pool).
    """

    def __init__(self, renderer: Renderer, size: int = 2000) -> None:
        self.renderer = renderer
        self.size = size
        self._kept: OrderedDict[tuple[Any, Page, bool], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def article(self, comment: Comment, page: Page, editable: bool) -> Markup:
        """``comments/comment.html`` for ``comment`` on ``page``, kept for the next listing;
        ``editable`` shows the author's Edit and Delete links."""
        key = (_FIELDS(comment), page, editable)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        markup = self.render(comment, page, editable)
        with self._lock:
            self._kept[key] = markup
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return markup

    def render(self, comment: Comment, page: Page, editable: bool) -> Markup:
        """The article rendered now, not kept (a comment just posted is shown once)."""
        return self.renderer.render(
            "comments/comment.html",
            page.lang,
            c=comment,
            editable=frozenset({comment.id}) if editable else frozenset(),
            url=page.url,
            base=page.base,
            labels=comment_labels(self.renderer.catalogs, page.lang),
            **link_queries(page.site, page.thread, page.url, page.title, page.lang),
        )

    def clear(self) -> None:
        """Forget every kept article (after an edit, a deletion or moderation)."""
        with self._lock:
            self._kept.clear()
