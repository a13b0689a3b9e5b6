"""The records of sharekit's export format: one JSON object per line, version 1.

The first line is a :class:`Header`; then sites, threads, comments, reply subscriptions and
share counts, each a record with a ``type``. Field order is the order below, times are ISO
8601 in UTC (``2026-05-01T12:00:00Z``, with a fraction only when there is one), text is
UTF-8 without ``\\u`` escapes. The same database always gives the same bytes.

Version policy: a reader refuses a file of a higher version. Within a version, fields may
be added (readers ignore fields they do not know); removing or renaming a field, changing
its meaning or adding a record type raises the version. docs/import-export.md describes
every field.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "CommentRecord",
    "Header",
    "Record",
    "SharesRecord",
    "SiteRecord",
    "SubscriptionRecord",
    "ThreadRecord",
    "dump",
    "record_adapter",
]

FORMAT = "sharekit-export"
VERSION = 1


def _iso(value: datetime) -> str:
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


Timestamp = Annotated[
    AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC)), PlainSerializer(_iso)
]
"""A moment in UTC; written as ``2026-05-01T12:00:00Z``; read with any offset."""

SiteKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
ThreadKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Status: TypeAlias = Literal["pending", "approved", "spam", "deleted"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Header(_Record):
    """The first line: what the file is and which version of the format it follows."""

    format: Literal["sharekit-export"] = "sharekit-export"
    version: int = VERSION
    type: Literal["header"] = "header"
    generator: str = ""  # "sharekit 1.2.0"
    site: SiteKey | None = None  # the export was limited to this site (--site)


class SiteRecord(_Record):
    """A site that has threads (the ``sites`` table)."""

    type: Literal["site"] = "site"
    key: SiteKey
    created_at: Timestamp


class ThreadRecord(_Record):
    """A commented page."""

    type: Literal["thread"] = "thread"
    site: SiteKey
    key: ThreadKey
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    title: Annotated[str, StringConstraints(max_length=300)]
    created_at: Timestamp


class CommentRecord(_Record):
    """A comment with every stored value a lossless copy needs (derived values and the
    short-lived network hash excepted: see the docs)."""

    type: Literal["comment"] = "comment"
    id: Annotated[int, Field(ge=1, lt=2**31)]
    site: SiteKey
    thread: ThreadKey
    parent: Annotated[int, Field(ge=1, lt=2**31)] | None
    status: Status
    created_at: Timestamp
    edited_at: Timestamp | None
    author: Annotated[str, StringConstraints(max_length=100)]
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)] | None
    website: Annotated[str, StringConstraints(max_length=200)] | None
    author_key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    consent_at: Timestamp | None
    text: str
    html: str
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None


class SubscriptionRecord(_Record):
    """An address that asked to be mailed about replies in a thread."""

    type: Literal["subscription"] = "subscription"
    site: SiteKey
    thread: ThreadKey
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    created_at: Timestamp
    confirmed_at: Timestamp | None


class SharesRecord(_Record):
    """How often a page was shared on one network on one day (visitors' hashes not included)."""

    type: Literal["shares"] = "shares"
    site: SiteKey
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    network: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    day: date
    count: Annotated[int, Field(ge=1)]


Record: TypeAlias = Annotated[
    SiteRecord | ThreadRecord | CommentRecord | SubscriptionRecord | SharesRecord,
    Field(discriminator="type"),
]

record_adapter: TypeAdapter[Any] = TypeAdapter(Record)
"""Validates one line's object as whichever record its ``type`` names."""


def dump(record: _Record) -> bytes:
    """One line of the file: compact JSON, UTF-8, fields in model order, ``\\n`` at the end."""
    values = record.model_dump(mode="json")
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
