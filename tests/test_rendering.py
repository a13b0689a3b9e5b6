"""The renderer: templates see their globals; dates in the page language, where the fast
path writes exactly what Babel writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.dates import format_datetime

from sharekit.assets import Assets
from sharekit.i18n import Catalogs
from sharekit.rendering import Renderer, _locale, format_local

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


def test_templates_see_the_globals_and_keep_their_own_apart(tmp_path: Path) -> None:
    shown = "{{ _('Comments') }} {{ has_asset('sharekit.js') }} {{ extra | default('none') }}"
    for name in ("page.html", "other.html"):
        (tmp_path / name).write_text(shown, encoding="utf-8")
    renderer = Renderer(Catalogs(), Assets(), "", templates_dir=tmp_path)
    assert renderer.render("page.html", "de") == "Kommentare True none"
    # Globals handed to one template are that template's own: not the environment's,
    # not another template's.
    renderer.env.get_template("other.html", globals={"extra": "mine"})
    assert renderer.render("other.html", "en") == "Comments True mine"
    assert "extra" not in renderer.env.globals
    assert renderer.render("page.html", "en") == "Comments True none"
