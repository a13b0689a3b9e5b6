"""The share routes through the real app: consent page, redirect, fediverse, fragment, counts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.share.networks import NETWORKS, Page

URL = "https://blog.example/2026/über-uns?x=1&y=2#teil-2"
TITLE = "Grüße & \"Zitate\" 'einfach' #1? 100% 😀"
TEXT = "Kurz & gut: ä/ö, a+b=c"
MEDIA = "https://blog.example/bilder/grüße 1.jpg?w=800"
OTHER_URL = "http://other.example:8080/x"

NOT_ON_SITE = "This address is not a page of a site that uses this service."
LOCAL_ONLY = "This button works in your browser; there is nothing to send."
SERVER_ERROR = (
    "Please enter the address of your server, like mastodon.social, without https:// or a path."
)

OPEN = [key for key, network in NETWORKS.items() if network.action == "open"]
LOCAL = [key for key, network in NETWORKS.items() if network.action in {"copy", "native", "print"}]
EN = {"accept-language": "en"}

# Page addresses that are not on a configured site origin: each must be refused, never followed.
OFF_SITE = [
    "//evil.example",
    "//blog.example/",
    "https://evil.example@blog.example/",
    "https://blog.example@evil.example/",
    "https:/\\evil.example",
    "https:\\\\evil.example",
    "https://blog.example\\@evil.example/",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "javascript://blog.example/%0aalert(1)",
    "data:text/html,x",
    "HTTPS://EVIL.EXAMPLE/",
    "https://%65vil.example/",
    "https://blog.example%2eevil.example/",
    "https://bl\u043eg.example/",  # Cyrillic o, an IDN look-alike
    "https://xn--blg-ted.example/",  # the same look-alike in punycode
    "https://xn--blg-9cd.example/",
    "https://blog.example:8443/",
    "http://blog.example/",
    "ftp://blog.example/",
    "https://blog.example.evil.example/",
    "https://evil.example/?https://blog.example/",
    "https://evil.example/#https://blog.example/",
    "http://other.example/x",  # the other site's host on its default port
    "https://other.example:8080/x",  # the other site's port with another scheme
    "/relative/path",
    "blog.example/post",
    "https://blog.exam\u200ble/",
]

# Malformed requests: refused before the origin check, each with its own message.
MALFORMED = [
    pytest.param({"url": ""}, "The address of the page to share is missing", id="empty-url"),
    pytest.param({"title": "T"}, "The address of the page to share is missing", id="missing-url"),
    pytest.param(
        {"url": "https://blog.example/" + "a" * 2100},
        "The address of the page to share is missing or too long.",
        id="long-url",
    ),
    pytest.param(
        {"url": "https://blog.example/ok", "media": "https://evil.example/x.jpg"},
        "The image must be on the same site as the page.",
        id="media-on-another-host",
    ),
    pytest.param(
        {"url": "https://blog.example/ok", "media": "javascript:alert(1)"},
        "The image must be on the same site as the page.",
        id="media-javascript",
    ),
    pytest.param(
        {"url": "https://blog.example/ok", "title": "a\u0000b"},
        "The title of the page is too long or contains control characters.",
        id="title-with-nul",
    ),
    pytest.param(
        {"url": "https://blog.example/ok", "title": "x" * 301},
        "The title of the page is too long or contains control characters.",
        id="long-title",
    ),
]
CONTROL = [
    pytest.param("https://blog.example/\r\nLocation: https://evil.example/", id="crlf"),
    pytest.param("https://blog.example/\nx", id="lf"),
    pytest.param("https://blog.example/\rx", id="cr"),
    pytest.param("https://blog.example/\tx", id="tab"),
]


class _Tags(HTMLParser):
    """Every start tag of a page with its (unescaped) attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def tags(html: str, name: str) -> list[dict[str, str | None]]:
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.found if tag == name]


def hidden_fields(html: str) -> dict[str, str | None]:
    return {i["name"] or "": i["value"] for i in tags(html, "input") if i.get("type") == "hidden"}


def form_action(response: httpx.Response) -> set[str]:
    csp = response.headers["content-security-policy"]
    (directive,) = [d.strip() for d in csp.split(";") if d.strip().startswith("form-action ")]
    return set(directive.split()[1:])


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def assert_refused(response: httpx.Response, message: str | None = NOT_ON_SITE) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    if message is not None:
        assert message in response.text


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """Like conftest's client, but a redirect is answered, never followed to another host."""
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


# Consent page ---------------------------------------------------------------------------


def test_consent_page(client: TestClient) -> None:
    response = client.get("/share/bluesky", params={"url": URL, "title": TITLE}, headers=EN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in response.text
    assert "<h1>Share on Bluesky</h1>" in response.text


@pytest.mark.parametrize(
    ("url", "params", "headers", "notice"),
    [
        (URL, {}, EN, "Sharing sends the address and title of this page to Bluesky."),
        (URL, {"lang": "en"}, {}, "Sharing sends the address and title of this page to Bluesky."),
        (URL, {}, {"accept-language": "de"}, "Teilen sendet die Adresse und den Titel"),
        (URL, {"lang": "de"}, EN, "Teilen sendet die Adresse und den Titel dieser Seite an"),
        (URL, {}, {}, "Teilen sendet die Adresse und den Titel"),  # the blog speaks German
        (OTHER_URL, {}, {}, "Sharing sends the address and title of this page to Bluesky."),
        (OTHER_URL, {}, {"accept-language": "de-DE,de;q=0.9"}, "Teilen sendet die Adresse"),
    ],
)
def test_consent_notice_says_who_gets_what(
    client: TestClient, url: str, params: dict[str, str], headers: dict[str, str], notice: str
) -> None:
    query = {"url": url, "title": "Hallo", **params}
    response = client.get("/share/bluesky", params=query, headers=headers)
    assert response.status_code == 200
    assert notice in response.text
    ending = "Nothing has been sent yet." if "Sharing" in notice else "Bisher wurde nichts"
    assert ending in response.text


@pytest.mark.parametrize(
    ("key", "query", "notice"),
    [
        ("bluesky", {}, "Sharing sends the address of this page to Bluesky."),
        ("facebook", {"title": "T"}, "Sharing sends the address of this page to Facebook."),
        ("tumblr", {"title": "T", "text": "S"}, "address, title and summary of this page"),
        ("pinterest", {"title": "T", "media": MEDIA}, "address, title and image of this page"),
        ("mastodon", {"title": "T"}, "to the Mastodon or fediverse server you choose."),
        ("diaspora", {"title": "T"}, "to the diaspora* pod you choose."),
    ],
)
def test_consent_notice_follows_the_page_and_network(
    client: TestClient, key: str, query: dict[str, str], notice: str
) -> None:
    response = client.get(f"/share/{key}", params={"url": URL, **query}, headers=EN)
    assert notice in response.text


@pytest.mark.parametrize(
    ("headers", "button"),
    [(EN, "Share on Bluesky"), ({"accept-language": "de"}, "Auf Bluesky teilen")],
)
def test_consent_page_has_a_share_button(
    client: TestClient, headers: dict[str, str], button: str
) -> None:
    response = client.get("/share/bluesky", params={"url": URL, "title": TITLE}, headers=headers)
    (form,) = tags(response.text, "form")
    assert form["method"] == "post"
    assert "action" not in form  # posts back to this address, query (lang) included
    assert f'<button class="sk-page__button" type="submit">{button}</button>' in response.text


@pytest.mark.parametrize("url", [URL, OTHER_URL, "https://blog.example/?a=1&b=\"'<>"])
def test_consent_page_links_back_to_the_page(client: TestClient, url: str) -> None:
    response = client.get("/share/bluesky", params={"url": url}, headers=EN)
    links = tags(response.text, "a")
    assert [a["href"] for a in links] == [url]
    assert "Back to the page" in response.text


def test_consent_page_keeps_every_field_for_the_second_click(client: TestClient) -> None:
    query = {"url": URL, "title": TITLE, "text": TEXT, "media": MEDIA}
    response = client.get("/share/pinterest", params=query, headers=EN)
    assert hidden_fields(response.text) == {**query, "lang": "en"}


def test_consent_page_escapes_the_title(client: TestClient) -> None:
    title = '"><script>alert(1)</script>'
    response = client.get("/share/bluesky", params={"url": URL, "title": title})
    assert "<script>" not in response.text
    assert hidden_fields(response.text)["title"] == title


@pytest.mark.parametrize("key", OPEN)
def test_consent_csp_allows_only_the_networks_origin(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL, "title": TITLE})
    build = NETWORKS[key].build
    assert build is not None
    expected = origin(build(Page(url=URL, title=TITLE)))
    assert expected.startswith("https://")
    assert form_action(response) == {"'self'", expected}


@pytest.mark.parametrize("key", ["bluesky", "mastodon", "email", "copy"])
def test_consent_page_is_not_stored_and_sets_no_cookie(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL, "title": TITLE})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    assert (
        "frame-ancestors 'self' http://other.example:8080 https://blog.example"
        in (response.headers["content-security-policy"])
    )


@pytest.mark.parametrize("key", ["email", "sms", "copy", "native"])
def test_consent_page_of_a_local_button_allows_no_other_form_target(
    client: TestClient, key: str
) -> None:
    response = client.get(f"/share/{key}", params={"url": URL, "title": TITLE}, headers=EN)
    assert response.status_code == 200
    assert form_action(response) == {"'self'"}
    assert "Sharing sends" not in response.text


def test_print_without_javascript_leads_to_the_print_view(client: TestClient) -> None:
    response = client.get(
        "/share/print", params={"url": URL, "title": TITLE, "lang": "de"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/print?" + urlencode({"url": URL, "lang": "de"})


@pytest.mark.parametrize("key", ["copy", "native"])
def test_copy_page_offers_the_address_to_copy(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL}, headers=EN)
    (field,) = [i for i in tags(response.text, "input") if i.get("id") == "sk-copy"]
    assert field["value"] == URL
    assert "readonly" in field


@pytest.mark.parametrize("key", ["email", "sms"])
def test_mail_page_opens_the_visitors_own_program(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL, "title": TITLE}, headers=EN)
    build = NETWORKS[key].build
    assert build is not None
    assert build(Page(url=URL, title=TITLE)) in [a["href"] for a in tags(response.text, "a")]


@pytest.mark.parametrize("key", ["nope", "BLUESKY", "myspace", "x" * 100])
def test_consent_page_of_an_unknown_network_is_404(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL}, headers=EN)
    assert response.status_code == 404
    assert "There is no share button called" in response.text


# Confirm: the second click without JavaScript --------------------------------------------


@pytest.mark.parametrize("key", OPEN)
def test_confirm_redirects_to_exactly_the_networks_share_url(client: TestClient, key: str) -> None:
    data = {"url": URL, "title": TITLE, "text": TEXT, "media": MEDIA}
    response = client.post(f"/share/{key}", data=data)
    assert response.status_code == 303
    build = NETWORKS[key].build
    assert build is not None
    assert response.headers["location"] == build(Page(**data))
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("key", ["bluesky", "x", "email", "sms"])
def test_confirm_with_url_only(client: TestClient, key: str) -> None:
    response = client.post(f"/share/{key}", data={"url": OTHER_URL})
    assert response.status_code == 303
    build = NETWORKS[key].build
    assert build is not None
    assert response.headers["location"] == build(Page(url=OTHER_URL))


def test_confirm_location_carries_the_values_percent_encoded(client: TestClient) -> None:
    data = {"url": URL, "title": TITLE}
    response = client.post("/share/bluesky", data=data)
    expected = "https://bsky.app/intent/compose?text=" + quote(f"{TITLE} {URL}", safe="")
    assert response.headers["location"] == expected
    assert "+" not in response.headers["location"]


def test_confirm_refuses_multipart_forms(client: TestClient) -> None:
    # The consent form and the script send URL-encoded forms; nothing else is read.
    files = {"url": (None, URL), "title": (None, TITLE)}
    response = client.post("/share/bluesky", files=files)
    assert response.status_code == 415
    assert "location" not in response.headers


def test_confirm_ignores_extra_fields(client: TestClient) -> None:
    data = {"url": URL, "lang": "de", "site": "other", "remember": "1"}
    response = client.post("/share/bluesky", data=data)
    assert response.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/json"},
        {"content-type": "text/plain"},
        {"content-type": "application/xml"},
        {"content-type": "application/x-www-form-urlencodedx"},
        {},
    ],
)
def test_confirm_refuses_other_content_types(client: TestClient, headers: dict[str, str]) -> None:
    body = urlencode({"url": URL}).encode()
    response = client.post("/share/bluesky", content=body, headers=headers)
    assert response.status_code == 415
    assert "location" not in response.headers


@pytest.mark.parametrize("field", ["url", "title", "server"])
def test_confirm_refuses_a_duplicated_field(client: TestClient, field: str) -> None:
    pairs = [("url", URL), ("title", "T"), ("server", "mastodon.social")]
    body = urlencode([*pairs, (field, "https://blog.example/zwei")])
    headers = {"content-type": "application/x-www-form-urlencoded", **EN}
    response = client.post("/share/mastodon", content=body, headers=headers)
    assert response.status_code == 400
    assert f"The field {field} was sent twice." in response.text


def test_confirm_refuses_invalid_utf8(client: TestClient) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded", **EN}
    body = b"url=https%3A%2F%2Fblog.example%2F&title=\xff\xfe"
    response = client.post("/share/bluesky", content=body, headers=headers)
    assert response.status_code == 400
    assert "location" not in response.headers


def _big_body() -> bytes:
    return urlencode({"url": URL, "junk": "x" * (17 * 1024)}).encode()


def test_confirm_refuses_a_body_over_16_kb(client: TestClient) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded", **EN}
    response = client.post("/share/bluesky", content=_big_body(), headers=headers)
    assert 400 <= response.status_code < 500
    assert "location" not in response.headers
    assert "The submitted data is too large." in response.text


def test_confirm_refuses_a_chunked_body_over_16_kb(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield _big_body()

    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/share/bluesky", content=chunks(), headers=headers)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"url=%ZZ&title=%ff"),
        ("application/x-www-form-urlencoded", b"\xff\xfe\x00"),
        ("application/x-www-form-urlencoded", b"&&&==&"),
        ("application/x-www-form-urlencoded", b""),
        ("application/x-www-form-urlencoded", "&".join(f"f{i}=1" for i in range(30)).encode()),
        ("multipart/form-data", b""),
        ("multipart/form-data; boundary=b", b"--b\r\nbroken"),
        ("multipart/form-data; boundary=b", b"--b--\r\n"),
    ],
)
def test_confirm_never_fails_with_500(client: TestClient, content_type: str, body: bytes) -> None:
    response = client.post("/share/bluesky", content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500
    assert "location" not in response.headers


def test_confirm_refuses_file_uploads(client: TestClient) -> None:
    files = {"url": (None, URL), "f": ("a.txt", b"hi", "text/plain")}
    response = client.post("/share/bluesky", files=files)
    assert response.status_code == 415


@pytest.mark.parametrize("key", ["nope", "myspace"])
def test_confirm_for_an_unknown_network_is_404(client: TestClient, key: str) -> None:
    response = client.post(f"/share/{key}", data={"url": URL}, headers=EN)
    assert response.status_code == 404
    assert f"There is no share button called {key}." in response.text


@pytest.mark.parametrize("key", [*LOCAL, "info"])
def test_confirm_for_a_browser_only_button_is_400(client: TestClient, key: str) -> None:
    response = client.post(f"/share/{key}", data={"url": URL}, headers=EN)
    assert_refused(response, LOCAL_ONLY)


def test_confirm_for_a_browser_only_button_in_german(client: TestClient) -> None:
    response = client.post("/share/copy", data={"url": URL}, headers={"accept-language": "de"})
    assert response.status_code == 400
    assert "Diese Schaltfläche funktioniert in Ihrem Browser" in response.text


def test_confirm_answers_json_when_asked(client: TestClient) -> None:
    response = client.post(
        "/share/bluesky",
        data={"url": "https://evil.example/"},
        headers={"accept": "application/json"},
    )
    assert response.json() == {"error": NOT_ON_SITE, "status": 400}


# No open redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("url", OFF_SITE)
def test_consent_refuses_pages_off_the_sites(client: TestClient, url: str) -> None:
    assert_refused(client.get("/share/bluesky", params={"url": url, "title": "T"}, headers=EN))


@pytest.mark.parametrize("key", ["bluesky", "facebook", "email", "mastodon"])
@pytest.mark.parametrize("url", OFF_SITE)
def test_confirm_refuses_pages_off_the_sites(client: TestClient, url: str, key: str) -> None:
    data = {"url": url, "title": "T", "server": "mastodon.social"}
    response = client.post(f"/share/{key}", data=data, headers=EN)
    assert_refused(response)


@pytest.mark.parametrize(("query", "message"), MALFORMED)
def test_consent_refuses_malformed_requests(
    client: TestClient, query: dict[str, str], message: str
) -> None:
    assert_refused(client.get("/share/bluesky", params=query, headers=EN), message)


@pytest.mark.parametrize(("query", "message"), MALFORMED)
def test_confirm_refuses_malformed_requests(
    client: TestClient, query: dict[str, str], message: str
) -> None:
    response = client.post("/share/bluesky", data=query, headers=EN)
    assert_refused(response, message)


@pytest.mark.parametrize("url", CONTROL)
def test_pages_with_control_characters_are_refused(client: TestClient, url: str) -> None:
    assert_refused(client.get("/share/bluesky", params={"url": url}), message=None)
    response = client.post("/share/bluesky", data={"url": url})
    assert_refused(response, message=None)


@pytest.mark.parametrize("url", CONTROL)
def test_pages_with_control_characters_get_the_not_on_site_message(
    client: TestClient, url: str
) -> None:
    assert_refused(client.get("/share/bluesky", params={"url": url}, headers=EN))


def test_refusal_in_german(client: TestClient) -> None:
    response = client.get(
        "/share/bluesky",
        params={"url": "https://evil.example/"},
        headers={"accept-language": "de"},
    )
    assert response.status_code == 400
    assert "Diese Adresse gehört zu keiner Website, die diesen Dienst nutzt." in response.text


def test_a_second_url_parameter_cannot_sneak_in(client: TestClient) -> None:
    query = [("url", URL), ("url", "https://evil.example/")]
    response = client.get("/share/bluesky", params=query, headers=EN)
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    "url",
    [
        OTHER_URL,
        "http://other.example:8080/",
        "https://blog.example",
        "https://blog.example/",
        "https://blog.example:443/post",
        "HTTPS://Blog.Example/post",
        URL,
        "https://blog.example/a\u00a0b",
    ],
)
def test_pages_on_a_configured_site_are_accepted(client: TestClient, url: str) -> None:
    assert client.get("/share/bluesky", params={"url": url}).status_code == 200
    response = client.post("/share/bluesky", data={"url": url})
    assert response.status_code == 303
    build = NETWORKS["bluesky"].build
    assert build is not None
    assert response.headers["location"] == build(Page(url=url))


def test_page_url_is_trimmed(client: TestClient) -> None:
    response = client.post("/share/bluesky", data={"url": "  https://blog.example/  "})
    build = NETWORKS["bluesky"].build
    assert build is not None
    assert response.headers["location"] == build(Page(url="https://blog.example/"))


def test_media_on_the_same_site_is_accepted(client: TestClient) -> None:
    data = {"url": OTHER_URL, "media": "http://other.example:8080/a.jpg", "title": "T"}
    response = client.post("/share/pinterest", data=data)
    assert response.status_code == 303


# Fediverse without JavaScript --------------------------------------------------------------


def _selected(html: str) -> list[str | None]:
    return [o["value"] for o in tags(html, "option") if "selected" in o]


def test_fediverse_consent_asks_for_server_and_software(client: TestClient) -> None:
    response = client.get("/share/mastodon", params={"url": URL, "title": TITLE}, headers=EN)
    assert response.status_code == 200
    (server,) = [i for i in tags(response.text, "input") if i.get("name") == "server"]
    assert server["value"] == ""
    assert "aria-invalid" not in server
    (select,) = tags(response.text, "select")
    assert select["name"] == "software"
    options = [o["value"] for o in tags(response.text, "option")]
    assert options == ["mastodon", "misskey", "friendica", "hubzilla", "diaspora"]
    assert _selected(response.text) == ["mastodon"]
    assert hidden_fields(response.text) == {"url": URL, "title": TITLE, "lang": "en"}


def test_diaspora_button_preselects_diaspora(client: TestClient) -> None:
    response = client.get("/share/diaspora", params={"url": URL, "title": TITLE}, headers=EN)
    assert _selected(response.text) == ["diaspora"]
    assert "the diaspora* pod you choose" in response.text


@pytest.mark.parametrize("key", ["mastodon", "diaspora"])
def test_fediverse_consent_csp_allows_any_https_server(client: TestClient, key: str) -> None:
    response = client.get(f"/share/{key}", params={"url": URL})
    assert form_action(response) == {"'self'", "https:"}
    assert response.headers["cache-control"] == "no-store"


MASTODON = "https://mastodon.social/share?text=" + quote(f"{TITLE} {URL}", safe="")


@pytest.mark.parametrize(
    "server",
    [
        "mastodon.social",
        "Mastodon.Social/",
        "https://Mastodon.Social/",
        "http://mastodon.social",
        " mastodon.social ",
        "mastodon.social.",
    ],
)
def test_fediverse_confirm_redirects_to_the_visitors_server(
    client: TestClient, server: str
) -> None:
    data = {"url": URL, "title": TITLE, "server": server}
    response = client.post("/share/mastodon", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == MASTODON
    assert response.headers["cache-control"] == "no-store"


def test_fediverse_confirm_with_an_international_server_name(client: TestClient) -> None:
    data = {"url": URL, "server": "Bücher.Social"}
    response = client.post("/share/mastodon", data=data)
    assert response.headers["location"].startswith("https://xn--bcher-kva.social/share?")


U = quote(URL, safe="")
T = quote(TITLE, safe="")


@pytest.mark.parametrize(
    ("key", "software", "location"),
    [
        ("mastodon", "mastodon", MASTODON),
        ("mastodon", "", MASTODON),
        ("mastodon", "misskey", f"https://mastodon.social/share?title={T}&url={U}"),
        ("mastodon", "friendica", f"https://mastodon.social/compose?title={T}&body={U}"),
        ("mastodon", "hubzilla", f"https://mastodon.social/rpost?title={T}&body={U}"),
        ("mastodon", "diaspora", f"https://mastodon.social/bookmarklet?url={U}&title={T}"),
        ("diaspora", "", f"https://mastodon.social/bookmarklet?url={U}&title={T}"),
        ("diaspora", "mastodon", MASTODON),
    ],
)
def test_fediverse_software_endpoints(
    client: TestClient, key: str, software: str, location: str
) -> None:
    data = {"url": URL, "title": TITLE, "server": "mastodon.social", "software": software}
    response = client.post(f"/share/{key}", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == location


BAD_SERVERS = [
    "127.0.0.1",
    "localhost",
    "mastodon.social:8080",
    "evil.example/path",
    "mastodon.social/@alice",
    "https://user@mastodon.social",
    "alice@mastodon.social",
    "javascript:alert(1)",
    "mastodon.social?x=1",
    "[::1]",
    "2130706433",
    "mastodon",
    "mastodon.local",
    "masto don.social",
    '"><script>alert(1)</script>',
    "",
    "   ",
]


@pytest.mark.parametrize("server", BAD_SERVERS)
def test_bad_server_shows_the_error_at_the_field(client: TestClient, server: str) -> None:
    data = {"url": URL, "title": TITLE, "server": server}
    response = client.post("/share/mastodon", data=data, headers=EN)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "<script>" not in response.text
    (field,) = [i for i in tags(response.text, "input") if i.get("name") == "server"]
    assert field["aria-invalid"] == "true"
    assert "sk-server-error" in (field["aria-describedby"] or "").split()
    assert field["value"] == server  # what the visitor typed is kept
    error = f'<span class="sk-page__error" id="sk-server-error">{SERVER_ERROR}</span>'
    assert error in response.text
    assert hidden_fields(response.text) == {"url": URL, "title": TITLE, "lang": "en"}
    assert _selected(response.text) == ["mastodon"]
    assert form_action(response) == {"'self'", "https:"}
    assert response.headers["cache-control"] == "no-store"


def test_bad_server_keeps_text_media_and_the_chosen_software(client: TestClient) -> None:
    data = {
        "url": URL,
        "title": TITLE,
        "text": TEXT,
        "media": MEDIA,
        "server": "localhost",
        "software": "friendica",
    }
    response = client.post("/share/mastodon", data=data, headers=EN)
    assert response.status_code == 400
    fields = hidden_fields(response.text)
    assert fields == {"url": URL, "title": TITLE, "text": TEXT, "media": MEDIA, "lang": "en"}
    assert _selected(response.text) == ["friendica"]


def test_bad_server_error_in_german(client: TestClient) -> None:
    data = {"url": URL, "title": TITLE, "server": "localhost", "lang": "de"}
    response = client.post("/share/mastodon?lang=de", data=data)
    assert response.status_code == 400
    assert '<html lang="de">' in response.text
    assert "Bitte geben Sie die Adresse Ihres Servers ein" in response.text


def test_bad_server_keeps_a_long_value_cut_to_size(client: TestClient) -> None:
    server = "a" * 1000
    response = client.post("/share/mastodon", data={"url": URL, "server": server})
    assert response.status_code == 400
    (field,) = [i for i in tags(response.text, "input") if i.get("name") == "server"]
    assert field["value"] == server[:300]


@pytest.mark.parametrize("software", ["nope", "MASTODON", "../mastodon", "x" * 500])
def test_unknown_software_is_400_not_500(client: TestClient, software: str) -> None:
    data = {"url": URL, "title": TITLE, "server": "mastodon.social", "software": software}
    response = client.post("/share/mastodon", data=data, headers=EN)
    assert response.status_code == 400
    assert "location" not in response.headers
    (field,) = [i for i in tags(response.text, "input") if i.get("name") == "server"]
    assert field["value"] == "mastodon.social"


def test_fediverse_confirm_still_checks_the_page(client: TestClient) -> None:
    data = {"url": "https://evil.example/", "server": "mastodon.social"}
    assert_refused(client.post("/share/mastodon", data=data, headers=EN))


# /share-bar fragment -------------------------------------------------------------------


def _bar(
    client: TestClient, headers: dict[str, str] | None = None, **query: str
) -> httpx.Response:
    return client.get("/share-bar", params={"url": URL, "title": TITLE, **query}, headers=headers)


def test_bar_fragment(client: TestClient) -> None:
    response = _bar(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "data-sharekit-bar" in response.text
    assert "<html" not in response.text
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-origin" not in response.headers
    assert "set-cookie" not in response.headers


def test_bar_fragment_without_origin_links_relative(client: TestClient) -> None:
    hrefs = [a["href"] or "" for a in tags(_bar(client).text, "a")]
    assert hrefs
    assert all(h.startswith(("/share/", "mailto:")) for h in hrefs), hrefs


@pytest.mark.parametrize("site", ["https://blog.example", "http://other.example:8080"])
def test_bar_fragment_for_a_site_origin(client: TestClient, site: str) -> None:
    response = _bar(client, {"origin": site})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == site
    assert "Origin" in [v.strip() for v in response.headers["vary"].split(",")]


def test_bar_fragment_links_are_absolute_for_other_origins(client: TestClient) -> None:
    html = _bar(client, {"origin": "https://blog.example"}, networks="bluesky,mastodon,email").text
    hrefs = [a["href"] or "" for a in tags(html, "a")]
    assert [h.split("?")[0] for h in hrefs[:2]] == [
        "http://testserver/share/bluesky",
        "http://testserver/share/mastodon",
    ]
    assert hrefs[2].startswith("mailto:")
    (form,) = tags(html, "form")
    assert form["action"] == "http://testserver/share/mastodon"
    (root,) = [d for d in tags(html, "div") if "data-sharekit-bar" in d]
    assert root["data-sk-base"] == "http://testserver"


@pytest.mark.parametrize(
    "site",
    [
        "https://evil.example",
        "https://blog.example.evil.example",
        "http://blog.example",
        "https://blog.example:8443",
        "null",
        "",
    ],
)
def test_bar_fragment_refuses_other_origins(client: TestClient, site: str) -> None:
    response = _bar(client, {"origin": site, **EN})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "This site is not allowed to use this service." in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"theme": "pink"}, "The share bar option theme is not valid."),
        ({"size": "xl"}, "The share bar option size is not valid."),
        ({"style": "huge"}, "The share bar option style is not valid."),
        ({"orientation": "diagonal"}, "The share bar option orientation is not valid."),
        ({"counts": "maybe"}, "The share bar option counts is not valid."),
        ({"networks": "nope"}, "Unknown network in networks."),
        ({"networks": "bluesky,nope"}, "Unknown network in networks."),
        ({"networks": ",".join(["x"] * 41)}, "The share bar option networks is not valid."),
    ],
)
def test_bar_fragment_refuses_bad_options(
    client: TestClient, query: dict[str, str], message: str
) -> None:
    response = _bar(client, EN, **query)
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("url", ["https://evil.example/", "javascript:alert(1)", ""])
def test_bar_fragment_refuses_pages_off_the_sites(client: TestClient, url: str) -> None:
    response = client.get("/share-bar", params={"url": url}, headers=EN)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("networks", "keys"),
    [
        ("bluesky,mastodon", ["bluesky", "mastodon"]),
        ("mastodon,bluesky", ["mastodon", "bluesky"]),
        ("email", ["email"]),
        ("Bluesky, X", ["bluesky", "x"]),
    ],
)
def test_bar_fragment_renders_the_chosen_networks_in_order(
    client: TestClient, networks: str, keys: list[str]
) -> None:
    found = [a["data-sk-network"] for a in tags(_bar(client, networks=networks).text, "a")]
    assert found == keys


def test_bar_fragment_default_networks(client: TestClient, settings: Settings) -> None:
    found = [a["data-sk-network"] for a in tags(_bar(client).text, "a")]
    assert found == settings.share_networks


@pytest.mark.parametrize(
    ("url", "lang", "name"),
    [
        (URL, "de", "Auf Bluesky teilen"),
        (URL, "en", "Share on Bluesky"),
        (URL, "", "Auf Bluesky teilen"),  # the blog's own language
        (OTHER_URL, "", "Share on Bluesky"),
        (OTHER_URL, "de", "Auf Bluesky teilen"),
        (OTHER_URL, "de-AT", "Auf Bluesky teilen"),
        (OTHER_URL, "fr", "Partager sur Bluesky"),
        (OTHER_URL, "ja", "Share on Bluesky"),
    ],
)
def test_bar_fragment_language(client: TestClient, url: str, lang: str, name: str) -> None:
    query = {"url": url, "networks": "bluesky", "lang": lang}
    (a,) = tags(client.get("/share-bar", params=query).text, "a")
    assert a["aria-label"] == name


def test_bar_fragment_options_become_classes(client: TestClient) -> None:
    html = _bar(client, theme="dark", orientation="vertical", style="label", size="l").text
    (root,) = [d for d in tags(html, "div") if "data-sharekit-bar" in d]
    assert (root["class"] or "").split() == [
        "sk-share",
        "sk-share--dark",
        "sk-share--vertical",
        "sk-share--label",
        "sk-share--l",
    ]


# Counts ------------------------------------------------------------------------------


@pytest.fixture
def counting(settings: Settings) -> Starlette:
    return create_app(settings.model_copy(update={"share_counts": True}))


@pytest.fixture
def counter(counting: Starlette) -> Iterator[TestClient]:
    with TestClient(
        counting, raise_server_exceptions=False, follow_redirects=False
    ) as test_client:
        yield test_client


@pytest.fixture
def neighbour(counting: Starlette) -> Iterator[TestClient]:
    client = ("203.0.114.9", 1234)
    with TestClient(
        counting, raise_server_exceptions=False, follow_redirects=False, client=client
    ) as test_client:
        yield test_client


def share(client: TestClient, network: str, url: str = URL) -> httpx.Response:
    return client.post("/api/share", data={"url": url, "network": network, "site": "blog"})


def counts(client: TestClient, url: str = URL) -> dict[str, int]:
    response = client.get("/api/counts", params={"url": url})
    assert response.status_code == 200
    data: dict[str, int] = response.json()
    return data


def test_counting_is_off_by_default(client: TestClient) -> None:
    response = client.get("/api/counts", params={"url": URL})
    assert response.status_code == 404
    assert response.json() == {
        "error": "Share counts are not enabled on this service.",
        "status": 404,
    }
    assert share(client, "bluesky").status_code == 404


def test_no_js_share_is_not_recorded_when_counting_is_off(
    client: TestClient, settings: Settings
) -> None:
    assert client.post("/share/bluesky", data={"url": URL}).status_code == 303
    assert not (settings.data_dir / "sharekit.db").exists()


def test_recording_a_share(counter: TestClient) -> None:
    response = share(counter, "bluesky")
    assert response.status_code == 204
    assert response.content == b""
    assert "set-cookie" not in response.headers
    assert counts(counter) == {"bluesky": 1}


def test_counts_start_empty(counter: TestClient) -> None:
    assert counts(counter) == {}


def test_the_same_client_counts_once_a_day(counter: TestClient) -> None:
    for _ in range(3):
        assert share(counter, "bluesky").status_code == 204
    assert counts(counter) == {"bluesky": 1}


@pytest.mark.parametrize("key", [*LOCAL, "email", "sms", "info"])
def test_local_actions_are_not_counted(counter: TestClient, key: str) -> None:
    assert share(counter, key).status_code == 204
    assert counts(counter) == {}


def test_no_js_share_is_counted(counter: TestClient) -> None:
    response = counter.post("/share/bluesky", data={"url": URL})
    assert response.status_code == 303
    assert counts(counter) == {"bluesky": 1}
    share(counter, "bluesky")  # the same share again, with JavaScript
    assert counts(counter) == {"bluesky": 1}


def test_no_js_fediverse_share_is_counted(counter: TestClient) -> None:
    data = {"url": URL, "server": "mastodon.social"}
    assert counter.post("/share/mastodon", data=data).status_code == 303
    assert (
        counter.post("/share/mastodon", data={"url": URL, "server": "localhost"}).status_code
        == 400
    )
    assert counts(counter) == {"mastodon": 1}


@pytest.mark.parametrize("key", ["email", "sms"])
def test_no_js_local_share_is_not_counted_either(counter: TestClient, key: str) -> None:
    assert counter.post(f"/share/{key}", data={"url": URL}).status_code == 303
    assert counts(counter) == {}


def test_counts_list_only_networks_with_shares(counter: TestClient) -> None:
    share(counter, "bluesky")
    share(counter, "x")
    share(counter, "copy")
    counter.post("/share/x", data={"url": URL})
    assert counts(counter) == {"bluesky": 1, "x": 1}


def test_counts_are_per_page(counter: TestClient) -> None:
    share(counter, "bluesky")
    share(counter, "bluesky", OTHER_URL)
    share(counter, "x", OTHER_URL)
    assert counts(counter) == {"bluesky": 1}
    assert counts(counter, OTHER_URL) == {"bluesky": 1, "x": 1}
    assert counts(counter, "https://blog.example/noch-nicht-geteilt") == {}


def test_other_clients_count_separately(counter: TestClient, neighbour: TestClient) -> None:
    share(counter, "bluesky")
    share(neighbour, "bluesky")
    share(neighbour, "bluesky")
    share(neighbour, "threads")
    assert counts(counter) == {"bluesky": 2, "threads": 1}
    assert counts(neighbour) == {"bluesky": 2, "threads": 1}


@pytest.mark.parametrize("url", ["https://evil.example/", "javascript:alert(1)", ""])
def test_counts_refuse_pages_off_the_sites(counter: TestClient, url: str) -> None:
    response = counter.get("/api/counts", params={"url": url})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")


def test_counts_refuse_a_missing_url(counter: TestClient) -> None:
    assert counter.get("/api/counts").status_code == 400


def test_counts_json_shape(counter: TestClient) -> None:
    share(counter, "bluesky")
    response = counter.get("/api/counts", params={"url": URL})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"bluesky": 1}
    assert "Origin" in response.headers["vary"]


def test_recording_refuses_pages_off_the_sites(counter: TestClient) -> None:
    response = share(counter, "bluesky", "https://evil.example/")
    assert response.status_code == 400
    assert response.json() == {"error": NOT_ON_SITE, "status": 400}
    assert counts(counter) == {}


def test_recording_an_unknown_network_is_404(counter: TestClient) -> None:
    assert share(counter, "myspace").status_code == 404
    assert counter.post("/api/share", data={"url": URL}).status_code == 404


def test_recording_refuses_json(counter: TestClient) -> None:
    response = counter.post("/api/share", json={"url": URL, "network": "bluesky"})
    assert response.status_code == 415
    assert counts(counter) == {}


@pytest.mark.parametrize("path", ["/api/counts", "/api/share"])
def test_counting_cors_for_site_origins_only(counter: TestClient, path: str) -> None:
    def call(site: str) -> httpx.Response:
        headers = {"origin": site}
        if path == "/api/counts":
            return counter.get(path, params={"url": URL}, headers=headers)
        return counter.post(path, data={"url": URL, "network": "x"}, headers=headers)

    allowed = call("https://blog.example")
    assert allowed.status_code in {200, 204}
    assert allowed.headers["access-control-allow-origin"] == "https://blog.example"
    refused = call("https://evil.example")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_the_database_never_holds_a_client_address(
    counting: Starlette, settings: Settings
) -> None:
    peers = [("testclient", 50000), ("203.0.114.9", 1234), ("2001:db8::1", 4321)]
    for peer in peers:
        with TestClient(counting, follow_redirects=False, client=peer) as visitor:
            share(visitor, "bluesky")
            share(visitor, "x", OTHER_URL)
            visitor.post("/share/threads", data={"url": URL})
            headers = {"x-forwarded-for": "198.51.100.23"}
            visitor.post("/api/share", data={"url": URL, "network": "reddit"}, headers=headers)
    database = settings.data_dir / "sharekit.db"
    connection = sqlite3.connect(database)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        assert "share_events" in tables
        values: list[str] = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                values.extend(str(value) for value in row)
        (total,) = connection.execute("SELECT count(*) FROM share_events").fetchone()
    finally:
        connection.close()
    assert total == 4 * len(peers)
    forbidden = ["testclient", "203.0.114", "2001:db8", "198.51.100"]
    for value in values:
        assert not any(word in value.lower() for word in forbidden), value
    for path in settings.data_dir.glob("sharekit.db*"):
        raw = path.read_bytes()
        assert not any(word.encode() in raw for word in forbidden), path


# /share/info --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "lang", "heading"),
    [
        (EN, "en", "About these share buttons"),
        ({}, "en", "About these share buttons"),
        ({"accept-language": "de"}, "de", "Über diese Teilen-Schaltflächen"),
    ],
)
def test_info_page(client: TestClient, headers: dict[str, str], lang: str, heading: str) -> None:
    response = client.get("/share/info", headers=headers)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert f"<h1>{heading}</h1>" in response.text


def test_info_page_with_lang_parameter(client: TestClient) -> None:
    response = client.get("/share/info", params={"lang": "de"}, headers=EN)
    assert "Über diese Teilen-Schaltflächen" in response.text
