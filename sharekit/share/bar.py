"""The share bar: options validated once, then pure rendering of server-side markup.

The same function renders the Jinja2 tag in a site's process and the ``/share-bar``
fragment that the static-HTML snippet fetches, so both are identical.
"""

from __future__ import annotations

import gettext
import itertools
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sharekit.i18n import N_
from sharekit.rendering import Renderer

from .fediverse import FEDIVERSE_SOFTWARE
from .networks import Network, Page
from .registry import Registry

__all__ = ["BarOptions", "ShareBar", "fediverse_choices", "notice_text"]

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
_EMAIL_INTRO = N_("I thought this might interest you:")


def _effective_sends(network: Network, page: Page) -> frozenset[str]:
    present = {name for name in ("url", "title", "text", "media") if getattr(page, name)}
    sends = frozenset(set(network.sends) & present) | {"url"}
    for known in sorted(_SENDS, key=len):
        if sends <= known:
            return known
    return frozenset({"url", "title", "text", "media"})


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


class ShareBar:
    """Renders share bars for one app: its registry, renderer and defaults."""

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
        self._ids = itertools.count(1)
        registry.resolve(self.default_networks)  # unknown keys fail at start-up

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
        translations = self.renderer.catalogs.translations(lang)
        networks = self.registry.resolve(options.networks or self.default_networks)
        query = {"url": page.url, "title": page.title, "text": page.text, "media": page.media}
        common = {name: value for name, value in query.items() if value}
        common.update(lang=lang)
        buttons = []
        email_page = page.with_text(page.text or translations.gettext(_EMAIL_INTRO))
        for network in networks:
            consent = f"{base}/share/{network.key}?{urlencode(common)}"
            shared = email_page if network.action in {"mailto", "sms"} else page
            share_url = network.build(shared) if network.build else ""
            if network.action == "info":
                share_url = info_url or f"{base}/share/info?{urlencode({'lang': lang})}"
            buttons.append(
                {
                    "network": network,
                    "href": share_url if network.action in {"mailto", "sms", "info"} else consent,
                    "share_url": share_url,
                    "name": accessible_name(translations, network),
                    "short": translations.gettext(_SHORT_LABELS[network.action])
                    if network.action in _SHORT_LABELS
                    else network.label,
                    "notice": notice_text(translations, network, page) if network.external else "",
                    "icon": self.registry.icons[network.key],
                    "fediverse": fediverse_choices(page, network.extra.get("software", "mastodon"))
                    if network.action == "fediverse"
                    else [],
                }
            )
        return self.renderer.render(
            "share/bar.html",
            lang,
            bar_id=f"sk{next(self._ids)}",
            buttons=buttons,
            options=options,
            page=page,
            base=base,
            site=site,
            remember=self.remember_consent,
        )
