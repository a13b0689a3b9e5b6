"""What the admin's pages show and what its forms ask for, as plain values.

The comment list is addressed by a query string (status tab, site, thread, search, page),
read leniently (an unknown value falls back to the default) and written back canonically,
so every redirect after an action lands on a list this module built, never on a URL a
form supplied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlencode

from sharekit.comments.moderation import Filter
from sharekit.errors import BadRequest
from sharekit.i18n import N_

__all__ = [
    "ACTIONS",
    "PAGE_SIZE",
    "TABS",
    "Action",
    "ListQuery",
    "Notice",
    "parse_action",
    "parse_ids",
    "parse_notice",
    "safe_link",
]

TABS = ("pending", "approved", "spam", "deleted", "all")
PAGE_SIZE = 25
MAX_PAGE = 1_000_000
MAX_IDS = 500
MAX_TEXT = 200

Action = Literal["approve", "spam", "hold", "delete"]
ACTIONS: tuple[Action, ...] = ("approve", "spam", "hold", "delete")
Notice = Literal["approve", "spam", "hold", "delete", "edit", "none"]
NOTICES: tuple[Notice, ...] = (*ACTIONS, "edit", "none")


def _text(value: str | None) -> str:
    cleaned = " ".join((value or "").split())
    return cleaned[:MAX_TEXT] if cleaned.isprintable() else ""


@dataclass(frozen=True)
class ListQuery:
    """One view of the comment list."""

    status: str = "pending"
    site: str = ""
    thread: str = ""
    search: str = ""
    page: int = 1

    @classmethod
    def parse(cls, values: Mapping[str, str], sites: Iterable[str]) -> ListQuery:
        """The view a query string asks for; what cannot be understood is dropped.

        >>> ListQuery.parse({"status": "spam", "site": "nope", "page": "2"}, ["blog"])
        ListQuery(status='spam', site='', thread='', search='', page=2)
        """
        status = values.get("status", "")
        site = values.get("site", "")
        page = values.get("page", "")
        return cls(
            status=status if status in TABS else "pending",
            site=site if site in set(sites) else "",
            thread=_text(values.get("thread")),
            search=_text(values.get("q")),
            page=int(page) if page.isdecimal() and 0 < len(page) < 8 else 1,
        )

    @property
    def offset(self) -> int:
        return (min(self.page, MAX_PAGE) - 1) * PAGE_SIZE

    def filter(self) -> Filter:
        """The moderation filter of this view."""
        return Filter(
            site=self.site or None,
            thread=self.thread or None,
            statuses=() if self.status == "all" else (self.status,),
            search=self.search,
        )

    def params(self, **extra: str | int) -> dict[str, str]:
        """The query parameters that differ from the defaults, plus ``extra``."""
        found = {
            "status": self.status if self.status != "pending" else "",
            "site": self.site,
            "thread": self.thread,
            "q": self.search,
            "page": str(self.page) if self.page > 1 else "",
        }
        found.update({name: str(value) for name, value in extra.items()})
        return {name: value for name, value in found.items() if value}

    def query(self, **extra: str | int) -> str:
        """The query string of this view (``?…``, or empty).

        >>> ListQuery(status="spam", page=2).query(done="delete", n=3)
        '?status=spam&page=2&done=delete&n=3'
        """
        params = self.params(**extra)
        return f"?{urlencode(params)}" if params else ""

    def tab(self, status: str) -> ListQuery:
        """The same filters on another status tab, from its first page."""
        return replace(self, status=status, page=1)

    def at_page(self, page: int) -> ListQuery:
        return replace(self, page=page)

    def cleared(self) -> ListQuery:
        """This status tab without filters."""
        return ListQuery(status=self.status)

    def of_thread(self, site: str, thread: str) -> ListQuery:
        """This status tab, only one thread of one site."""
        return ListQuery(status=self.status, site=site, thread=thread)


def parse_notice(values: Mapping[str, str]) -> tuple[Notice, int] | None:
    """The confirmation an action's redirect asked for (a fixed text, never the URL's)."""
    done, count = values.get("done", ""), values.get("n", "")
    for notice in NOTICES:
        if notice == done:
            return notice, int(count) if count.isdecimal() and len(count) < 6 else 0
    return None


def parse_action(value: str) -> tuple[Action, int | None]:
    """A pressed button: ``approve`` acts on the ticked comments, ``approve:42`` on one.

    >>> parse_action("spam:42")
    ('spam', 42)
    """
    verb, _, target = value.partition(":")
    for action in ACTIONS:
        if action == verb:
            if not target:
                return action, None
            return action, parse_ids([target])[0]
    raise BadRequest(N_("This action is not known."))


def parse_ids(values: Sequence[str]) -> list[int]:
    """Comment ids from a form; anything that is not one is refused."""
    if len(values) > MAX_IDS:
        raise BadRequest(N_("Too many comments were selected at once."))
    ids = []
    for value in values:
        if not (value.isdecimal() and value.isascii() and 0 < len(value) < 19):
            raise BadRequest(N_("The selected comments are not valid."))
        ids.append(int(value))
    return ids


def safe_link(url: str | None) -> str:
    """``url`` when it is an http(s) address a page may link to, else empty (imported
    comments may carry anything).

    >>> safe_link("javascript:alert(1)"), safe_link("https://blog.example/a")
    ('', 'https://blog.example/a')
    """
    if url and url.lower().startswith(("https://", "http://")) and url.isprintable():
        return url
    return ""
