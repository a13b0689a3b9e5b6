"""Sharing to the fediverse: the visitor names their own server, and only it gets the data.

Everything here is pure string work: no DNS or HTTP look-ups. A server name is checked the
way a browser will read it, so the host sharekit validates is the host the browser opens.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import NamedTuple

import idna

from sharekit.share.networks import Page, query_url

__all__ = [
    "FEDIVERSE_SOFTWARE",
    "FEDIVERSE_SOURCES",
    "RESERVED_SUFFIXES",
    "FediverseSoftware",
    "fediverse_share_url",
    "validate_fediverse_server",
]


class FediverseSoftware(NamedTuple):
    """A kind of fediverse server: its name and how to build its share endpoint."""

    label: str
    build: Callable[[str, Page], str]


FEDIVERSE_SOFTWARE: dict[str, FediverseSoftware] = {
    "mastodon": FediverseSoftware(
        "Mastodon",
        lambda server, p: query_url(f"https://{server}/share", text=f"{p.title} {p.url}".strip()),
    ),
    "misskey": FediverseSoftware(
        "Misskey (also Sharkey, CherryPick)",
        lambda server, p: query_url(f"https://{server}/share", title=p.title, url=p.url),
    ),
    "friendica": FediverseSoftware(
        "Friendica",
        lambda server, p: query_url(f"https://{server}/compose", title=p.title, body=p.url),
    ),
    "hubzilla": FediverseSoftware(
        "Hubzilla",
        lambda server, p: query_url(f"https://{server}/rpost", title=p.title, body=p.url),
    ),
    "diaspora": FediverseSoftware(
        "diaspora*",
        lambda server, p: query_url(f"https://{server}/bookmarklet", url=p.url, title=p.title),
    ),
}
"""Share endpoints by software, Mastodon first (the default). Each sends the URL and title."""

_GH = "https://github.com"
FEDIVERSE_SOURCES: dict[str, str] = {
    "mastodon": f"{_GH}/mastodon/mastodon/blob/9f13954936d88c6c71280be218cc80aa9de060e4/"
    "app/controllers/shares_controller.rb",
    "misskey": f"{_GH}/misskey-dev/misskey/blob/54990ff8a32050086d9b4daef51d5bad810ce0c8/"
    "packages/frontend/src/pages/share.vue",
    "friendica": f"{_GH}/friendica/friendica/blob/fd82f86595567724e4b36bbebccca92c89e37508/"
    "src/Module/Item/Compose.php",
    "hubzilla": f"{_GH}/saiwal/hubzilla/blob/a5e32dc3de997c3a3d9046161ce1ec149abb65c1/"
    "Zotlabs/Module/Rpost.php",
    "diaspora": f"{_GH}/diaspora/diaspora/blob/228e8cec3645ce3c0758c0a835ff064b1759ec03/"
    "app/assets/javascripts/app/views/bookmarklet_view.js",
}
"""Where each endpoint's parameters were checked (the software's own source)."""

RESERVED_SUFFIXES = frozenset(
    {
        "localhost",  # RFC 6761
        "test",  # RFC 6761
        "example",  # RFC 6761
        "invalid",  # RFC 6761
        "local",  # RFC 6762 (mDNS)
        "onion",  # RFC 7686 (Tor only)
        "alt",  # RFC 9476
        "arpa",  # infrastructure, includes home.arpa (RFC 8375)
        "internal",  # reserved by ICANN for private use (2024)
        "localdomain",  # common private names that never resolve publicly
        "lan",
        "home",
        "corp",
        "intranet",
    }
)
"""Top-level names that never lead to a public server; a server name ending in one is refused."""

_EXAMPLE = "Enter just the name of your server, like mastodon.social."
_FORBIDDEN = {
    "@": "User names are not needed.",
    "/": "Leave out any path after the server name.",
    "?": "Leave out the query ('?…') after the server name.",
    "#": "Leave out the fragment ('#…') after the server name.",
    "\\": "A server name cannot contain a backslash.",
    "%": "A server name cannot contain '%'.",
}
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMBER = re.compile(r"(?:[0-9]+|0[xX][0-9A-Fa-f]*)")


def _refuse(value: str, reason: str) -> ValueError:
    return ValueError(f"{value!r} is not a server name. {reason} {_EXAMPLE}")


def _is_ip(host: str) -> bool:
    """True for every spelling a browser reads as an IP address (2130706433, 0x7f.1, ::1)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # WHATWG URL: a host whose last label is a number is parsed as IPv4.
        return bool(_NUMBER.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]))
    return True


def validate_fediverse_server(value: str) -> str:
    """Turn what a visitor typed into the lower-case ASCII (punycode) name of their server.

    Accepts ``mastodon.social``, ``https://Mastodon.Social/`` and internationalised names;
    refuses IP addresses, ports, paths, user names, single labels and reserved names with a
    ``ValueError`` whose message says what to type instead.

    >>> validate_fediverse_server("https://Bücher.Social/")
    'xn--bcher-kva.social'
    """
    host = value.strip()
    if not host:
        raise ValueError(f"The server name is empty. {_EXAMPLE}")
    if any(ch.isspace() or not ch.isprintable() for ch in host):
        raise _refuse(value, "It must not contain spaces.")
    scheme, sep, rest = host.partition("://")
    if sep:
        if scheme.lower() not in {"https", "http"}:
            raise _refuse(value, "Only an https:// address can be used.")
        host = rest
    host = host.removesuffix("/")
    for char, reason in _FORBIDDEN.items():
        if char in host:
            raise _refuse(value, reason)
    if _is_ip(host):
        raise _refuse(value, "IP addresses are not allowed; use the server's name.")
    if ":" in host or "[" in host or "]" in host:
        raise _refuse(value, "Leave out the port (':…').")
    host = host.removesuffix(".")  # one trailing dot: the same name, written fully qualified
    if not host:
        raise ValueError(f"The server name is empty. {_EXAMPLE}")
    try:
        # UTS 46, non-transitional: the mapping browsers apply (faß.de -> xn--fa-hia.de).
        ascii_host = idna.encode(host, uts46=True, std3_rules=True, transitional=False)
    except (idna.IDNAError, UnicodeError) as exc:
        raise _refuse(value, "It contains characters a server name cannot have.") from exc
    host = ascii_host.decode("ascii").lower()
    labels = host.split(".")
    if _is_ip(host):  # fullwidth digits and dots map to an IP address
        raise _refuse(value, "IP addresses are not allowed; use the server's name.")
    if len(labels) < 2:
        raise _refuse(value, "A public server name has at least one dot.")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refuse(value, "It is too long or has an empty or malformed part.")
    if labels[-1] in RESERVED_SUFFIXES:
        raise _refuse(value, f"Names ending in .{labels[-1]} are not public servers.")
    return host


def fediverse_share_url(server: str, software: str, page: Page) -> str:
    """The share URL on the visitor's ``server`` running ``software`` (a FEDIVERSE_SOFTWARE key).

    Raises ``KeyError`` for unknown software and ``ValueError`` for a bad server name.

    >>> fediverse_share_url("Mastodon.Social", "mastodon", Page("https://blog.example/", "Hi"))
    'https://mastodon.social/share?text=Hi%20https%3A%2F%2Fblog.example%2F'
    """
    if software not in FEDIVERSE_SOFTWARE:
        known = ", ".join(FEDIVERSE_SOFTWARE)
        raise KeyError(f"unknown fediverse software {software!r}; known: {known}")
    return FEDIVERSE_SOFTWARE[software].build(validate_fediverse_server(server), page)
