"""Dates in the page language: the fast path writes exactly what Babel writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from babel.dates import format_datetime

from sharekit.rendering import _locale, format_local

MOMENTS = [
    datetime(2026, 5, 1, 14, 3, 7, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=5))),  # shown in UTC
    datetime(2026, 3, 29, 1, 30),  # naive: taken as UTC
]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "it", "nl", "pl", "de-AT", "ja"])
@pytest.mark.parametrize("length", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_format_local_matches_babel(lang: str, length: str) -> None:
    for moment in MOMENTS:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        expected = format_datetime(aware, format=length, locale=_locale(lang), tzinfo=UTC)
        assert format_local(moment, lang, length) == expected
