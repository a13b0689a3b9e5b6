"""Where the shipped front-end files live: inside the installed package, or in the source tree."""

from __future__ import annotations

from pathlib import Path

__all__ = ["WIDGETS"]

_PACKAGE = Path(__file__).resolve().parent

# A wheel carries ``widgets/`` inside the package; a source checkout keeps it beside it.
WIDGETS = _PACKAGE / "widgets" if (_PACKAGE / "widgets").is_dir() else _PACKAGE.parent / "widgets"
