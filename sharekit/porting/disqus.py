"""Disqus exports (Community → Export: ``<disqus>`` with ``<thread>`` and ``<post>`` elements).

A thread's key is the path of its ``<link>`` without the query (see
``cleaning.page_address``); a post's source is ``disqus:<site>:<post dsq:id>``, its parent
the ``<parent dsq:id>`` it names.
``isDeleted`` true → left out (kept only as a deleted placeholder when replies need it);
``isSpam`` true → spam; ``isApproved`` false → pending; otherwise approved. Messages are
HTML and become plain text. Newer exports carry no email addresses: those comments get
their author key from the name, as comments without an address do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sharekit.settings import Site

from .cleaning import clean_author, clean_email, clean_title, html_to_text, page_address
from .items import Item, MalformedFile, SourceComment, SourceThread
from .xmlfiles import Element, child_text, children_text, elements

__all__ = ["DisqusReader"]

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def disqus_time(value: str | None) -> datetime | None:
    """``2013-02-07T15:30:52Z`` as an aware datetime; ``None`` when it is not a time.

    >>> disqus_time("2013-02-07T15:30:52Z")
    datetime.datetime(2013, 2, 7, 15, 30, 52, tzinfo=datetime.timezone.utc)
    """
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _flag(fields: dict[str, str], name: str) -> str:
    return fields.get(f"{NS}{name}", "").strip().lower()


class DisqusReader:
    """Reads a Disqus export for one site."""

    format = "disqus"

    def __init__(self, path: Path, site: Site) -> None:
        self.path = path
        self.site = site
        self._threads: dict[str, SourceThread] | None = None

    def _check_root(self, root: Element) -> None:
        if root.tag != f"{NS}disqus":
            raise MalformedFile(
                f"{self.path} is not a Disqus export: its root element is <{root.tag}>, "
                f'not <disqus xmlns="{NS[1:-1]}">'
            )

    def threads(self) -> dict[str, SourceThread]:
        """Every thread of the file by its ``dsq:id`` (read once, then kept)."""
        if self._threads is None:
            found: dict[str, SourceThread] = {}
            for root, element in elements(self.path, (f"{NS}thread",), depth=1):
                if element is root:
                    self._check_root(root)
                    continue
                number = element.get(DSQ_ID, "")
                title = clean_title(child_text(element, f"{NS}title"))
                created = disqus_time(child_text(element, f"{NS}createdAt"))
                try:
                    # Without the query: Disqus kept whatever the page was loaded with
                    # (``?utm_source=…``), which is no part of the page's name.
                    link = child_text(element, f"{NS}link")
                    key, url = page_address(link, self.site.origins, with_query=False)
                    problem = None
                except ValueError as exc:
                    key, url, problem = f"disqus-thread-{number}", "", f"{exc} (thread {number})"
                found[number] = SourceThread(self.site.key, key, url, title, created, problem)
            self._threads = found
        return self._threads

    def items(self) -> Iterator[Item]:
        """Each post's thread (when first needed), then the post. Raises ``MalformedFile``."""
        threads = self.threads()
        given: set[str] = set()
        for root, post in elements(self.path, (f"{NS}post",), depth=1):
            if post is root:
                continue
            reference = post.find(f"{NS}thread")
            thread_id = reference.get(DSQ_ID, "") if reference is not None else ""
            thread = threads.get(thread_id)
            if thread is not None and thread_id not in given:
                given.add(thread_id)
                yield thread
            yield self._post(post, thread)

    def _post(self, post: Element, thread: SourceThread | None) -> SourceComment:
        site = self.site.key
        number = post.get(DSQ_ID, "").strip()
        ref = f"disqus:{site}:{number}" if number else f"disqus:{site}:line-{post.sourceline}"
        parent = post.find(f"{NS}parent")
        parent_id = parent.get(DSQ_ID, "").strip() if parent is not None else ""
        author = post.find(f"{NS}author")
        name = email = None
        if author is not None:
            name = child_text(author, f"{NS}name") or child_text(author, f"{NS}username")
            email = child_text(author, f"{NS}email")
        fields = children_text(post)
        deleted = _flag(fields, "isDeleted") == "true"
        status = "approved"
        if deleted:
            status = "deleted"
        elif _flag(fields, "isSpam") == "true":
            status = "spam"
        elif _flag(fields, "isApproved") == "false":
            status = "pending"
        return SourceComment(
            ref=ref,
            site=site,
            thread=thread.key if thread is not None else "",
            parent=f"disqus:{site}:{parent_id}" if parent_id else None,
            status=status,
            created_at=disqus_time(fields.get(f"{NS}createdAt")),
            author=clean_author(name),
            email=clean_email(email),
            website=None,
            text=html_to_text(fields.get(f"{NS}message", ""), keep_newlines=False),
            problem=None if number else f"the post at line {post.sourceline} has no dsq:id",
            placeholder_only="deleted in Disqus" if deleted else None,
        )
