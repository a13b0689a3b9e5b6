"""The networks one app offers: the built-ins plus the site owner's own, with their icons."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from markupsafe import Markup

from sharekit.errors import ConfigurationError
from sharekit.paths import WIDGETS
from sharekit.settings import CustomNetwork

from .colors import readable_on
from .custom import custom_network
from .networks import NETWORKS, Network

__all__ = ["Registry"]

_SVG_OPEN = re.compile(r"<svg\b", re.IGNORECASE)
_ICON_ATTRIBUTES = ' class="sk-share__icon" aria-hidden="true" focusable="false"'
_FALLBACK_ICON = "native"


def _inline_icon(source: str) -> Markup:
    """An icon file as inline markup: decorative (hidden from assistive technology)."""
    start = source.find("<svg")
    if start < 0 or "<script" in source.lower() or re.search(r"\son\w+\s*=", source):
        raise ConfigurationError("an icon must be a plain SVG file without scripts or handlers")
    return Markup(_SVG_OPEN.sub("<svg" + _ICON_ATTRIBUTES, source[start:].strip(), count=1))  # noqa: S704


class Registry:
    """Networks by key, in display order, with their inline icons and theme colours."""

    def __init__(self, custom: Sequence[CustomNetwork] = (), icons: Path = WIDGETS / "icons"):
        self.networks: dict[str, Network] = dict(NETWORKS)
        self.icons: dict[str, Markup] = {}
        for key in NETWORKS:
            self.icons[key] = _inline_icon((icons / f"{key}.svg").read_text(encoding="utf-8"))
        for entry in custom:
            try:
                network = custom_network(entry.key, entry.label, entry.url_template, entry.color)
            except ValueError as exc:
                raise ConfigurationError(f"share_custom_networks: {exc}") from exc
            if network.key in self.networks:
                raise ConfigurationError(f"share_custom_networks: {network.key!r} is taken")
            self.networks[network.key] = network
            if entry.icon is None:
                self.icons[network.key] = self.icons[_FALLBACK_ICON]
            else:
                try:
                    text = entry.icon.read_text(encoding="utf-8")
                except OSError as exc:
                    raise ConfigurationError(f"cannot read icon {entry.icon}: {exc}") from exc
                self.icons[network.key] = _inline_icon(text)

    def resolve(self, keys: Iterable[str]) -> list[Network]:
        """The networks for ``keys``, in that order; ``ValueError`` names an unknown key."""
        networks = []
        for key in keys:
            network = self.networks.get(key.strip().lower())
            if network is None:
                raise ValueError(f"unknown network {key!r}")
            networks.append(network)
        return networks

    def colours_css(self) -> str:
        """Per-network colours for the colour and white themes, adjusted to WCAG AA."""
        rules = []
        for key, network in self.networks.items():
            on_brand = readable_on(network.color, "#ffffff")
            rules.append(f".sk-b-{key}{{--sk-brand:{on_brand}}}")
        return "\n".join(rules) + "\n"
