"""Brand colours made readable: WCAG contrast ratios and the nearest colour that passes.

Brand colours are often too light for white text (WhatsApp green on white is 1.9:1). The
share bar keeps each brand's hue and darkens it just enough to reach WCAG AA (4.5:1).
"""

from __future__ import annotations

__all__ = ["AA", "contrast", "readable_on", "relative_luminance"]

AA = 4.5


def _channels(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB``, from 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(channel) for channel in _channels(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, two: str) -> float:
    """WCAG contrast ratio of two colours, from 1 to 21.

    >>> round(contrast("#000000", "#ffffff"), 1)
    21.0
    """
    lighter, darker = sorted((relative_luminance(one), relative_luminance(two)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(colour: str, background: str = "#ffffff", ratio: float = AA) -> str:
    """``colour`` darkened (or lightened, on dark backgrounds) until it reaches ``ratio``.

    >>> readable_on("#25D366")  # WhatsApp green, as text on white
    '#188741'
    """
    if contrast(colour, background) >= ratio:
        return colour.lower()
    towards_black = relative_luminance(background) > 0.5
    r, g, b = _channels(colour)
    for step in range(1, 101):
        keep = 1 - step / 100
        if towards_black:
            candidate = tuple(round(c * keep) for c in (r, g, b))
        else:
            candidate = tuple(round(255 - (255 - c) * keep) for c in (r, g, b))
        result = "#{:02x}{:02x}{:02x}".format(*candidate)
        if contrast(result, background) >= ratio:
            return result
    return "#000000" if towards_black else "#ffffff"
