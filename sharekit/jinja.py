"""Template tags for a site's own Jinja2 environment: ``install(env, settings)``.

After ``install``, templates can use::

    {{ sharekit_head() }}      stylesheet and script tags, with Subresource Integrity

The tags render with sharekit's own environment and return safe markup, so they work the
same in Flask, Starlette, FastAPI or Pelican environments and never touch the host's own
i18n or autoescape settings.
"""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

from .assets import Assets
from .i18n import Catalogs
from .rendering import Renderer
from .settings import Settings

__all__ = ["SharekitTags", "install"]


class SharekitTags:
    """The callables ``install`` puts into a Jinja2 environment's globals."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        catalogs = Catalogs()
        self.renderer = Renderer(catalogs, Assets(), settings.public_url)

    def sharekit_head(self, print: bool = False) -> Markup:
        """``<link>`` and ``<script defer>`` tags for sharekit's assets, with SRI hashes.

        ``print=True`` adds the print stylesheet, when it exists.
        """
        return self.renderer.render(
            "head.html",
            self.settings.default_language,
            base=self.settings.public_url,
            print=print,
        )


def install(env: Environment, settings: Settings) -> SharekitTags:
    """Add sharekit's template tags to ``env``'s globals and return them."""
    tags = SharekitTags(settings)
    env.globals["sharekit_head"] = tags.sharekit_head
    return tags
