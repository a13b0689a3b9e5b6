"""The print fetcher: only the site's own pages, at checked addresses, capped in size and time.

Most tests use ``MockTransport`` and a table resolver, so they see each request as it would
leave; the rest talk to a small HTTP server on 127.0.0.1 through the real transport.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from sharekit import Site
from sharekit.errors import HTTPError
from sharekit.printing import fetch
from sharekit.printing.fetch import (
    FetchedPage,
    PageFetcher,
    SourceNotAllowed,
    SourceNotHtml,
    SourceTimeout,
    SourceTooLarge,
    SourceUnreachable,
    is_public_address,
)

pytestmark = pytest.mark.anyio

BLOG = Site(key="blog", origins=["https://blog.example", "https://www.blog.example"])
PUBLIC = "93.184.215.14"
PUBLIC6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
HTML = "text/html; charset=utf-8"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Resolver:
    """A DNS stand-in: a fixed table, and a record of what was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


Handler = Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]


class MockSite:
    """A mock site: its handler answers, and every request it saw is kept."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx2.Request] = []
        self.transport = httpx2.MockTransport(self._handle)

    async def _handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        response = self.handler(request)
        return await response if isinstance(response, Awaitable) else response


def page(html: str = "<h1>Hello</h1>", status: int = 200, **headers: str) -> httpx2.Response:
    headers = {"content-type": HTML, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return httpx2.Response(status, headers=headers, content=html.encode("utf-8"))


def redirect(location: str, status: int = 302) -> httpx2.Response:
    return httpx2.Response(status, headers={"location": location})


def public_dns() -> Resolver:
    return Resolver({"blog.example": [PUBLIC], "www.blog.example": [PUBLIC6]})


@asynccontextmanager
async def fetcher_for(
    handler: Handler, resolver: Resolver | None = None, **limits: Any
) -> AsyncIterator[tuple[PageFetcher, MockSite]]:
    site = MockSite(handler)
    fetcher = PageFetcher(transport=site.transport, resolver=resolver or public_dns(), **limits)
    async with fetcher:
        yield fetcher, site


# --- allowed pages ------------------------------------------------------------------------


async def test_page_is_fetched_from_the_checked_address_under_its_real_name() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return page("<p>Grüße</p>", etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")

    async with fetcher_for(handler) as (fetcher, site):
        result = await fetcher.fetch("https://Blog.Example/post/1?x=1#top", BLOG)

    assert result == FetchedPage(
        url="https://Blog.Example/post/1?x=1",
        html="<p>Grüße</p>",
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
    )
    (request,) = site.requests
    assert str(request.url) == f"https://{PUBLIC}/post/1?x=1"
    assert request.headers["host"] == "blog.example"
    assert request.extensions["sni_hostname"] == "blog.example"
    assert request.headers["user-agent"].startswith("sharekit/")
    assert request.headers["accept"].startswith("text/html")
    assert "cookie" not in request.headers
    assert "if-none-match" not in request.headers


async def test_ipv6_address_and_port_are_kept() -> None:
    site = Site(key="v6", origins=["https://www.blog.example:8443"])
    async with fetcher_for(lambda request: page()) as (fetcher, mock):
        await fetcher.fetch("https://www.blog.example:8443/", site)
    (request,) = mock.requests
    assert request.url.host == PUBLIC6
    assert request.url.port == 8443
    assert request.headers["host"] == "www.blog.example:8443"


async def test_body_is_decoded_with_the_response_charset() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = "<p>café</p>".encode("iso-8859-1")
        return httpx2.Response(
            200, headers={"content-type": "text/html; charset=ISO-8859-1"}, content=body
        )

    async with fetcher_for(handler) as (fetcher, _):
        assert (await fetcher.fetch("https://blog.example/", BLOG)).html == "<p>café</p>"


async def test_xhtml_is_a_page_too() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return page("<html/>", content_type="application/xhtml+xml")

    async with fetcher_for(handler) as (fetcher, _):
        assert (await fetcher.fetch("https://blog.example/", BLOG)).html == "<html/>"


async def test_conditional_request_and_not_modified() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(304, headers={"etag": '"v1"'})

    async with fetcher_for(handler) as (fetcher, site):
        result = await fetcher.fetch(
            "https://blog.example/post",
            BLOG,
            etag='"v1"',
            last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        )
    assert result.not_modified
    assert result.html == ""
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert site.requests[0].headers["if-none-match"] == '"v1"'
    assert site.requests[0].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


async def test_not_modified_without_asking_is_an_error() -> None:
    async with fetcher_for(lambda request: httpx2.Response(304)) as (fetcher, _):
        with pytest.raises(SourceUnreachable) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert caught.value.params["status"] == 304


# --- refused addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "https://blog.example.evil.example/",
        "https://evil.example/?u=https://blog.example/",
        "http://blog.example/",  # not the configured scheme
        "https://blog.example:8443/",  # not the configured port
        "file:///etc/passwd",
        "data:text/html,<h1>hi</h1>",
        "javascript:alert(1)",
        "ftp://blog.example/",
        "https://user:secret@blog.example/",
        "//blog.example/",
        "/post",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://169.254.169.254/latest/meta-data/",
        f"https://{PUBLIC}/",
        "https://blog.example\\@evil.example/",
        " https://blog.example/",
    ],
)
async def test_addresses_off_the_site_are_refused_before_any_lookup(url: str) -> None:
    resolver = public_dns()
    async with fetcher_for(lambda request: page(), resolver) as (fetcher, site):
        with pytest.raises(SourceNotAllowed):
            await fetcher.fetch(url, BLOG)
    assert resolver.asked == []
    assert site.requests == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.1"],
        ["172.16.5.4"],
        ["192.168.1.1"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["224.0.0.1"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["::ffff:10.0.0.1"],
        ["2002:7f00:1::"],  # 6to4 around 127.0.0.1
        ["64:ff9b::a00:1"],  # NAT64 around 10.0.0.1
        ["fd00::1"],
        ["fe80::1"],
        [PUBLIC, "127.0.0.1"],  # every address must be public, not only the first
    ],
)
async def test_names_resolving_to_private_addresses_are_refused(addresses: list[str]) -> None:
    resolver = Resolver({"blog.example": addresses})
    async with fetcher_for(lambda request: page(), resolver) as (fetcher, site):
        with pytest.raises(SourceNotAllowed) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert "private network" in caught.value.message
    assert site.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        (PUBLIC6, True),
        (f"::ffff:{PUBLIC}", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 around the public address
        ("127.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("239.1.2.3", False),
        ("not an address", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    ("origin", "url"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/post"),
        ("http://[::1]:8000", "http://[::1]:8000/post"),
        ("http://localhost:8000", "http://localhost:8000/post"),
    ],
)
async def test_a_configured_local_origin_may_be_local(origin: str, url: str) -> None:
    resolver = Resolver({"localhost": ["::1", "127.0.0.1"]})
    local = Site(key="demo", origins=[origin])
    async with fetcher_for(lambda request: page(), resolver) as (fetcher, site):
        result = await fetcher.fetch(url, local)
    assert result.html == "<h1>Hello</h1>"
    (request,) = site.requests
    assert request.url.host in {"127.0.0.1", "::1"}
    assert request.url.port == 8000
    assert request.headers["host"] == origin.split("://")[1]
    assert "sni_hostname" not in request.extensions  # plain http


async def test_unknown_name_is_unreachable() -> None:
    async with fetcher_for(lambda request: page(), Resolver({})) as (fetcher, _):
        with pytest.raises(SourceUnreachable) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert caught.value.params == {"host": "blog.example"}


async def test_next_address_is_tried_when_one_cannot_connect() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.host == PUBLIC6:
            raise httpx2.ConnectError("Network is unreachable")
        return page()

    resolver = Resolver({"blog.example": [PUBLIC6, PUBLIC]})
    async with fetcher_for(handler, resolver) as (fetcher, site):
        await fetcher.fetch("https://blog.example/", BLOG)
    assert [request.url.host for request in site.requests] == [PUBLIC6, PUBLIC]


async def test_no_address_connects() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("Connection refused")

    async with fetcher_for(handler) as (fetcher, _):
        with pytest.raises(SourceUnreachable):
            await fetcher.fetch("https://blog.example/", BLOG)


# --- redirects ------------------------------------------------------------------------------


async def test_redirects_within_the_site_are_followed_and_checked_again() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/old":
            return redirect("/new?page=2", 301)
        if request.url.path == "/new":
            return redirect("https://www.blog.example/final", 308)
        return page(set_cookie="session=abc")

    async with fetcher_for(handler) as (fetcher, site):
        result = await fetcher.fetch("https://blog.example/old", BLOG)
    assert result.url == "https://www.blog.example/final"
    hosts = [(r.url.host, r.headers["host"], r.url.raw_path) for r in site.requests]
    assert hosts == [
        (PUBLIC, "blog.example", b"/old"),
        (PUBLIC, "blog.example", b"/new?page=2"),
        (PUBLIC6, "www.blog.example", b"/final"),
    ]
    assert site.requests[2].extensions["sni_hostname"] == "www.blog.example"


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/",
        "//evil.example/steal",
        "http://blog.example/",  # a downgrade is another origin
        "http://169.254.169.254/latest/meta-data/",
        f"https://{PUBLIC}/",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
async def test_open_redirect_on_the_site_is_not_followed(location: str) -> None:
    async with fetcher_for(lambda request: redirect(location)) as (fetcher, site):
        with pytest.raises(SourceNotAllowed):
            await fetcher.fetch("https://blog.example/out?to=elsewhere", BLOG)
    assert len(site.requests) == 1


async def test_cookies_set_by_the_site_are_not_sent_back() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/":
            return httpx2.Response(
                302, headers={"location": "/next", "set-cookie": "sid=1; Path=/"}
            )
        return page()

    async with fetcher_for(handler) as (fetcher, site):
        await fetcher.fetch("https://blog.example/", BLOG)
        await fetcher.fetch("https://blog.example/next", BLOG)
    assert all("cookie" not in request.headers for request in site.requests)


async def test_too_many_redirects() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return redirect(f"/loop{len(site.requests)}")

    async with fetcher_for(handler, max_redirects=3) as (fetcher, site):
        with pytest.raises(SourceUnreachable) as caught:
            await fetcher.fetch("https://blog.example/loop", BLOG)
    assert "redirects too many times" in caught.value.message
    assert len(site.requests) == 4


async def test_redirect_without_location() -> None:
    async with fetcher_for(lambda request: httpx2.Response(302)) as (fetcher, _):
        with pytest.raises(SourceUnreachable) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert caught.value.params["status"] == 302


# --- what comes back ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 503])
async def test_error_status_is_named(status: int) -> None:
    async with fetcher_for(lambda request: page(status=status)) as (fetcher, _):
        with pytest.raises(SourceUnreachable) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert caught.value.status_code == 502
    assert str(status) in str(caught.value)


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "image/svg+xml", "text/plain", "text/htmlx", ""]
)
async def test_other_content_types_are_refused(content_type: str) -> None:
    async with fetcher_for(lambda request: page(content_type=content_type)) as (fetcher, _):
        with pytest.raises(SourceNotHtml):
            await fetcher.fetch("https://blog.example/file", BLOG)


class Endless(httpx2.AsyncByteStream):
    """A body that never ends, and tells how much of it was read."""

    def __init__(self) -> None:
        self.chunks = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.chunks += 1
            yield b"x" * 65536

    async def aclose(self) -> None:
        self.closed = True


async def test_content_length_over_the_cap_is_refused_before_reading() -> None:
    body = Endless()

    def handler(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": HTML, "content-length": "5000000"}
        return httpx2.Response(200, headers=headers, stream=body)

    async with fetcher_for(handler, max_bytes=1_000_000) as (fetcher, _):
        with pytest.raises(SourceTooLarge):
            await fetcher.fetch("https://blog.example/", BLOG)
    assert body.chunks == 0
    assert body.closed


async def test_endless_body_is_cut_at_the_cap() -> None:
    body = Endless()

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": HTML}, stream=body)

    async with fetcher_for(handler, max_bytes=200_000) as (fetcher, _):
        with pytest.raises(SourceTooLarge) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert body.chunks == 4  # 4 * 65536 is the first count over 200_000
    assert body.closed
    assert caught.value.status_code == 502


async def test_slow_source_ends_within_the_timeout() -> None:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(30)
        return page()

    async with fetcher_for(handler, timeout=0.2) as (fetcher, _):
        started = time.monotonic()
        with pytest.raises(SourceTimeout) as caught:
            await fetcher.fetch("https://blog.example/", BLOG)
    assert time.monotonic() - started < 1
    assert caught.value.status_code == 504


async def test_transport_timeout_is_a_timeout() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectTimeout("timed out")

    async with fetcher_for(handler) as (fetcher, _):
        with pytest.raises(SourceTimeout):
            await fetcher.fetch("https://blog.example/", BLOG)


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc

    return handler


Q = "https://blog.example/?token=SECRET"


@pytest.mark.parametrize(
    ("url", "handler", "resolver"),
    [
        ("https://evil.example/?token=SECRET", lambda r: page(), None),
        (Q, lambda r: page(), Resolver({"blog.example": ["10.0.0.1"]})),
        (Q, lambda r: page(status=500), None),
        (Q, lambda r: page(content_type="image/png"), None),
        (Q, lambda r: page("x" * 200), None),
        (Q, lambda r: redirect("https://evil.example/?SECRET"), None),
        (Q, lambda r: redirect(r.url.raw_path.decode()), None),
        (Q, _raise(httpx2.ReadTimeout("SECRET")), None),
        (Q, _raise(httpx2.ConnectError("SECRET")), None),
        (Q, _raise(httpx2.RemoteProtocolError("SECRET")), None),
    ],
)
async def test_messages_never_show_the_query(
    url: str, handler: Handler, resolver: Resolver | None
) -> None:
    async with fetcher_for(handler, resolver, max_bytes=100) as (fetcher, _):
        with pytest.raises(HTTPError) as caught:
            await fetcher.fetch(url, BLOG)
    error = caught.value
    shown = error.message % error.params if error.params else error.message
    assert "SECRET" not in shown
    assert "SECRET" not in str(error)


# --- a real server on loopback --------------------------------------------------------------

Respond = Callable[[asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serve(
    respond: Respond, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A one-response-per-connection HTTP server on 127.0.0.1; yields its port and the heads."""
    heads: list[bytes] = []
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            await respond(writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1], heads
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def html_page(writer: asyncio.StreamWriter) -> None:
    body = b"<h1>Local</h1>"
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b'ETag: "local"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(body), body)
    )
    await writer.drain()


async def headers_then_stall(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n<p>")
    await writer.drain()
    await asyncio.Event().wait()


async def silence(writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


async def endless_chunks(writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 16384
    while True:
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()


async def test_real_server_on_a_local_origin() -> None:
    async with serve(html_page) as (port, heads), PageFetcher() as fetcher:
        local = Site(key="demo", origins=[f"http://127.0.0.1:{port}"])
        result = await fetcher.fetch(f"http://127.0.0.1:{port}/post?id=7", local)
    assert result.html == "<h1>Local</h1>"
    assert result.etag == '"local"'
    request_line, *header_lines = heads[0].decode("latin-1").split("\r\n")
    assert request_line == "GET /post?id=7 HTTP/1.1"
    assert f"Host: 127.0.0.1:{port}" in header_lines


async def test_real_server_by_the_name_localhost() -> None:
    # localhost may resolve to ::1 first, where nothing listens: the next address is tried.
    async with serve(html_page) as (port, _), PageFetcher() as fetcher:
        local = Site(key="demo", origins=[f"http://localhost:{port}"])
        result = await fetcher.fetch(f"http://localhost:{port}/", local)
    assert result.html == "<h1>Local</h1>"


async def test_real_server_not_reached_through_a_name_for_a_public_site() -> None:
    async with serve(html_page) as (port, heads):
        site = Site(key="blog", origins=[f"http://blog.example:{port}"])
        resolver = Resolver({"blog.example": ["127.0.0.1"]})
        async with PageFetcher(resolver=resolver) as fetcher:
            with pytest.raises(SourceNotAllowed):
                await fetcher.fetch(f"http://blog.example:{port}/", site)
    assert heads == []


@pytest.mark.parametrize("respond", [headers_then_stall, silence])
async def test_real_slow_server_times_out(respond: Respond) -> None:
    async with serve(respond) as (port, _), PageFetcher(timeout=0.5) as fetcher:
        local = Site(key="demo", origins=[f"http://127.0.0.1:{port}"])
        started = time.monotonic()
        with pytest.raises(SourceTimeout) as caught:
            await fetcher.fetch(f"http://127.0.0.1:{port}/", local)
    assert time.monotonic() - started < 2
    assert caught.value.params == {"host": f"127.0.0.1:{port}"}


async def test_real_endless_body_is_cut() -> None:
    async with serve(endless_chunks) as (port, _), PageFetcher(max_bytes=100_000) as fetcher:
        local = Site(key="demo", origins=[f"http://127.0.0.1:{port}"])
        with pytest.raises(SourceTooLarge):
            await fetcher.fetch(f"http://127.0.0.1:{port}/", local)


async def test_tls_is_verified_for_the_site_name_not_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("blog.example").configure_cert(server_tls)
    names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, context: names.append(name)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    # Loopback stands in for the site's public address here.
    monkeypatch.setattr(fetch, "is_public_address", lambda address: True)
    resolver = Resolver({"blog.example": ["127.0.0.1"], "www.blog.example": ["127.0.0.1"]})

    async with serve(html_page, tls=server_tls) as (port, heads):
        origins = [f"https://blog.example:{port}", f"https://www.blog.example:{port}"]
        site = Site(key="blog", origins=origins)
        transport = httpx2.AsyncHTTPTransport(verify=client_tls)
        async with PageFetcher(transport=transport, resolver=resolver) as fetcher:
            result = await fetcher.fetch(f"https://blog.example:{port}/", site)
            with pytest.raises(SourceUnreachable):  # the certificate is not for this name
                await fetcher.fetch(f"https://www.blog.example:{port}/", site)
    assert result.html == "<h1>Local</h1>"
    assert names == ["blog.example", "www.blog.example"]
    assert f"Host: blog.example:{port}" in heads[0].decode("latin-1").split("\r\n")


# --- files the page uses ------------------------------------------------------------------


async def test_resource_is_fetched_by_the_same_rules() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/img":
            return redirect("/pic.png")
        return httpx2.Response(200, headers={"content-type": "image/png"}, content=b"\x89PNG")

    async with fetcher_for(handler) as (fetcher, site):
        found = await fetcher.fetch_resource("https://blog.example/img", BLOG, ("image/",))
        with pytest.raises(SourceNotAllowed):
            await fetcher.fetch_resource("https://cdn.example/pic.png", BLOG, ("image/",))
    assert found == (b"\x89PNG", "image/png")
    assert site.requests[0].headers["accept"] == "image/*"
    assert [request.headers["host"] for request in site.requests] == ["blog.example"] * 2


async def test_resource_of_another_type_is_refused() -> None:
    async with fetcher_for(lambda request: page()) as (fetcher, _):
        with pytest.raises(SourceNotHtml):
            await fetcher.fetch_resource("https://blog.example/pic.png", BLOG, ("image/",))
