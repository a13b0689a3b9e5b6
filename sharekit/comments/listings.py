"""A small cache of rendered thread pages, keyed by the thread's version.

A thread's version changes in the same transaction as every write to it, in every worker,
so a cached page is never served after its thread changed: reading one costs one cheap
version query (shared by the requests of one turn of the event loop, see
:mod:`sharekit.storage.turns`) instead of loading and rendering the whole thread. Entries
also expire after a minute, so the form tokens inside them stay fresh.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.responses import Response

__all__ = ["CachedResponse", "Listing", "ListingCache"]


@dataclass(frozen=True)
class Listing:
    """A rendered response body and its media type; with the response's headers and
    ETag once it is cached for a route."""

    body: bytes
    media_type: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    etag: str = ""


class CachedResponse(Response):
    """A cached listing, sent with the headers made when it was cached (a busy thread is
    asked for thousands of times between two changes)."""

    def __init__(self, listing: Listing) -> None:
        self.status_code = 200
        self.body = listing.body
        self.background = None
        self.raw_headers = list(listing.headers)


class ListingCache:
    """At most ``size`` listings, each for at most ``ttl`` seconds."""

    def __init__(self, size: int = 256, ttl: float = 60.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[Hashable, tuple[float, Listing]] = OrderedDict()

    def get(self, key: Hashable) -> Listing | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, listing = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return listing

    def clear(self) -> None:
        """Forget everything (after a change the version would not show, like a delete)."""
        self._entries.clear()

    def put(self, key: Hashable, listing: Listing) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, listing)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
