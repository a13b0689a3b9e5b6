"""Identicons: deterministic, small, accessible inline SVG from a keyed hash."""

from __future__ import annotations

import hashlib
import re
import time
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from sharekit.comments.identicon import avatar_key, identicon
from sharekit.share.colors import contrast

SVG = "{http://www.w3.org/2000/svg}"
KEYS = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(300)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def filled_cells(svg: str) -> frozenset[tuple[int, int]]:
    """The grid cells the path covers, read back from its ``M x y h w v1 h-w z`` runs."""
    path = parse(svg).find(f"{SVG}path")
    assert path is not None
    cells: set[tuple[int, int]] = set()
    for x, y, width in re.findall(r"M(\d) (\d)h(\d)v1h-\3z", path.get("d", "")):
        cells.update((int(x) + i, int(y)) for i in range(int(width)))
    return frozenset(cells)


def test_same_key_same_svg() -> None:
    first = str(identicon(KEYS[0]))
    identicon(KEYS[1])
    assert str(identicon(KEYS[0])) == first
    assert str(identicon(KEYS[0], size=40, label="")) == first


def test_is_markup_and_valid_xml() -> None:
    svg = identicon(KEYS[1])
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert [child.tag for child in root] == [f"{SVG}rect", f"{SVG}path"]


def test_attributes() -> None:
    root = parse(identicon(KEYS[2]))
    assert root.attrib == {
        "viewBox": "0 0 5 5",
        "width": "40",
        "height": "40",
        "class": "sk-avatar",
        "aria-hidden": "true",
        "focusable": "false",
        "shape-rendering": "crispEdges",
    }


@pytest.mark.parametrize("key", KEYS[:50])
def test_nothing_unsafe_or_colliding(key: str) -> None:
    svg = str(identicon(key))
    assert len(svg.encode()) < 1024
    for banned in (" id=", "style", "script", "href", "url(", "<image", "<use", "<text"):
        assert banned not in svg, banned
    for element in parse(svg).iter():
        assert "id" not in element.attrib
        assert all(not name.startswith("on") for name in element.attrib)


def test_size_parameter() -> None:
    root = parse(identicon(KEYS[3], size=96))
    assert (root.get("width"), root.get("height")) == ("96", "96")
    assert root.get("viewBox") == "0 0 5 5"
    assert filled_cells(identicon(KEYS[3], size=96)) == filled_cells(identicon(KEYS[3]))


@pytest.mark.parametrize("size", [0, -40])
def test_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        identicon(KEYS[0], size=size)


def test_label_is_an_escaped_title() -> None:
    svg = identicon(KEYS[4], label='Ada <script>"&')
    root = parse(svg)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == 'Ada <script>"&'
    assert "<script>" not in svg
    assert root.get("aria-hidden") == "true"
    assert parse(identicon(KEYS[4])).find(f"{SVG}title") is None


def test_grid_is_symmetric_and_never_empty() -> None:
    for key in KEYS:
        cells = filled_cells(identicon(key))
        assert cells, key
        assert all(0 <= x < 5 and 0 <= y < 5 for x, y in cells)
        assert cells == frozenset((4 - x, y) for x, y in cells), key


def test_different_keys_look_different() -> None:
    looks = {(filled_cells(svg), parse(svg)[0].get("fill")) for svg in map(identicon, KEYS)}
    assert len(looks) == len(KEYS)
    patterns = {filled_cells(identicon(key)) for key in KEYS}
    assert len(patterns) > 250  # 2**15 patterns: almost no two of 300 share one
    hues = {parse(identicon(key))[0].get("fill") for key in KEYS}
    assert len(hues) > 100  # neighbouring hues can round to one light tint


def test_colours_have_enough_contrast() -> None:
    for key in KEYS:
        root = parse(identicon(key))
        background, foreground = root[0].get("fill"), root[1].get("fill")
        assert background
        assert foreground
        assert re.fullmatch(r"#[0-9a-f]{6}", background)
        assert contrast(background, foreground) >= 3, key


def test_any_string_is_a_usable_key() -> None:
    for key in ("", "not hex at all", "\u00e9\U0001f600", "0"):
        parse(identicon(key))


def test_fast_enough_for_a_long_thread() -> None:
    keys = [hashlib.sha256(f"fast-{n}".encode()).hexdigest() for n in range(500)]
    start = time.perf_counter()
    for key in keys:
        identicon(key)
    assert time.perf_counter() - start < 0.5  # well under 1 ms each, uncached


# --- avatar_key -------------------------------------------------------------------------


def test_avatar_key_is_hex_hmac() -> None:
    key = avatar_key("secret", "blog", "ada@example.org", "Ada")
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert "ada" not in key


@pytest.mark.parametrize(
    "email", ["ada@example.org", "ADA@Example.ORG", "  ada@example.org\n", "\tAda@example.org "]
)
def test_avatar_key_normalises_the_email(email: str) -> None:
    assert avatar_key("secret", "blog", email, "Ada") == avatar_key(
        "secret", "blog", "ada@example.org", "someone else"
    )


def test_avatar_key_normalises_unicode() -> None:
    composed = avatar_key("secret", "blog", "j\u00f6rg@example.org", "")
    assert avatar_key("secret", "blog", "jo\u0308rg@example.org", "") == composed


def test_avatar_key_depends_on_secret_site_and_person() -> None:
    base = avatar_key("secret", "blog", "ada@example.org", "Ada")
    assert avatar_key("other secret", "blog", "ada@example.org", "Ada") != base
    assert avatar_key("secret", "shop", "ada@example.org", "Ada") != base
    assert avatar_key("secret", "blog", "bob@example.org", "Ada") != base


def test_avatar_key_site_and_email_cannot_run_together() -> None:
    assert avatar_key("s", "blog", "x@example.org", "") != avatar_key(
        "s", "blogx", "@example.org", ""
    )


def test_avatar_key_falls_back_without_email() -> None:
    for missing in (None, "", "   "):
        assert avatar_key("secret", "blog", missing, "Ada") == avatar_key(
            "secret", "blog", None, " Ada "
        )
    assert avatar_key("secret", "blog", None, "Ada") != avatar_key("secret", "blog", None, "Bob")


def test_a_name_cannot_borrow_an_emails_avatar() -> None:
    by_email = avatar_key("secret", "blog", "ada@example.org", "Ada")
    assert avatar_key("secret", "blog", None, "ada@example.org") != by_email


def test_avatar_key_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        avatar_key("", "blog", "ada@example.org", "Ada")
