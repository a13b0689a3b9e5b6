"""The print capability of one app: fetch an article from its site, show it clean, make
its PDF — with a cache that asks the source whether the page changed, and a cap on the
renders running at once."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from markupsafe import Markup

from sharekit.errors import HTTPError, NotFound, ServiceUnavailable
from sharekit.i18n import N_
from sharekit.rendering import Renderer
from sharekit.settings import Settings, Site

from .article import Article, extract_article
from .fetch import FetchedPage, PageFetcher, SourceNotAllowed
from .pdf import PdfUnavailable, available, render_pdf

__all__ = ["ContentProvider", "PrintService"]

logger = logging.getLogger("sharekit.printing")

# A site that renders its pages in the same process can hand them over directly: the
# page's HTML for a URL of the site, or ``None`` when there is no such page.
ContentProvider = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class _CachedPdf:
    etag: str | None
    last_modified: str | None
    digest: str
    pdf: bytes


class PrintService:
    """Everything the print routes need, built once per app."""

    def __init__(
        self,
        settings: Settings,
        renderer: Renderer,
        providers: Mapping[str, ContentProvider] | None = None,
        fetcher: PageFetcher | None = None,
    ) -> None:
        self.settings = settings
        self.renderer = renderer
        self.providers = dict(providers or {})
        self.fetcher = fetcher or PageFetcher(
            max_bytes=settings.print_max_bytes, timeout=settings.print_timeout
        )
        self.renders = 0  # PDFs made so far (the cache's hits are not counted)
        self._pdfs: OrderedDict[str, _CachedPdf] = OrderedDict()
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def pdf_available(self) -> bool:
        return available()

    def site_for(self, url: str) -> Site:
        """The site a page belongs to; refused for any other address."""
        site = self.settings.site_for_url(url)
        if site is None:
            raise SourceNotAllowed()
        return site

    async def page(
        self,
        url: str,
        site: Site,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchedPage:
        """The page's HTML, from the site's content provider or over HTTP."""
        provider = self.providers.get(site.key)
        if provider is None:
            return await self.fetcher.fetch(url, site, etag=etag, last_modified=last_modified)
        html = await provider(url)
        if html is None:
            raise NotFound(N_("There is no page at this address."))
        return FetchedPage(url=url, html=html, etag=None, last_modified=None, not_modified=False)

    async def article(self, url: str) -> tuple[Site, Article]:
        site = self.site_for(url)
        page = await self.page(url, site)
        return site, extract_article(page.html, page.url, site.origins)

    def render_view(
        self,
        site: Site,
        article: Article,
        lang: str,
        base: str,
        pdf_url: str | None,
    ) -> Markup:
        """The clean reader page."""
        return self.renderer.render(
            "print/view.html",
            lang,
            site=site,
            article=article,
            base=base,
            source_url=article.url,
            pdf_url=pdf_url,
        )

    async def pdf(self, url: str, lang: str, base: str) -> bytes:
        """The PDF of a page, from the cache while the source says it did not change."""
        if not available():
            raise PdfUnavailable()
        site = self.site_for(url)
        key = f"{url}|{lang}"
        cached = self._pdfs.get(key)
        page = await self.page(
            url,
            site,
            etag=cached.etag if cached else None,
            last_modified=cached.last_modified if cached else None,
        )
        digest = hashlib.sha256(page.html.encode("utf-8")).hexdigest()
        if cached is not None and (page.not_modified or cached.digest == digest):
            self._pdfs.move_to_end(key)
            return cached.pdf
        article = extract_article(page.html, page.url, site.origins)
        resources = await self._images(article, site)
        html = str(self.render_view(site, article, lang, base, None))
        # The page's stylesheets, at the addresses WeasyPrint will ask for them.
        for name in ("service.css", "print.css", "print-view.css"):
            address = urljoin(article.url, self.renderer.asset_url(name, base))
            resources[address] = (self.renderer.assets.get(name).body, "text/css")
        async with self._slot():
            pdf = await asyncio.to_thread(
                render_pdf, html, article.url, resources, self.settings.print_pdf_page_size
            )
        self.renders += 1
        self._pdfs[key] = _CachedPdf(page.etag, page.last_modified, digest, pdf)
        while len(self._pdfs) > self.settings.print_pdf_cache_entries:
            self._pdfs.popitem(last=False)
        return pdf

    async def _images(self, article: Article, site: Site) -> dict[str, tuple[bytes, str]]:
        """The article's images, fetched by the page's rules; one that fails is left out."""
        found: dict[str, tuple[bytes, str]] = {}
        for url in article.images:
            try:
                found[url] = await self.fetcher.fetch_resource(url, site, ("image/",))
            except HTTPError as exc:  # a missing picture must not cost the whole PDF
                logger.info("PDF without an image of %s: %s", site.key, exc)
        return found

    def _slot(self) -> _Slot:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.settings.print_pdf_concurrency)
        return _Slot(slots, self.settings.print_pdf_queue_wait)


class _Slot:
    """One of the render slots, waited for at most ``wait`` seconds (then 503)."""

    def __init__(self, slots: asyncio.Semaphore, wait: float) -> None:
        self.slots = slots
        self.wait = wait

    async def __aenter__(self) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.slots.acquire(), timeout=self.wait)
        except TimeoutError as exc:
            waited = time.monotonic() - started
            raise ServiceUnavailable(retry_after=max(1, round(waited))) from exc

    async def __aexit__(self, *_: object) -> None:
        self.slots.release()
