"""Web origins: the normal form of ``scheme://host[:port]`` that settings and checks share.

Everything here is pure string work on URLs: no look-ups, no I/O.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

__all__ = ["DEFAULT_PORTS", "normalise_origin", "origin_of"]

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


def _ascii_host(host: str) -> str:
    """Lower-case a host and turn an internationalised name into its ``xn--`` form."""
    host = host.rstrip(".").lower()
    if host.startswith("["):  # IPv6 literal, already ASCII
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{host!r} is not a valid host name") from exc


@functools.lru_cache(maxsize=4096)
def origin_of(url: str) -> str | None:
    """Return the normal origin of an absolute http(s) URL, or ``None`` if it has none.

    Pure, and asked on every request for the same few page URLs: the answers are cached.

    >>> origin_of("HTTPS://Blog.Example:443/post?x=1")
    'https://blog.example'
    """
    if any(ch in url for ch in "\\\t\r\n\x00") or url != url.strip():
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    if not parts.netloc or "@" in parts.netloc:
        return None
    try:
        host = _ascii_host(parts.hostname)
    except ValueError:
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    elif not _HOST.fullmatch(host):  # spaces, "%", "_" and the like: not a host name
        return None
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalise_origin(value: str) -> str:
    """Validate a configured origin and return it in normal form; raise ``ValueError`` if bad.

    >>> normalise_origin("https://Bücher.example/")
    'https://xn--bcher-kva.example'
    """
    origin = origin_of(value.strip())
    if origin is None:
        raise ValueError(f"{value!r} is not an origin like https://blog.example")
    path = urlsplit(value.strip()).path
    if path not in ("", "/") or urlsplit(value.strip()).query or urlsplit(value.strip()).fragment:
        raise ValueError(
            f"{value!r} has a path, query or fragment; an origin is only scheme://host"
        )
    return origin
