"""Opaque page cursors: where the previous page of top-level comments ended.

A cursor is the sort key of the last root on a page plus the sort order, so a page can be
asked for again at any time (keyset pagination: no OFFSET, stable while comments arrive).

>>> from datetime import UTC, datetime
>>> position = Position(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), 42)
>>> decode(encode(position, newest_first=True), newest_first=True) == position
True
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import NamedTuple

from .errors import InvalidCursor

__all__ = ["Position", "decode", "encode"]


class Position(NamedTuple):
    """The sort key of one top-level comment."""

    created_at: datetime
    id: int


def encode(position: Position, *, newest_first: bool) -> str:
    """The cursor for the page after ``position``."""
    data = [position.created_at.astimezone(UTC).isoformat(), position.id, int(newest_first)]
    raw = json.dumps(data, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str, *, newest_first: bool) -> Position:
    """The position a cursor points after; :class:`InvalidCursor` if it was not made by
    :func:`encode` for the same order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, comment_id, order = json.loads(raw)
        created_at = datetime.fromisoformat(created)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if (
        created_at.tzinfo is None
        or type(comment_id) is not int
        or order not in (0, 1)
        or bool(order) != newest_first
    ):
        raise InvalidCursor()
    return Position(created_at.astimezone(UTC), comment_id)
