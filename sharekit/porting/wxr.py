"""WordPress export files (WXR: RSS 2.0 with ``wp:`` elements), as Tools → Export writes them.

Each ``<item>`` (a post, page or any other type) with ``<wp:comment>`` children becomes a
thread: its key is the path of the item's ``<link>`` (see ``cleaning.page_address``), its
title the item's title. A comment's source is ``wxr:<site>:<post id>:<comment id>``.

``wp:comment_approved``: ``1`` → approved, ``0`` → pending, ``spam`` → spam, ``trash`` and
``post-trashed`` → left out (kept only as a deleted placeholder when replies need it); any
other value → pending. Pingbacks, trackbacks and other ``wp:comment_type`` values than
``comment`` (or empty) are left out. Times come from ``wp:comment_date_gmt`` (UTC), or from
``wp:comment_date`` read as UTC when WordPress wrote zeros.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sharekit.settings import Site

from .cleaning import (
    clean_author,
    clean_email,
    clean_title,
    clean_website,
    html_to_text,
    page_address,
)
from .items import Item, MalformedFile, SourceComment, SourceThread
from .xmlfiles import Element, child_text, children_text, elements

__all__ = ["WxrReader"]

_NAMESPACE = "http://wordpress.org/export/"
_STATUSES = {"1": "approved", "0": "pending", "spam": "spam"}
_TRASH = frozenset({"trash", "post-trashed"})


def wordpress_time(value: str | None) -> datetime | None:
    """``2024-05-01 14:03:00`` (WordPress's MySQL form) as UTC; ``None`` for zeros or junk.

    >>> wordpress_time("2024-05-01 14:03:00")
    datetime.datetime(2024, 5, 1, 14, 3, tzinfo=datetime.timezone.utc)
    >>> wordpress_time("0000-00-00 00:00:00") is None
    True
    """
    value = (value or "").strip()
    if len(value) != 19:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


class WxrReader:
    """Reads a WordPress export file for one site."""

    format = "wxr"

    def __init__(self, path: Path, site: Site) -> None:
        self.path = path
        self.site = site

    def items(self) -> Iterator[Item]:
        """The threads and comments of the file. Raises ``MalformedFile``."""
        wp = ""
        for root, element in elements(self.path, ("item",), depth=2):
            if element is root:
                wp = self._namespace(root)
                continue
            yield from self._item(element, wp)

    def _namespace(self, root: Element) -> str:
        if root.tag != "rss":
            raise MalformedFile(
                f"{self.path} is not a WordPress export (WXR): its root element is "
                f"<{root.tag}>, not <rss>"
            )
        for uri in root.nsmap.values():
            if uri and uri.startswith(_NAMESPACE) and not uri.rstrip("/").endswith("excerpt"):
                return "{" + uri + "}"
        raise MalformedFile(
            f"{self.path} is not a WordPress export (WXR): it has no {_NAMESPACE}… namespace"
        )

    def _item(self, item: Element, wp: str) -> Iterator[Item]:
        comments = item.findall(f"{wp}comment")
        if not comments:
            return
        site = self.site.key
        post = (child_text(item, f"{wp}post_id") or "").strip()
        title = clean_title(child_text(item, "title"))
        problem = None if post.isdecimal() else f"the post at line {item.sourceline} has no id"
        try:
            key, url = page_address(child_text(item, "link"), self.site.origins)
        except ValueError as exc:
            key, url = f"wxr-post-{post}", ""
            problem = problem or f"{exc} (post {post})"
        created = wordpress_time(child_text(item, f"{wp}post_date_gmt"))
        yield SourceThread(site, key, url, title, created, problem)
        for comment in comments:
            yield self._comment(comment, wp, post, key)

    def _comment(self, comment: Element, wp: str, post: str, thread: str) -> SourceComment:
        fields = children_text(comment)

        def value(name: str) -> str:
            return fields.get(f"{wp}{name}", "").strip()

        site = self.site.key
        number = value("comment_id")
        ref = f"wxr:{site}:{post}:{number}"
        parent = value("comment_parent")
        kind = value("comment_type")
        approved = value("comment_approved")
        created = wordpress_time(value("comment_date_gmt")) or wordpress_time(
            value("comment_date")
        )
        text = html_to_text(fields.get(f"{wp}comment_content", ""), keep_newlines=True)
        problem = None
        if not number.isdecimal():
            problem = f"the comment at line {comment.sourceline} has no id"
            ref = f"wxr:{site}:{post}:line-{comment.sourceline}"
        return SourceComment(
            ref=ref,
            site=site,
            thread=thread,
            parent=f"wxr:{site}:{post}:{parent}" if parent not in ("", "0") else None,
            status="deleted" if approved in _TRASH else _STATUSES.get(approved, "pending"),
            created_at=created,
            author=clean_author(value("comment_author")),
            email=clean_email(value("comment_author_email")),
            website=clean_website(value("comment_author_url")),
            text=text,
            problem=problem,
            skip=None if kind in ("", "comment") else f"a {kind}, not a comment",
            placeholder_only="in the WordPress trash" if approved in _TRASH else None,
        )
