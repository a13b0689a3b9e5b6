from __future__ import annotations

import pytest

from sharekit.comments import listings
from sharekit.comments.listings import Listing, ListingCache


def test_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(listings.time, "monotonic", lambda: now[0])
    cache = ListingCache(size=4, ttl=60)
    cache.put("a", Listing(b"A", "text/html"))
    assert cache.get("a") == Listing(b"A", "text/html")
    now[0] += 61
    assert cache.get("a") is None


def test_least_recently_used_goes_first() -> None:
    cache = ListingCache(size=2, ttl=60)
    cache.put("a", Listing(b"A", "text/html"))
    cache.put("b", Listing(b"B", "text/html"))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", Listing(b"C", "text/html"))
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None
