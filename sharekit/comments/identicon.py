"""Avatars without any third party: a small symmetric SVG drawn from a keyed hash.

Avatar services see every reader's IP address and get an unsalted hash of each commenter's
e-mail, which a dictionary reverses. Here the key is an HMAC made with the site's secret
(:func:`avatar_key`), and the picture is drawn on the server from that key alone.
"""

from __future__ import annotations

import colorsys
import hashlib
import hmac
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

__all__ = ["avatar_key", "identicon"]

_GRID = 5
_HALF = (_GRID + 1) // 2  # columns drawn; the rest mirror them
# Fixed HSL lightness and saturation, chosen so that every hue keeps the dark foreground at
# 3:1 contrast or better (WCAG non-text contrast) on its light background.
_FOREGROUND = (0.34, 0.6)
_BACKGROUND = (0.9, 0.7)


@lru_cache(maxsize=1024)  # 360 hues, two shades
def _colour(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * 255) for channel in (red, green, blue)))


def _cells(bits: int) -> list[list[bool]]:
    """The full 5 by 5 grid: ``_HALF`` columns from ``bits``, mirrored left to right."""
    rows: list[list[bool]] = []
    for y in range(_GRID):
        half = [bool(bits >> (y * _HALF + x) & 1) for x in range(_HALF)]
        rows.append(half + half[: _GRID - _HALF][::-1])
    if not any(any(row) for row in rows):  # never a blank tile
        for row in rows:
            row[_GRID // 2] = True
    return rows


@lru_cache(maxsize=1 << (_GRID * _HALF))  # one per pattern: the low 15 bits decide
def _pattern(bits: int) -> str:
    return _path(_cells(bits))


def _path(cells: list[list[bool]]) -> str:
    """One path for all filled cells; each horizontal run is a single rectangle."""
    commands = []
    for y, row in enumerate(cells):
        x = 0
        while x < _GRID:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < _GRID and row[x]:
                x += 1
            width = x - start
            commands.append(f"M{start} {y}h{width}v1h-{width}z")
    return "".join(commands)


@lru_cache(maxsize=4096)
def _svg(key: str, size: int, label: str) -> Markup:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360 / 360
    pattern = _pattern(int.from_bytes(digest[2:6], "big") & ((1 << (_GRID * _HALF)) - 1))
    title = f"<title>{escape(label)}</title>" if label else ""
    # Safe to mark: besides the escaped title, only numbers and colours made here go in.
    return Markup(  # noqa: S704
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 5 5"'
        f' width="{size}" height="{size}" class="sk-avatar" aria-hidden="true"'
        ' focusable="false" shape-rendering="crispEdges">'
        f'{title}<rect width="5" height="5" fill="{_colour(hue, *_BACKGROUND)}"/>'
        f'<path fill="{_colour(hue, *_FOREGROUND)}" d="{pattern}"/></svg>'
    )


def identicon(key: str, size: int = 40, label: str = "") -> Markup:
    """An inline SVG avatar for ``key``, ``size`` pixels square; same key, same picture.

    It is decorative (``aria-hidden``: the author's name stands next to it); a ``label``
    becomes its ``<title>``, the tooltip sighted mouse users get. It has no ``id``, no
    style and no reference to anything outside, so a thread can hold hundreds of them.
    ``key`` is normally :func:`avatar_key`'s output, but any string works: it is hashed.

    >>> svg = identicon("00ff", size=32)
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 5 5" width="32"')
    True
    """
    if size < 1:
        raise ValueError("an identicon needs a size of at least 1 pixel")
    return _svg(key, size, label)


def _normal_email(email: str) -> str:
    return unicodedata.normalize("NFC", email).strip().lower()


def avatar_key(secret: str, site: str, email: str | None, fallback: str) -> str:
    """HMAC-SHA256 hex that picks a commenter's identicon, keyed with the site secret.

    The message is ``site + "\\0" + e-mail`` (NFC, trimmed, lower-cased), so one person
    looks the same on every page of a site but not across sites. Without an e-mail it is
    ``site + "\\0\\0" + fallback`` (usually the author's name); the extra separator keeps a
    name that looks like someone's address from borrowing their avatar. The key is safe to
    store and publish: it is not the address, and without the secret nobody can test a guess.

    >>> avatar_key("s3cret", "blog", " Ada@Example.org ", "Ada") == avatar_key(
    ...     "s3cret", "blog", "ada@example.org", "someone else")
    True
    """
    if not secret:
        raise ValueError("avatar_key needs the site secret; without it the hash is reversible")
    address = _normal_email(email) if email else ""
    if address:
        message = f"{site}\0{address}"
    else:
        message = f"{site}\0\0{unicodedata.normalize('NFC', fallback).strip()}"
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
