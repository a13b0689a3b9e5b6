"""What a reader of an import file hands the importer: the same few items for every format.

A reader turns its format (sharekit's JSON Lines, WordPress WXR, an Isso database, a
Disqus export) into these items, already cleaned: plain text instead of HTML, addresses
that are addresses or ``None``, times in UTC. What it cannot use it marks with a
``problem`` instead of raising, so the summary can count it; only a file that cannot be
read at all raises :class:`MalformedFile`.

::

    PortingError        an import or export cannot go on; the CLI prints it, exit 2
    ├── MalformedFile   the file cannot be read as the format it was given as
    └── SiteProblem     the file or --site names a site the settings do not have
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeAlias

__all__ = [
    "Item",
    "Kept",
    "MalformedFile",
    "PortingError",
    "Reader",
    "SiteProblem",
    "SourceComment",
    "SourceShares",
    "SourceSite",
    "SourceSubscription",
    "SourceThread",
]


class PortingError(Exception):
    """An import or export cannot go on; the message is one line that says why."""


class MalformedFile(PortingError):
    """The file cannot be read as the format it was given as (where: line or element)."""


class SiteProblem(PortingError):
    """A site named by the file or by ``--site`` is not one of the configured sites."""


@dataclass(frozen=True, slots=True)
class SourceSite:
    """A site record (sharekit's own format only)."""

    key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SourceThread:
    """A commented page. Comments name it by ``(site, key)``; it comes before them."""

    site: str
    key: str
    url: str
    title: str
    created_at: datetime | None = None  # None: when its first imported comment was written
    problem: str | None = None  # why none of its comments can be imported


@dataclass(frozen=True, slots=True)
class Kept:
    """Stored values that sharekit's own format carries and an import keeps as they are."""

    id: int
    author_key: str
    html: str
    consent_at: datetime | None
    source: str | None


@dataclass(frozen=True, slots=True)
class SourceComment:
    """One comment. ``ref`` names it uniquely in the file, ``parent`` names its parent's
    ``ref``; for the other systems' formats ``ref`` is also the stored ``source``."""

    ref: str
    site: str
    thread: str
    parent: str | None
    status: str  # one of sharekit's COMMENT_STATUSES
    created_at: datetime | None
    author: str
    email: str | None
    website: str | None
    text: str
    edited_at: datetime | None = None
    problem: str | None = None  # why it cannot be imported ("text longer than …")
    skip: str | None = None  # a reason to leave it out that is no error ("a pingback")
    # Deleted in the source system: imported only as a deleted placeholder, and only when
    # a reply needs it to keep its place; otherwise skipped for this reason.
    placeholder_only: str | None = None
    kept: Kept | None = None


@dataclass(frozen=True, slots=True)
class SourceSubscription:
    """A reply subscription (sharekit's own format only)."""

    site: str
    thread: str
    email: str
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SourceShares:
    """A share count of one page, network and day (sharekit's own format only)."""

    site: str
    url: str
    network: str
    day: date
    count: int


Item: TypeAlias = SourceSite | SourceThread | SourceComment | SourceSubscription | SourceShares


class Reader(Protocol):
    """One import file in one format."""

    format: str  # the format's name on the command line (``wxr``)

    def items(self) -> Iterator[Item]:
        """Every item of the file, a thread before its comments; can be called again
        (the importer reads the file twice: once to check it, once to import).
        Raises :class:`MalformedFile`."""
