"""The share bar: options validated once, then pure rendering of server-side markup.

The same function renders the Jinja2 tag in a site's process and the ``/share-bar``
fragment that the static-HTML snippet fetches, so both are identical.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup, escape
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sharekit.i18n import N_
from sharekit.rendering import Renderer

from .fediverse import FEDIVERSE_SOFTWARE
from .networks import Network, Page
from .registry import Registry

__all__ = ["EMAIL_INTRO", "BarOptions", "ShareBar", "fediverse_choices", "notice_text"]

Theme = Literal["color", "grey", "white", "dark", "high-contrast"]
Orientation = Literal["horizontal", "vertical"]
Style = Literal["icon", "icon-label", "label"]
Size = Literal["s", "m", "l"]


def _split_keys(value: Any) -> Any:
    if isinstance(value, str):
        return [key.strip() for key in value.split(",") if key.strip()]
    return value


class BarOptions(BaseModel):
    """How a bar looks and which networks it shows; shared by the tag and ``/share-bar``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    networks: Annotated[tuple[str, ...] | None, BeforeValidator(_split_keys)] = Field(
        default=None, max_length=40
    )
    theme: Theme = "color"
    orientation: Orientation = "horizontal"
    style: Style = "icon"
    size: Size = "m"
    counts: bool = False


# What a network receives, by the page fields it sends: one whole sentence per case, so
# that every language can phrase it naturally.
_SENDS: dict[frozenset[str], str] = {
    frozenset({"url"}): N_("Sharing sends the address of this page to %(network)s."),
    frozenset({"url", "title"}): N_(
        "Sharing sends the address and title of this page to %(network)s."
    ),
    frozenset({"url", "text"}): N_(
        "Sharing sends the address and summary of this page to %(network)s."
    ),
    frozenset({"url", "media"}): N_(
        "Sharing sends the address and image of this page to %(network)s."
    ),
    frozenset({"url", "text", "media"}): N_(
        "Sharing sends the address, summary and image of this page to %(network)s."
    ),
    frozenset({"url", "title", "text"}): N_(
        "Sharing sends the address, title and summary of this page to %(network)s."
    ),
    frozenset({"url", "title", "media"}): N_(
        "Sharing sends the address, title and image of this page to %(network)s."
    ),
    frozenset({"url", "title", "text", "media"}): N_(
        "Sharing sends the address, title, summary and image of this page to %(network)s."
    ),
}
_AGAIN = N_("Click again to share.")
_NOT_YET = N_("Nothing has been sent yet.")
_FEDIVERSE_TARGET = N_("the Mastodon or fediverse server you choose")
_POD_TARGET = N_("the diaspora* pod you choose")

_LABELS = {
    "mailto": N_("Share by email"),
    "sms": N_("Share by text message"),
    "copy": N_("Copy link"),
    "native": N_("Share with another app"),
    "print": N_("Print this page"),
    "info": N_("About these buttons and your privacy"),
}
_SHORT_LABELS = {
    "mailto": N_("Email"),
    "sms": N_("SMS"),
    "copy": N_("Copy link"),
    "native": N_("More"),
    "print": N_("Print"),
    "info": N_("Info"),
}
_SHARE_ON = N_("Share on %(network)s")
EMAIL_INTRO = N_("I thought this might interest you:")


def _effective_sends(network: Network, page: Page) -> frozenset[str]:
    present = {name for name in ("url", "title", "text", "media") if getattr(page, name)}
    return frozenset(set(network.sends) & present) | {"url"}


def notice_text(
    translations: gettext.NullTranslations, network: Network, page: Page, armed: bool = True
) -> str:
    """The consent notice: what this network would receive, and what happens next.

    ``armed``: the notice of an armed button ("click again"); else of the consent page.
    """
    _ = translations.gettext
    target = network.label
    if network.action == "fediverse":
        diaspora = network.extra.get("software") == "diaspora"
        target = _(_POD_TARGET) if diaspora else _(_FEDIVERSE_TARGET)
    sends = _(_SENDS[_effective_sends(network, page)]) % {"network": target}
    return f"{sends} {_(_AGAIN) if armed else _(_NOT_YET)}"


def accessible_name(translations: gettext.NullTranslations, network: Network) -> str:
    """The button's accessible name, e.g. "Auf Bluesky teilen"."""
    if network.action in _LABELS:
        return translations.gettext(_LABELS[network.action])
    return translations.gettext(_SHARE_ON) % {"network": network.label}


def fediverse_choices(page: Page, selected: str = "mastodon") -> list[dict[str, Any]]:
    """The fediverse software a visitor can pick, with each share URL as a template whose
    ``{server}`` the script fills in (the rest is already encoded here)."""
    return [
        {
            "key": key,
            "label": software.label,
            "template": software.build("{server}", page),
            "selected": key == selected,
        }
        for key, software in FEDIVERSE_SOFTWARE.items()
    ]


# Placeholders for page-dependent values in a cached skeleton (private-use characters that
# never occur in sharekit's templates and pass through autoescaping untouched).
_OPEN, _CLOSE = "\ue000", "\ue001"
_TOKEN = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")


def _token(name: str) -> str:
    return f"{_OPEN}{name}{_CLOSE}"


class ShareBar:
    """Renders share bars for one app: its registry, renderer and defaults.

    The template is rendered once per combination of networks, options and language into a
    skeleton with placeholders; each page then only fills in its encoded URLs and notices.
    Identical calls (the same page rendered again) are served from a small cache.
    """

    def __init__(
        self,
        registry: Registry,
        renderer: Renderer,
        default_networks: Sequence[str],
        remember_consent: bool = False,
    ) -> None:
        self.registry = registry
        self.renderer = renderer
        self.default_networks = tuple(default_networks)
        self.remember_consent = remember_consent
        registry.resolve(self.default_networks)  # unknown keys fail at start-up
        self._skeleton = lru_cache(maxsize=256)(self._build_skeleton)
        self._cached = lru_cache(maxsize=1024)(self._render)

    def render(
        self,
        page: Page,
        options: BarOptions,
        lang: str,
        base: str,
        site: str,
        info_url: str | None = None,
    ) -> Markup:
        """The bar's HTML for ``page``; links go to the service at ``base``."""
        return self._cached(page, options, lang, base, site, info_url)

    def _render(
        self, page: Page, options: BarOptions, lang: str, base: str, site: str, info: str | None
    ) -> Markup:
        keys = tuple(options.networks or self.default_networks)
        parts = self._skeleton(keys, options, lang, base, site, info)
        translations = self.renderer.catalogs.translations(lang)
        email_page = page.with_text(page.text or translations.gettext(EMAIL_INTRO))
        networks = self.registry.networks
        query = {"url": page.url, "title": page.title, "text": page.text, "media": page.media}
        encoded_query = urlencode({**{k: v for k, v in query.items() if v}, "lang": lang})

        def value(name: str) -> str:
            kind, _, key = name.partition(":")
            if kind == "query":
                return encoded_query
            if kind in ("url", "title"):
                return str(query[kind])
            if kind == "fedi":
                return FEDIVERSE_SOFTWARE[key].build("{server}", page)
            network = networks[key]
            if kind == "notice":
                return notice_text(translations, network, page)
            assert network.build is not None
            return network.build(email_page if network.action in {"mailto", "sms"} else page)

        out = []
        for index, part in enumerate(parts):
            out.append(str(escape(value(part))) if index % 2 else part)
        return Markup("".join(out))  # noqa: S704 - template output plus escaped values

    def _build_skeleton(
        self,
        keys: tuple[str, ...],
        options: BarOptions,
        lang: str,
        base: str,
        site: str,
        info_url: str | None,
    ) -> tuple[str, ...]:
        translations = self.renderer.catalogs.translations(lang)
        buttons = []
        for network in self.registry.resolve(keys):
            key, action = network.key, network.action
            share_url = _token(f"share:{key}") if network.build else ""
            if action == "info":
                share_url = info_url or f"{base}/share/info?{urlencode({'lang': lang})}"
            consent = f"{base}/share/{key}?{_token('query')}"
            choices = []
            if action == "fediverse":
                selected = network.extra.get("software", "mastodon")
                choices = [
                    {
                        "key": name,
                        "label": software.label,
                        "template": _token(f"fedi:{name}"),
                        "selected": name == selected,
                    }
                    for name, software in FEDIVERSE_SOFTWARE.items()
                ]
            buttons.append(
                {
                    "network": network,
                    "href": share_url if action in {"mailto", "sms", "info"} else consent,
                    "share_url": share_url,
                    "name": accessible_name(translations, network),
                    "short": translations.gettext(_SHORT_LABELS[action])
                    if action in _SHORT_LABELS
                    else network.label,
                    "notice": _token(f"notice:{key}") if network.external else "",
                    "icon": self.registry.icons[key],
                    "fediverse": choices,
                }
            )
        html = self.renderer.render(
            "share/bar.html",
            lang,
            buttons=buttons,
            options=options,
            page={"url": _token("url"), "title": _token("title")},
            base=base,
            site=site,
            remember=self.remember_consent,
        )
        return tuple(_TOKEN.split(html))
