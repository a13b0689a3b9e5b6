"""Share targets a site owner configures: a URL template whose host no page can change."""

from __future__ import annotations

import re
import string
from urllib.parse import quote

from .networks import NETWORKS, PAGE_FIELDS, Action, Network, Page

__all__ = ["custom_network"]

_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def _template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"URL template {template!r} has unbalanced braces: {exc}") from exc
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PAGE_FIELDS or spec or conversion:
            allowed = ", ".join(f"{{{f}}}" for f in PAGE_FIELDS)
            raise ValueError(
                f"URL template {template!r} has the placeholder {{{name}}}; "
                f"only {allowed} are allowed, without format specs"
            )
        names.append(name)
    return names


def custom_network(
    key: str, label: str, url_template: str, color: str, action: Action = "open"
) -> Network:
    """A network configured by the site: ``url_template`` with ``{url}``, ``{title}`` etc.

    Values are percent-encoded when substituted, and ``sends`` lists the placeholders used.
    The template must be ``https://`` (action ``open``) or ``mailto:`` (action ``mailto``),
    and no placeholder may stand before the path, so a page can never choose the host.

    >>> net = custom_network("lobsters", "Lobsters", "https://lobste.rs/stories/new?url={url}",
    ...                      "#AC130D")
    >>> net.build(Page("https://blog.example/a b")) if net.build else None
    'https://lobste.rs/stories/new?url=https%3A%2F%2Fblog.example%2Fa%20b'
    """
    if not _KEY.fullmatch(key):
        raise ValueError(f"network key {key!r} must match [a-z0-9][a-z0-9-]{{0,31}}")
    if key in NETWORKS:
        raise ValueError(f"network key {key!r} is a built-in network; choose another key")
    if not label.strip():
        raise ValueError(f"network {key!r} needs a label")
    if not _COLOR.fullmatch(color):
        raise ValueError(f"colour {color!r} of network {key!r} must be #RRGGBB")
    if any(ch.isspace() or not ch.isprintable() for ch in url_template):
        raise ValueError(f"URL template {url_template!r} must not contain spaces")
    names = _template_fields(url_template)
    if url_template.startswith("https://"):
        expected: Action = "open"
        authority = re.split(r"[/?#]", url_template[len("https://") :], maxsplit=1)[0]
        if not authority or any(ch in authority for ch in "{}@\\"):
            raise ValueError(
                f"URL template {url_template!r} must name a fixed host: no placeholder, "
                "user name or backslash before the path"
            )
    elif url_template.startswith("mailto:"):
        expected = "mailto"
        if any(ch in url_template.partition("?")[0] for ch in "{}"):
            raise ValueError(
                f"URL template {url_template!r} must not take the recipient from the page; "
                "placeholders belong after the '?'"
            )
    else:
        raise ValueError(f"URL template {url_template!r} must start with https:// or mailto:")
    if action != expected:
        raise ValueError(f"a template starting like {url_template!r} needs action {expected!r}")

    def build(page: Page) -> str:
        return url_template.format_map(
            {name: quote(getattr(page, name), safe="") for name in names}
        )

    sends = tuple(name for name in PAGE_FIELDS if name in names)
    return Network(
        key=key, label=label, color=color.upper(), action=action, build=build, sends=sends
    )
