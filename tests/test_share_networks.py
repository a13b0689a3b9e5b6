from __future__ import annotations

import re
from typing import get_args
from urllib.parse import parse_qs, urlsplit

import pytest

from sharekit.share.custom import custom_network
from sharekit.share.fediverse import (
    FEDIVERSE_SOFTWARE,
    FEDIVERSE_SOURCES,
    fediverse_share_url,
    validate_fediverse_server,
)
from sharekit.share.networks import (
    NETWORKS,
    PAGE_FIELDS,
    Action,
    Network,
    Page,
    query_url,
)

URL = "https://blog.example/2026/über-uns?x=1&y=2#teil-2"
TITLE = 'Grüße & "Zitate" #1? 100% 😀'
TEXT = "Zeile 1\nZeile 2: a+b=c, ä/ö"
MEDIA = "https://blog.example/bilder/grüße 1.jpg?w=800&h=600"
PAGE = Page(url=URL, title=TITLE, text=TEXT, media=MEDIA)

# The same values percent-encoded, written out by hand (UTF-8 bytes, %20 for spaces).
U = "https%3A%2F%2Fblog.example%2F2026%2F%C3%BCber-uns%3Fx%3D1%26y%3D2%23teil-2"
T = "Gr%C3%BC%C3%9Fe%20%26%20%22Zitate%22%20%231%3F%20100%25%20%F0%9F%98%80"
X = "Zeile%201%0AZeile%202%3A%20a%2Bb%3Dc%2C%20%C3%A4%2F%C3%B6"
M = "https%3A%2F%2Fblog.example%2Fbilder%2Fgr%C3%BC%C3%9Fe%201.jpg%3Fw%3D800%26h%3D600"

ORDER = [
    "facebook", "x", "linkedin", "xing", "whatsapp", "telegram", "threema", "mastodon",
    "bluesky", "threads", "pinterest", "reddit", "tumblr", "flipboard", "hackernews", "vk",
    "weibo", "buffer", "diaspora", "teams", "email", "sms", "copy", "native", "print", "info",
]  # fmt: skip

# network: (exact URL for PAGE, {query parameter: the Page fields its value is made of})
EXPECTED: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "facebook": (f"https://www.facebook.com/sharer/sharer.php?u={U}", {"u": ("url",)}),
    "x": (
        f"https://x.com/intent/tweet?text={T}&url={U}",
        {"text": ("title",), "url": ("url",)},
    ),
    "linkedin": (f"https://www.linkedin.com/sharing/share-offsite/?url={U}", {"url": ("url",)}),
    "xing": (f"https://www.xing.com/spi/shares/new?url={U}", {"url": ("url",)}),
    "whatsapp": (f"https://wa.me/?text={T}%20{U}", {"text": ("title", "url")}),
    "telegram": (
        f"https://t.me/share/url?url={U}&text={T}",
        {"url": ("url",), "text": ("title",)},
    ),
    "threema": (f"https://go.threema.ch/compose?text={T}%20{U}", {"text": ("title", "url")}),
    "bluesky": (f"https://bsky.app/intent/compose?text={T}%20{U}", {"text": ("title", "url")}),
    "threads": (
        f"https://www.threads.com/intent/post?text={T}&url={U}",
        {"text": ("title",), "url": ("url",)},
    ),
    "pinterest": (
        f"https://www.pinterest.com/pin/create/button/?url={U}&media={M}&description={T}",
        {"url": ("url",), "media": ("media",), "description": ("title",)},
    ),
    "reddit": (
        f"https://www.reddit.com/submit?url={U}&title={T}",
        {"url": ("url",), "title": ("title",)},
    ),
    "tumblr": (
        f"https://www.tumblr.com/widgets/share/tool?canonicalUrl={U}&title={T}&caption={X}",
        {"canonicalUrl": ("url",), "title": ("title",), "caption": ("text",)},
    ),
    "flipboard": (
        f"https://share.flipboard.com/bookmarklet/popout?v=2&title={T}&url={U}",
        {"v": (), "title": ("title",), "url": ("url",)},
    ),
    "hackernews": (
        f"https://news.ycombinator.com/submitlink?u={U}&t={T}",
        {"u": ("url",), "t": ("title",)},
    ),
    "vk": (
        f"https://vk.com/share.php?url={U}&title={T}&image={M}",
        {"url": ("url",), "title": ("title",), "image": ("media",)},
    ),
    "weibo": (
        f"https://service.weibo.com/share/share.php?url={U}&title={T}",
        {"url": ("url",), "title": ("title",)},
    ),
    "buffer": (
        f"https://buffer.com/add?text={T}&url={U}",
        {"text": ("title",), "url": ("url",)},
    ),
    "teams": (
        f"https://teams.microsoft.com/share?href={U}&msgText={T}",
        {"href": ("url",), "msgText": ("title",)},
    ),
    "email": (
        f"mailto:?subject={T}&body={X}%0D%0A%0D%0A{U}",
        {"subject": ("title",), "body": ("text", "url")},
    ),
    "sms": (f"sms:?&body={T}%20{U}", {"body": ("title", "url")}),
}

# How a value made of several fields is joined, per network.
SEPARATORS = {"email": "\r\n\r\n"}


def _query(url: str) -> dict[str, list[str]]:
    query = urlsplit(url).query
    if url.startswith("sms:?&"):  # the empty first field is the cross-platform trick
        query = query[1:]
    return parse_qs(query, keep_blank_values=True, strict_parsing=True)


def test_networks_in_order() -> None:
    assert list(NETWORKS) == ORDER
    assert all(key == network.key for key, network in NETWORKS.items())


@pytest.mark.parametrize("network", NETWORKS.values(), ids=list(NETWORKS))
def test_network_metadata(network: Network) -> None:
    assert network.label.strip() == network.label
    assert network.label
    assert re.fullmatch(r"#[0-9A-F]{6}", network.color)
    assert network.action in get_args(Action)
    assert set(network.sends) <= set(PAGE_FIELDS)
    assert list(network.sends) == [f for f in PAGE_FIELDS if f in network.sends]
    if network.external:
        assert network.source.startswith("https://")
        assert network.sends
    if network.source:
        assert urlsplit(network.source).scheme == "https"
    assert (network.build is not None) == (network.action in {"open", "mailto", "sms"})
    if network.action == "fediverse":
        assert network.extra["software"] in FEDIVERSE_SOFTWARE


def test_every_builder_has_an_expected_url() -> None:
    assert set(EXPECTED) == {key for key, net in NETWORKS.items() if net.build is not None}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_exact_share_url(key: str) -> None:
    build = NETWORKS[key].build
    assert build is not None
    assert build(PAGE) == EXPECTED[key][0]


@pytest.mark.parametrize("key", list(EXPECTED))
def test_round_trip(key: str) -> None:
    build = NETWORKS[key].build
    assert build is not None
    params = EXPECTED[key][1]
    query = _query(build(PAGE))
    assert set(query) == set(params)
    for name, fields in params.items():
        assert len(query[name]) == 1
        if fields:
            sep = SEPARATORS.get(key, " ")
            assert query[name][0] == sep.join(getattr(PAGE, f) for f in fields)


@pytest.mark.parametrize("key", list(EXPECTED))
def test_sends_is_exactly_what_leaves(key: str) -> None:
    network = NETWORKS[key]
    assert network.build is not None
    used = {f for fields in EXPECTED[key][1].values() for f in fields}
    assert set(network.sends) == used
    built = network.build(PAGE)
    for name, encoded in (("url", U), ("title", T), ("text", X), ("media", M)):
        assert (encoded in built) == (name in network.sends), name


@pytest.mark.parametrize("key", list(EXPECTED))
def test_empty_fields_are_left_out(key: str) -> None:
    build = NETWORKS[key].build
    assert build is not None
    built = build(Page(url=URL))
    assert T not in built
    assert "%20%20" not in built
    values = [v for vs in _query(built).values() for v in vs]
    assert all(values)
    assert URL in values or any(v.endswith(URL) for v in values)


def test_page_url_with_query_and_fragment_survives() -> None:
    for key in EXPECTED:
        build = NETWORKS[key].build
        assert build is not None
        built = build(PAGE)
        assert urlsplit(built).fragment == ""
        assert "#teil-2" not in built
        assert any(URL in v for vs in _query(built).values() for v in vs)


def test_plus_is_never_a_space() -> None:
    for key in EXPECTED:
        build = NETWORKS[key].build
        assert build is not None
        assert "+" not in build(PAGE)


def test_email_without_text_has_only_the_url_in_the_body() -> None:
    build = NETWORKS["email"].build
    assert build is not None
    assert build(Page(url=URL, title="Hi")) == f"mailto:?subject=Hi&body={U}"


def test_query_url_drops_empty_values() -> None:
    assert query_url("https://a.example/s", a="", b="x y") == "https://a.example/s?b=x%20y"
    assert query_url("https://a.example/s", a="") == "https://a.example/s"


def test_page_with_text() -> None:
    assert PAGE.with_text("anders").text == "anders"
    assert PAGE.with_text("anders").url == URL


# Fediverse -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        ("Mastodon.Social", "mastodon.social"),
        ("https://Mastodon.Social/", "mastodon.social"),
        ("http://mastodon.social", "mastodon.social"),
        ("mastodon.social/", "mastodon.social"),
        ("HTTPS://mastodon.social", "mastodon.social"),
        ("  chaos.social  ", "chaos.social"),
        ("mastodon.social.", "mastodon.social"),
        ("https://mastodon.social./", "mastodon.social"),
        ("social.tchncs.de", "social.tchncs.de"),
        ("bücher.social", "xn--bcher-kva.social"),
        ("Bücher.Social", "xn--bcher-kva.social"),
        ("faß.de", "xn--fa-hia.de"),
        ("xn--bcher-kva.social", "xn--bcher-kva.social"),
        (
            "\uff4d\uff41\uff53\uff54\uff4f\uff44\uff4f\uff4e.social",
            "mastodon.social",
        ),  # fullwidth
        ("mastodon\uff0esocial", "mastodon.social"),  # fullwidth full stop
        ("my-pod.example.org", "my-pod.example.org"),
        ("a.b.c.d.social", "a.b.c.d.social"),
        ("1.social", "1.social"),
        ("mastodon.123abc", "mastodon.123abc"),
        (f"{'a' * 63}.social", f"{'a' * 63}.social"),
    ],
)
def test_valid_fediverse_servers(typed: str, host: str) -> None:
    assert validate_fediverse_server(typed) == host


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "https://",
        "https:///",
        ".",
        # IP literals, in every spelling a browser accepts
        "127.0.0.1",
        "https://127.0.0.1/",
        "10.0.0.1",
        "192.168.1.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "1.2.3.0x4",
        "mastodon.0x1f",
        "mastodon.social.1",
        "\uff11\uff12\uff17.\uff10.\uff10.\uff11",  # fullwidth digits
        "[::1]",
        "::1",
        "https://[::1]/",
        "[2001:db8::1]",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        # ports
        "mastodon.social:443",
        "https://mastodon.social:8443/",
        "mastodon.social:",
        # paths, queries, fragments
        "mastodon.social//",
        "https://mastodon.social//",
        "https://mastodon.social/share",
        "mastodon.social/@user",
        "https://mastodon.social/?x=1",
        "mastodon.social?x=1",
        "mastodon.social#top",
        "https:///mastodon.social",
        # user parts
        "@user@mastodon.social",
        "user@mastodon.social",
        "https://user:pw@mastodon.social/",
        "https://evil.example@mastodon.social",
        # schemes other than http(s)
        "javascript:alert(1)",
        "javascript://mastodon.social/%0aalert(1)",
        "ftp://mastodon.social",
        "data:text/html,hi",
        "web+mastodon://share",
        # spaces, control characters, invalid characters
        "mastodon social",
        "masto\ndon.social",
        "masto\tdon.social",
        "mastodon.social\x00",
        "mastodon_social.example.org",
        "mastodon!.social",
        "mastodon%2Esocial",
        "mastodon.social\\@evil.org",
        "-mastodon.social",
        "mastodon-.social",
        "mastodon..social",
        ".mastodon.social",
        "mastodon.social..",
        "*.mastodon.social",
        "xn--zz.social",
        "mastodon.💩",
        # single labels and reserved names
        "localhost",
        "intranet",
        "mastodon",
        "https://localhost/",
        "mastodon.localhost",
        "pod.local",
        "mastodon.internal",
        "mastodon.test",
        "mastodon.example",
        "mastodon.invalid",
        "abcdefghijklmnop.onion",
        "mastodon.alt",
        "router.home.arpa",
        "1.0.0.127.in-addr.arpa",
        "nas.lan",
        "server.corp",
        "MASTODON.LOCALHOST",
        # too long
        f"{'a' * 64}.social",
        ".".join(["a" * 60] * 5),
    ],
)
def test_invalid_fediverse_servers(typed: str) -> None:
    with pytest.raises(ValueError, match="server name"):
        validate_fediverse_server(typed)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("127.0.0.1", "IP address"),
        ("2130706433", "IP address"),
        ("mastodon.social:8443", "port"),
        ("mastodon.social/about", "path"),
        ("@me@mastodon.social", "User names"),
        ("localhost", "at least one dot"),
        ("pod.local", ".local"),
        ("javascript:alert(1)", "port"),
        ("ftp://mastodon.social", "https://"),
        ("mastodon social", "spaces"),
        ("", "empty"),
    ],
)
def test_fediverse_error_messages_say_why(typed: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        validate_fediverse_server(typed)


def test_fediverse_software_order_and_sources() -> None:
    assert next(iter(FEDIVERSE_SOFTWARE)) == "mastodon"
    assert list(FEDIVERSE_SOFTWARE) == ["mastodon", "misskey", "friendica", "hubzilla", "diaspora"]
    assert set(FEDIVERSE_SOURCES) == set(FEDIVERSE_SOFTWARE)
    assert all(src.startswith("https://") for src in FEDIVERSE_SOURCES.values())
    assert all(label for label, _build in FEDIVERSE_SOFTWARE.values())


@pytest.mark.parametrize(
    ("software", "expected", "params"),
    [
        (
            "mastodon",
            f"https://mastodon.social/share?text={T}%20{U}",
            {"text": f"{TITLE} {URL}"},
        ),
        (
            "misskey",
            f"https://mastodon.social/share?title={T}&url={U}",
            {"title": TITLE, "url": URL},
        ),
        (
            "friendica",
            f"https://mastodon.social/compose?title={T}&body={U}",
            {"title": TITLE, "body": URL},
        ),
        (
            "hubzilla",
            f"https://mastodon.social/rpost?title={T}&body={U}",
            {"title": TITLE, "body": URL},
        ),
        (
            "diaspora",
            f"https://mastodon.social/bookmarklet?url={U}&title={T}",
            {"url": URL, "title": TITLE},
        ),
    ],
)
def test_fediverse_share_urls(software: str, expected: str, params: dict[str, str]) -> None:
    built = fediverse_share_url("https://Mastodon.Social/", software, PAGE)
    assert built == expected
    assert {name: values[0] for name, values in _query(built).items()} == params
    assert X not in built
    assert M not in built


def test_fediverse_share_url_uses_the_punycode_host() -> None:
    built = fediverse_share_url("Bücher.Social", "mastodon", Page("https://blog.example/"))
    assert built == "https://xn--bcher-kva.social/share?text=https%3A%2F%2Fblog.example%2F"


def test_fediverse_unknown_software() -> None:
    with pytest.raises(KeyError, match="gnusocial"):
        fediverse_share_url("mastodon.social", "gnusocial", PAGE)


def test_fediverse_bad_server() -> None:
    with pytest.raises(ValueError, match="IP address"):
        fediverse_share_url("127.0.0.1", "mastodon", PAGE)


def test_fediverse_networks_send_url_and_title() -> None:
    for key in ("mastodon", "diaspora"):
        assert NETWORKS[key].sends == ("url", "title")
        assert NETWORKS[key].external


# Custom networks ---------------------------------------------------------------------


def test_custom_network_builds_and_encodes() -> None:
    net = custom_network(
        "lobsters", "Lobsters", "https://lobste.rs/stories/new?url={url}&title={title}", "#AC130D"
    )
    assert net.sends == ("url", "title")
    assert net.color == "#AC130D"
    assert net.action == "open"
    assert net.external
    assert net.build is not None
    assert net.build(PAGE) == f"https://lobste.rs/stories/new?url={U}&title={T}"


def test_custom_network_placeholders_in_path_and_order_of_sends() -> None:
    net = custom_network(
        "pics", "Pics", "https://pics.example.org/add/{media}?t={text}&u={url}", "#123abc"
    )
    assert net.sends == ("url", "text", "media")
    assert net.color == "#123ABC"
    assert net.build is not None
    assert net.build(PAGE) == f"https://pics.example.org/add/{M}?t={X}&u={U}"


def test_custom_network_literal_braces_and_no_placeholders() -> None:
    net = custom_network("plain", "Plain", "https://plain.example.org/{{x}}", "#000000")
    assert net.sends == ()
    assert net.build is not None
    assert net.build(PAGE) == "https://plain.example.org/{x}"


def test_custom_network_mailto() -> None:
    net = custom_network(
        "editor",
        "Tell the editor",
        "mailto:editor@blog.example?subject={title}&body={url}",
        "#445566",
        action="mailto",
    )
    assert net.sends == ("url", "title")
    assert not net.external
    assert net.build is not None
    assert net.build(PAGE) == f"mailto:editor@blog.example?subject={T}&body={U}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url_template": "http://share.example.org/?u={url}"}, "https:// or mailto:"),
        ({"url_template": "javascript:alert('{url}')"}, "https:// or mailto:"),
        ({"url_template": "//share.example.org/?u={url}"}, "https:// or mailto:"),
        ({"url_template": "HTTPS://share.example.org/?u={url}"}, "https:// or mailto:"),
        ({"url_template": "https://share.example.org/?u={link}"}, "{link}"),
        ({"url_template": "https://share.example.org/?u={url!r}"}, "{url}"),
        ({"url_template": "https://share.example.org/?u={url:>9}"}, "{url}"),
        ({"url_template": "https://share.example.org/?u={}"}, "placeholder"),
        ({"url_template": "https://share.example.org/?u={0}"}, "{0}"),
        ({"url_template": "https://share.example.org/?u={url.x}"}, "{url.x}"),
        ({"url_template": "https://share.example.org/?u={url"}, "unbalanced"),
        ({"url_template": "https://share.example.org/?u=url}"}, "unbalanced"),
        ({"url_template": "https://{url}/share"}, "fixed host"),
        ({"url_template": "https://{title}.example.org/"}, "fixed host"),
        ({"url_template": "https://share.{url}.example.org/"}, "fixed host"),
        ({"url_template": "https://share.example.org:{text}/"}, "fixed host"),
        ({"url_template": "https://{url}@share.example.org/"}, "fixed host"),
        ({"url_template": "https://evil.example@share.example.org/"}, "fixed host"),
        ({"url_template": "https://?u={url}"}, "fixed host"),
        ({"url_template": "https:///share?u={url}"}, "fixed host"),
        ({"url_template": "https://share.example.org\\{url}"}, "fixed host"),
        ({"url_template": "https://share.example.org/?u={url} x"}, "spaces"),
        ({"url_template": "mailto:{url}?subject=x"}, "recipient"),
        ({"url_template": "mailto:a@{title}?subject=x"}, "recipient"),
        ({"url_template": "mailto:?body={url}", "action": "open"}, "'mailto'"),
        ({"url_template": "https://share.example.org/?u={url}", "action": "mailto"}, "'open'"),
        ({"url_template": "https://share.example.org/?u={url}", "action": "sms"}, "'open'"),
        ({"key": "Lobsters"}, "must match"),
        ({"key": "-lobsters"}, "must match"),
        ({"key": "lob_sters"}, "must match"),
        ({"key": ""}, "must match"),
        ({"key": "a" * 33}, "must match"),
        ({"key": "mastodon"}, "built-in"),
        ({"key": "x"}, "built-in"),
        ({"label": "  "}, "label"),
        ({"color": "red"}, "#RRGGBB"),
        ({"color": "#12345"}, "#RRGGBB"),
        ({"color": "#1234567"}, "#RRGGBB"),
    ],
)
def test_custom_network_rejects(kwargs: dict[str, str], message: str) -> None:
    args = {
        "key": "mine",
        "label": "Mine",
        "url_template": "https://share.example.org/?u={url}",
        "color": "#123456",
        **kwargs,
    }
    with pytest.raises(ValueError, match=re.escape(message)):
        custom_network(**args)  # type: ignore[arg-type]
