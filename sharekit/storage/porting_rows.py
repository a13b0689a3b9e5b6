"""The rows ``sharekit export`` reads and ``sharekit import`` writes, in storage's terms.

Plain frozen values, apart from the database: readers and the importer build them without
touching it, and :mod:`.porting` turns them into statements.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

from .records import StoredComment

__all__ = [
    "Batch",
    "BatchResult",
    "Conflict",
    "DuplicateKey",
    "ExportRow",
    "NewComment",
    "NewThread",
    "ShareCount",
    "SiteRow",
    "SubscriptionRow",
    "ThreadRow",
    "Written",
    "random_author_key",
]


@dataclass(frozen=True, slots=True)
class SiteRow:
    key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ThreadRow:
    site: str
    key: str
    url: str
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """A reader's wish to hear about replies in a thread (confirmed or not yet)."""

    site: str
    thread: str
    email: str
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ShareCount:
    """Completed shares of one page on one network and day."""

    site: str
    url: str
    network: str
    day: date
    count: int


ExportRow: TypeAlias = SiteRow | ThreadRow | StoredComment | SubscriptionRow | ShareCount

DuplicateKey: TypeAlias = tuple[str, str, str, str]
"""(site, thread key, author key, text hash): what ``uq_comments_duplicate`` compares."""


@dataclass(frozen=True, slots=True)
class NewThread:
    """A thread to create unless it exists (an existing one keeps its url and title)."""

    site: str
    key: str
    url: str
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewComment:
    """A comment to write with every value given. ``parent_id`` is a stored comment;
    ``parent_index`` one written earlier in the same batch (whichever is set)."""

    site: str
    thread: str
    author: str
    email: str | None
    author_key: str
    website: str | None
    text: str
    html: str
    status: str
    created_at: datetime
    text_hash: str
    source: str | None
    edited_at: datetime | None = None
    consent_at: datetime | None = None
    parent_id: int | None = None
    parent_index: int | None = None
    id: int | None = None  # keep this id (a restore into an empty database)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A comment that was not written: ``reason`` is ``"source"`` (a comment with the same
    source is stored) or ``"duplicate"`` (same author and text in the thread); ``id`` is
    the stored one, where its replies attach."""

    reason: str
    id: int


Written: TypeAlias = int | Conflict


@dataclass(frozen=True)
class Batch:
    """What one transaction writes: sites and threads first, then comments in order."""

    sites: Sequence[SiteRow] = ()
    threads: Sequence[NewThread] = ()
    comments: Sequence[NewComment] = ()
    subscriptions: Sequence[SubscriptionRow] = ()
    shares: Sequence[ShareCount] = ()
    max_depth: int = 3


@dataclass
class BatchResult:
    """Per comment its id or why it was not written; how many other rows were added."""

    comments: list[Written] = field(default_factory=list)
    subscriptions: int = 0
    shares: int = 0


def random_author_key() -> str:
    """The author key of a deleted placeholder: random, so it can never be a duplicate."""
    return secrets.token_hex(32)
