"""Template tags for a site's own Jinja2 environment: ``install(env, settings)``.

After ``install``, templates can use::

    {{ sharekit_head() }}                       stylesheet and script, with SRI hashes
    {{ share_buttons(url=…, title=…) }}         the two-click share bar
    {{ comments(thread=…, url=…, title=…) }}    the thread and its form
    {{ print_links(url=…, title=…) }}           print, PDF and email links

The tags render with sharekit's own environment and return safe markup, so they work the
same in Flask, Starlette, FastAPI or Pelican environments and never touch the host's own
i18n or autoescape settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import ValidationError

from .comments.service import CommentService
from .i18n import Catalogs
from .printing.pdf import available as pdf_available
from .rendering import Renderer, build_assets
from .runner import BackgroundLoop
from .settings import Settings
from .share.bar import EMAIL_INTRO, BarOptions
from .share.networks import Page
from .share.registry import Registry
from .share.service import ShareService
from .storage import Database

__all__ = ["SharekitTags", "install"]


def _page_url(context: Context) -> str:
    """The current page's URL from a ``request`` in the template context, if any."""
    request = context.get("request")
    url = getattr(request, "url", None)
    return str(url).split("#")[0] if url is not None else ""


class SharekitTags:
    """The callables ``install`` puts into a Jinja2 environment's globals."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        catalogs = Catalogs()
        registry = Registry(settings.share_custom_networks)
        self.renderer = Renderer(catalogs, build_assets(registry), settings.public_url)
        self.share = ShareService(settings, self.renderer, None, registry)
        # The comment tag reads the database; it does so on a loop of its own (see runner).
        self._loop = BackgroundLoop()
        self._database = Database(
            settings.database_url, auto_migrate=settings.migrates_automatically
        )
        self.comment_service = CommentService(settings, self.renderer, self._database)

    def close(self) -> None:
        """Close the tags' database connections and background loop (at shutdown)."""
        if self._loop is not None:
            self._loop.run(self._database.close())
            self._loop.close()

    @property
    def networks(self) -> dict[str, str]:
        """Every network a bar can show, key to label, in the default order."""
        return {key: net.label for key, net in self.share.registry.networks.items()}

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the tags can speak."""
        return self.renderer.catalogs.languages

    def sharekit_head(self, print: bool = False) -> Markup:
        """``<link>`` and ``<script defer>`` tags for sharekit's assets, with SRI hashes.

        ``print=True`` adds the print stylesheet, when it exists.
        """
        return self.renderer.render(
            "head.html", self.settings.default_language, base=self.settings.public_url, print=print
        )

    def share_buttons(
        self,
        context: Context,
        url: str | None = None,
        title: str = "",
        text: str = "",
        media: str = "",
        networks: Sequence[str] | str | None = None,
        lang: str | None = None,
        **options: Any,
    ) -> Markup:
        """The share bar for a page of a configured site.

        ``url`` defaults to ``request.url`` from the template context; ``lang`` to the
        context's ``lang``, then the site's language. Other options: ``theme`` (color, grey,
        white, dark, high-contrast), ``orientation`` (horizontal, vertical), ``style`` (icon,
        icon-label, label), ``size`` (s, m, l), ``counts`` (bool).
        """
        page_url = url or _page_url(context)
        site = self.settings.site_for_url(page_url)
        if site is None:
            raise ValueError(
                f"share_buttons: {page_url!r} is not on a configured site origin; pass url="
            )
        try:
            bar_options = BarOptions(networks=networks, **options)
            self.share.registry.resolve(bar_options.networks or ())
        except (ValidationError, ValueError) as exc:
            raise ValueError(f"share_buttons: {exc}") from exc
        wanted = [lang or str(context.get("lang") or ""), self.settings.language_of(site)]
        language = self.renderer.catalogs.best(wanted, self.settings.default_language)
        info = str(site.share_info_url) if site.share_info_url else None
        page = Page(url=page_url, title=title, text=text, media=media)
        return self.share.bar.render(
            page, bar_options, language, self.settings.public_url, site.key, info
        )


def _print_links(
    tags: SharekitTags,
    context: Context,
    url: str | None = None,
    title: str = "",
    lang: str | None = None,
    pdf: bool = True,
    email: bool = True,
    theme: str = "grey",
    size: str = "m",
) -> Markup:
    page_url = url or _page_url(context)
    settings = tags.settings
    site = settings.site_for_url(page_url)
    if site is None:
        raise ValueError(
            f"print_links: {page_url!r} is not on a configured site origin; pass url="
        )
    try:
        options = BarOptions(theme=theme, size=size)
    except ValidationError as exc:
        raise ValueError(f"print_links: {exc}") from exc
    wanted = [lang or str(context.get("lang") or ""), settings.language_of(site)]
    language = tags.renderer.catalogs.best(wanted, settings.default_language)
    base = settings.public_url
    query = urlencode({"url": page_url, "lang": language})
    mailto = ""
    if email:
        intro = tags.renderer.catalogs.translations(language).gettext(EMAIL_INTRO)
        build = tags.share.registry.networks["email"].build
        assert build is not None  # the email network builds a mailto: link
        mailto = build(Page(url=page_url, title=title, text=intro))
    return tags.renderer.render(
        "print/links.html",
        language,
        base=base,
        site=site,
        url=page_url,
        theme=options.theme,
        size=options.size,
        print_url=f"{base}/print?{query}",
        pdf_url=f"{base}/pdf?{query}" if pdf and pdf_available() else "",
        mailto=mailto,
    )


def _comments(
    tags: SharekitTags,
    context: Context,
    thread: str,
    url: str | None = None,
    title: str = "",
    lang: str | None = None,
) -> Markup:
    page_url = url or _page_url(context)
    settings = tags.settings
    site = settings.site_for_url(page_url)
    if site is None:
        raise ValueError(f"comments: {page_url!r} is not on a configured site origin; pass url=")
    request = context.get("request")
    cookies = getattr(request, "cookies", None) or {}
    service = tags.comment_service
    own = service.own_ids_from(cookies)
    view = tags._loop.run(service.thread(site, thread, own))
    wanted = [lang or str(context.get("lang") or ""), settings.language_of(site)]
    language = tags.renderer.catalogs.best(wanted, settings.default_language)
    return service.render_section(
        view, site, thread, page_url, title, language, settings.public_url
    )


def install(env: Environment, settings: Settings) -> SharekitTags:
    """Add sharekit's template tags to ``env``'s globals and return them."""
    tags = SharekitTags(settings)
    env.globals["sharekit_head"] = tags.sharekit_head

    @pass_context
    def share_buttons(context: Context, *args: Any, **kwargs: Any) -> Markup:
        return tags.share_buttons(context, *args, **kwargs)

    @pass_context
    def comments(context: Context, *args: Any, **kwargs: Any) -> Markup:
        """The comment thread and form for ``thread`` on the page at ``url``."""
        return _comments(tags, context, *args, **kwargs)

    @pass_context
    def print_links(context: Context, *args: Any, **kwargs: Any) -> Markup:
        """Print, PDF and email links for the page at ``url`` (default: the request's)."""
        return _print_links(tags, context, *args, **kwargs)

    share_buttons.__doc__ = tags.share_buttons.__doc__
    env.globals["share_buttons"] = share_buttons
    env.globals["print_links"] = print_links
    env.globals["comments"] = comments
    return tags
