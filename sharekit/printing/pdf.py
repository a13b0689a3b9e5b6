"""PDF files of the print view, made with WeasyPrint (the optional extra ``sharekit[pdf]``).

WeasyPrint reads the page's ``<title>``, ``<meta name="author">`` and ``<html lang>`` into
the PDF's metadata. It never fetches anything itself: every image it may show was fetched
before (from the site's own origins, by the same rules as the page) and is handed over
from memory; any other address it asks for is refused.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from typing import Any

from sharekit.errors import HTTPError
from sharekit.i18n import N_

__all__ = ["INSTALL_HINT", "PdfUnavailable", "available", "render_pdf"]

INSTALL_HINT = "pip install 'sharekit[pdf]'"


class _OnlyErrors(logging.Filter):
    """WeasyPrint warns about every CSS feature it does not know (dark mode, filters) on
    every render: the shared stylesheets have several, by design. Keep its errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


logging.getLogger("weasyprint").addFilter(_OnlyErrors())


class PdfUnavailable(HTTPError):
    """501: this installation has no PDF support (WeasyPrint is not installed)."""

    status_code = 501
    default_message = N_(
        "PDF files are not available on this service. Its administrator can add them "
        "with: %(hint)s"
    )

    def __init__(self) -> None:
        super().__init__(hint=INSTALL_HINT)


def available() -> bool:
    """Whether WeasyPrint can be imported here (the PDF button shows only then)."""
    return importlib.util.find_spec("weasyprint") is not None


def render_pdf(
    html: str, base_url: str, resources: Mapping[str, tuple[bytes, str]], page_size: str
) -> bytes:
    """The PDF of ``html``; ``resources`` maps the absolute URLs it may load (images) to
    their bytes and media type. Blocking and CPU-bound: call it in a worker thread."""
    try:
        from weasyprint import CSS, HTML  # type: ignore[import-untyped]  # no type hints
        from weasyprint.urls import (  # type: ignore[import-untyped]
            URLFetcher,
            URLFetcherResponse,
        )
    except ImportError as exc:  # pragma: no cover - guarded by available()
        raise PdfUnavailable() from exc

    class FromMemory(URLFetcher):  # type: ignore[misc]  # WeasyPrint's class is untyped
        """Hands over what was fetched before; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            found = resources.get(url)
            if found is None:
                raise ValueError(f"sharekit does not let the PDF load {url.split('?')[0]}")
            data, media_type = found
            return URLFetcherResponse(url, data, {"Content-Type": media_type})

    fetcher = FromMemory()
    page = CSS(string=f"@page {{ size: {page_size}; }}", url_fetcher=fetcher)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(stylesheets=[page])
    data: bytes = document.write_pdf()
    return data
