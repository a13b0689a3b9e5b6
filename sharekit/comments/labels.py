"""The words and links around every comment (Edit, Reply, …), made once per language/page.

A comment's template shows the same few labels for every comment of a thread; looking each
up through Jinja's gettext call costs more than the rest of the comment on a slow machine.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from urllib.parse import urlencode

from sharekit.i18n import N_, Catalogs

__all__ = ["CommentLabels", "comment_labels", "link_queries"]


@dataclass(frozen=True, slots=True)
class CommentLabels:
    """Plain text (escaped where it is shown); ``reply_to`` holds ``%(name)s``."""

    edit: str = N_("Edit")
    delete: str = N_("Delete")
    reply: str = N_("Reply")
    reply_to: str = N_("Reply to %(name)s")
    edited: str = N_("edited")
    deleted: str = N_("Deleted comment")
    anonymous: str = N_("Anonymous")  # an erased or imported comment without a name
    pending: str = N_("Your comment is awaiting moderation. Only you can see it for now.")


@lru_cache(maxsize=64)
def comment_labels(catalogs: Catalogs, lang: str) -> CommentLabels:
    """The labels in ``lang`` (English where a translation is missing)."""
    translate = catalogs.translations(lang).gettext
    source = CommentLabels()
    return CommentLabels(
        **{field.name: translate(getattr(source, field.name)) for field in fields(source)}
    )


@lru_cache(maxsize=1024)
def link_queries(site: str, thread: str, url: str, title: str, lang: str) -> dict[str, str]:
    """The query strings of every comment's Edit/Delete (``own_query``) and Reply
    (``reply_query``, without the parent) links on one page."""
    return {
        "own_query": urlencode({"url": url, "lang": lang}),
        "reply_query": urlencode(
            {"site": site, "thread": thread, "url": url, "title": title, "lang": lang}
        ),
    }
