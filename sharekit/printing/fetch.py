"""Fetch pages of a configured site (and their images), nothing else: the SSRF guard.

Every URL, the first and each redirect target, must be http(s) on one of the site's
origins. Its host is resolved once and every address must be public, unless the origin
itself was configured as ``localhost`` or an IP address (as the demo is); the request then
goes to the checked address, with the real ``Host`` header and TLS name, so a second DNS
answer cannot redirect it. Bodies are capped in size and the whole fetch in time.
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2

from sharekit import __version__
from sharekit.errors import HTTPError, URLNotAllowed
from sharekit.i18n import N_
from sharekit.origins import DEFAULT_PORTS, origin_of
from sharekit.settings import Site

__all__ = [
    "FetchedPage",
    "PageFetcher",
    "Resolver",
    "SourceNotAllowed",
    "SourceNotHtml",
    "SourceTimeout",
    "SourceTooLarge",
    "SourceUnreachable",
    "is_public_address",
    "system_resolver",
]

logger = logging.getLogger("sharekit")

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Turns a host name and port into IP addresses, e.g. ``("blog.example", 443)``."""

HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = IPv6Network("64:ff9b::/96")
_STATUS = N_("The page could not be loaded from %(host)s (status %(status)s).")
_PRIVATE = N_("This site's address leads to a private network, so the page cannot be fetched.")


class SourceNotAllowed(URLNotAllowed):
    """400: the address is not on the site's origins, or leads to a private network."""


class _SourceError(HTTPError):
    """A page of a configured site could not be used; ``host`` names that site."""

    def __init__(self, host: str, message: str | None = None, **params: Any) -> None:
        super().__init__(message, host=host, **params)


class SourceUnreachable(_SourceError):
    """502: the site could not be reached, answered with an error, or redirected too often."""

    status_code = 502
    default_message = N_("The page could not be loaded from %(host)s.")


class SourceTooLarge(_SourceError):
    """502: the page is over the size cap."""

    status_code = 502
    default_message = N_("The page at %(host)s is too large to print.")


class SourceNotHtml(_SourceError):
    """502: the address answers with something other than an HTML page."""

    status_code = 502
    default_message = N_("This address on %(host)s is not a web page that can be printed.")


class SourceTimeout(_SourceError):
    """504: the whole fetch, redirects included, took longer than allowed."""

    status_code = 504
    default_message = N_("The page took too long to load from %(host)s.")


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page: ``url`` after redirects; ``not_modified`` (and no html) on a 304."""

    url: str
    html: str
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class _Body:
    url: str
    media_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    content: bytes = b""
    not_modified: bool = False


@dataclass(frozen=True)
class _Target:
    url: str  # without fragment
    scheme: str
    host: str  # ASCII, IPv6 without brackets
    port: int
    netloc: str  # the Host header: host[:port] as in the normal origin
    target: str  # path and query

    def with_address(self, address: str) -> str:
        literal = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{literal}:{self.port}{self.target}"


def _target(url: str, site: Site) -> _Target:
    """Split an http(s) URL on one of the site's origins (no userinfo); refuse any other."""
    origin = origin_of(url)
    if origin is None or origin not in site.origins:
        raise SourceNotAllowed()
    parts = urlsplit(url)
    scheme, netloc = origin.split("://", 1)
    normal = urlsplit(origin)
    assert normal.hostname is not None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(
        url=parts._replace(fragment="").geturl(),
        scheme=scheme,
        host=normal.hostname,
        port=normal.port or DEFAULT_PORTS[scheme],
        netloc=netloc,
        target=target,
    )


def _is_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def is_public_address(text: str) -> bool:
    """Tell whether an address is globally routable; IPv6 wrappers of IPv4 count as IPv4.

    >>> is_public_address("93.184.215.14"), is_public_address("::ffff:127.0.0.1")
    (True, False)
    """
    try:
        address: IPv4Address | IPv6Address = ip_address(text)
    except ValueError:
        return False
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address in _NAT64:
            address = IPv4Address(int(address) & 0xFFFFFFFF)
    return address.is_global and not address.is_multicast


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system, as a connection would (one address each, in order)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PageFetcher:
    """Fetches pages of configured sites under the SSRF rules; share one per app."""

    def __init__(
        self,
        *,
        max_bytes: int = 2_000_000,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        max_redirects: int = 5,
        transport: httpx2.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self._timeouts = httpx2.Timeout(timeout, connect=min(connect_timeout, timeout)).as_dict()
        self._resolve = resolver or system_resolver
        # The transport, not a client: no cookie jar, no proxies from the environment, no
        # redirects of its own. No kept-alive connections either: the pool knows connections
        # by IP address, and one verified for one host name must not serve another.
        self._transport = transport or httpx2.AsyncHTTPTransport(
            limits=httpx2.Limits(max_keepalive_connections=0)
        )

    async def __aenter__(self) -> PageFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._transport.aclose()

    async def fetch(
        self,
        url: str,
        site: Site,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchedPage:
        """Fetch the page ``url`` of ``site``; with ``etag``/``last_modified``, only if changed.

        Raises :class:`SourceNotAllowed`, :class:`SourceUnreachable`, :class:`SourceTooLarge`,
        :class:`SourceNotHtml` or :class:`SourceTimeout`.
        """
        body = await self._get(url, site, HTML_TYPES, etag, last_modified)
        if body.not_modified:
            validators = (body.etag or etag, body.last_modified or last_modified)
            return FetchedPage(body.url, "", *validators, not_modified=True)
        html = body.content.decode(_encoding(body.charset), errors="replace")
        return FetchedPage(body.url, html.removeprefix("\ufeff"), body.etag, body.last_modified)

    async def fetch_resource(
        self, url: str, site: Site, types: tuple[str, ...]
    ) -> tuple[bytes, str]:
        """Fetch a file the page uses (e.g. an image) by the same rules: its bytes and type.

        ``types`` are media types, or prefixes ending in ``/`` (``("image/",)``); another type
        raises :class:`SourceNotHtml`, the other errors are those of :meth:`fetch`.
        """
        body = await self._get(url, site, types, None, None)
        return body.content, body.media_type

    async def _get(
        self,
        url: str,
        site: Site,
        types: tuple[str, ...],
        etag: str | None,
        last_modified: str | None,
    ) -> _Body:
        first = _target(url, site)
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(first, site, types, etag, last_modified)
        except TimeoutError as exc:
            raise SourceTimeout(first.netloc) from exc

    async def _follow(
        self,
        target: _Target,
        site: Site,
        types: tuple[str, ...],
        etag: str | None,
        last_modified: str | None,
    ) -> _Body:
        """Follow redirects by hand, each target checked like the first."""
        headers = {
            "User-Agent": f"sharekit/{__version__} (print view)",
            "Accept": ", ".join(f"{t}*" if t.endswith("/") else t for t in types),
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.max_redirects + 1):
            headers["Host"] = target.netloc
            response = await self._request(target, headers)
            try:
                if response.status_code not in REDIRECTS:
                    return await self._read(target, response, types, etag or last_modified)
                location = response.headers.get("location")
            finally:
                await response.aclose()
            if not location:
                raise SourceUnreachable(target.netloc, _STATUS, status=response.status_code)
            target = _target(urljoin(target.url, location.strip()), site)
        raise SourceUnreachable(
            target.netloc, N_("The page at %(host)s redirects too many times.")
        )

    async def _addresses(self, target: _Target) -> list[str]:
        """The addresses to connect to: all public, unless the origin is configured as local."""
        if _is_literal(target.host):
            return [target.host]  # on the site's origins, so local by configuration
        try:
            addresses = await self._resolve(target.host, target.port)
        except OSError as exc:
            raise SourceUnreachable(target.netloc) from exc
        if not addresses:
            raise SourceUnreachable(target.netloc)
        if target.host != "localhost" and not all(map(is_public_address, addresses)):
            logger.warning("print: %s resolves to a non-public address; refused", target.host)
            raise SourceNotAllowed(_PRIVATE)
        return addresses

    async def _request(self, target: _Target, headers: dict[str, str]) -> httpx2.Response:
        """Ask the checked addresses in turn, under the real host name (no second look-up)."""
        extensions: dict[str, Any] = {"timeout": self._timeouts}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        addresses = await self._addresses(target)
        for index, address in enumerate(addresses):
            try:
                request = httpx2.Request(
                    "GET", target.with_address(address), headers=headers, extensions=extensions
                )
                return await self._transport.handle_async_request(request)
            except httpx2.ConnectError as exc:
                if index + 1 < len(addresses):
                    continue
                raise SourceUnreachable(target.netloc) from exc
            except httpx2.TimeoutException as exc:
                raise SourceTimeout(target.netloc) from exc
            except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
                raise SourceUnreachable(target.netloc) from exc
        raise AssertionError("unreachable: there is at least one address")

    async def _read(
        self,
        target: _Target,
        response: httpx2.Response,
        types: tuple[str, ...],
        conditional: str | None,
    ) -> _Body:
        """A body of a wanted type (or a 304 to a conditional request), read up to the cap."""
        status = response.status_code
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        body = _Body(
            url=target.url,
            media_type=media_type,
            charset=response.charset_encoding,
            etag=response.headers.get("etag") or None,
            last_modified=response.headers.get("last-modified") or None,
        )
        if status == 304 and conditional:
            return dataclasses.replace(body, not_modified=True)
        if not 200 <= status < 300:
            raise SourceUnreachable(target.netloc, _STATUS, status=status)
        if not any(
            media_type == t or (t.endswith("/") and media_type.startswith(t)) for t in types
        ):
            raise SourceNotHtml(target.netloc)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise SourceTooLarge(target.netloc)
        content = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > self.max_bytes:
                    raise SourceTooLarge(target.netloc)
        except httpx2.TimeoutException as exc:
            raise SourceTimeout(target.netloc) from exc
        except httpx2.HTTPError as exc:
            raise SourceUnreachable(target.netloc) from exc
        return dataclasses.replace(body, content=bytes(content))


def _encoding(charset: str | None) -> str:
    """The response's charset if Python knows it, else UTF-8."""
    if charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"
