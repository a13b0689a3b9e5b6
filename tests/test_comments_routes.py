"""The comment routes through the real app: posting (form and JSON), its defences, flood
control, duplicates, moderation, replies, the thread listing, counts, preview, the form."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import sharekit.comments.guard as guard_module
from sharekit import Settings, create_app
from tests.comments_support import (
    BLOG,
    EN,
    JSON_EN,
    THREE_LINKS,
    URL,
    FormPage,
    make_settings,
    parse,
    post_form,
    post_json,
    stored,
    submission,
    token,
)

EVIL = "https://evil.example"
FORM_TYPE = "application/x-www-form-urlencoded"

PUBLISHED = "Thank you! Your comment has been published."
HELD = "Thank you! Your comment will appear once it has been approved."
EXPIRED = "This form was open for a long time. Your comment is still here: please send it again."
TOKEN_INVALID = "This link or form is not valid. Please reload the page and try again."
TOKEN_EXPIRED = "This link or form has expired. Please reload the page and try again."
TOO_FAST = "That was quick! Please check your comment and send it again in a few seconds."
HONEYPOT = "This form could not be sent."
NOT_ALLOWED = "This site is not allowed to use this service."
NOT_ON_SITE = "This address is not a page of a site that uses this service."
UNKNOWN_SITE = "This site does not use this service."
TOO_MANY = "Too many requests. Please wait a moment and try again."
DUPLICATE = "You have already posted this comment in this thread."
NO_PARENT = "The comment you are replying to no longer exists."
TOO_LARGE = "The submitted data is too large."
WRONG_TYPE = "The submitted data is in a format this address does not accept."
NOT_UTF8 = "The submitted data is not valid UTF-8 text."
AWAITING = "Your comment is awaiting moderation. Only you can see it for now."
# German translations verified in widgets/locale/de/LC_MESSAGES/sharekit.po (not fuzzy).
TOKEN_INVALID_DE = "Dieses Formular konnte nicht geprüft werden."
FORM_TOKEN_INVALID = (
    "This form could not be checked. Your comment is still here: please send it again."
)
NOT_ALLOWED_DE = "Diese Website darf diesen Dienst nicht nutzen."
TOO_MANY_DE = "Zu viele Anfragen."

COMMENT_KEYS = {
    "id",
    "thread",
    "parent",
    "depth",
    "author",
    "website",
    "html",
    "avatar",
    "status",
    "created",
    "edited",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def open_client(app: Starlette, **options: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False, **options)


def form_token(client: TestClient, thread: str = "t1", **params: str) -> str:
    page = client.get(
        "/comments/new", params={"site": "blog", "thread": thread, "url": URL, **params}
    )
    assert page.status_code == 200
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def add(client: TestClient, app: Starlette, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    """Post a comment as JSON; its public form."""
    response = post_json(client, submission(app, thread, **fields))
    assert response.status_code in {201, 202}, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


SELF = "http://testserver"  # the service's own origin in TestClient


def listing(client: TestClient, thread: str = "t1", **params: str) -> dict[str, Any]:
    response = client.get(
        f"/threads/{thread}/comments", params={"site": "blog", "format": "json", **params}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keys_anywhere(value: Any) -> set[str]:
    """Every key of every object in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_anywhere(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_anywhere(item)}
    return set()


def escaped(message: str) -> str:
    return html.escape(message, quote=True).replace("&#x27;", "&#39;")


def assert_form_again(
    response: httpx.Response, status: int, message: str, data: dict[str, Any]
) -> FormPage:
    """The form came back with the message, every typed value, and a new token."""
    assert response.status_code == status, response.text
    assert "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert escaped(message) in response.text
    page = parse(response.text)
    for name in ("text", "name", "email", "website"):
        if name in data:
            assert page.fields[name]["value"] == data[name], name
    new_token = page.fields["token"]["value"]
    assert new_token
    assert new_token != data.get("token")
    return page


# Posting: success and field errors --------------------------------------------------------


def test_form_post_redirects_to_the_comment(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(app, url=URL + "?x=1#section", token=form_token(client))
    response = post_form(client, data)
    assert response.status_code == 303
    assert stored(settings) == 1
    (comment,) = listing(client)["comments"]
    assert response.headers["location"] == f"{URL}?x=1#comment-{comment['id']}"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sharekit_own=")
    parts = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= parts
    assert "secure" not in parts  # plain http in tests; https would add it


def test_form_cookie_is_secure_over_https(app: Starlette) -> None:
    with open_client(app, base_url="https://testserver") as client:
        response = post_form(client, submission(app))
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_form_error_keeps_every_value(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(
        app,
        text="x",
        name='Jürgen "<b>" Weiß',
        email="not-an-address@",
        website="javascript:alert(1)",
        remember="1",
        title="Über <uns>",
    )
    response = post_form(client, data)
    page = assert_form_again(response, 422, "Some fields need your attention.", data)
    for field in ("text", "email", "website"):
        assert page.fields[field].get("aria-invalid") == "true", field
        described = (page.fields[field].get("aria-describedby") or "").split()
        assert f"sk-c-{field}-error" in described
        assert page.texts[f"sk-c-{field}-error"]
    assert "aria-invalid" not in page.fields["name"]
    assert page.texts["sk-c-text-error"] == "Please write at least 2 characters."
    assert "sk-c-email-hint" in (page.fields["email"].get("aria-describedby") or "").split()
    assert "checked" in page.fields["remember"]
    assert page.fields["title"]["value"] == "Über <uns>"
    assert page.fields["url"]["value"] == URL
    assert "<b>" not in response.text
    assert stored(settings) == 0
    # The fresh token is good for the corrected comment.
    fixed = {**data, "text": "Now long enough", "email": "ada@example.org", "website": ""}
    fixed["token"] = page.fields["token"]["value"]
    assert post_form(client, fixed).status_code == 303
    assert stored(settings) == 1


def test_form_error_links_each_message_to_its_field(client: TestClient, app: Starlette) -> None:
    response = post_form(client, submission(app, name="", text="x"))
    summary = response.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#sk-c-name">Please enter your name.</a>' in summary
    assert '<a href="#sk-c-text">Please write at least 2 characters.</a>' in summary


def test_json_post_creates_the_comment(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(app, name="Ada <Lovelace>", website="https://ada.example/")
    response = post_json(client, data)
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == BLOG
    body = response.json()
    assert {"comment", "html", "message"} <= set(body)
    assert body["message"] == PUBLISHED
    assert set(body["comment"]) == COMMENT_KEYS
    assert "email" not in keys_anywhere(body)
    assert "ada@example.org" not in response.text
    comment = body["comment"]
    assert comment["author"] == "Ada <Lovelace>"
    assert comment["website"] == "https://ada.example/"
    assert comment["status"] == "approved"
    assert (comment["thread"], comment["parent"], comment["depth"]) == ("t1", None, 0)
    assert f'id="comment-{comment["id"]}"' in body["html"]
    assert "Ada &lt;Lovelace&gt;" in body["html"]
    assert "<Lovelace>" not in body["html"]
    assert stored(settings) == 1
    assert listing(client)["comments"] == [comment]


def test_json_post_held_is_202(client: TestClient, app: Starlette, settings: Settings) -> None:
    # From a page on the service's own origin, where the browser keeps the author cookie.
    response = post_json(client, submission(app, text=THREE_LINKS), origin=SELF)
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == HELD
    assert body["comment"]["status"] == "pending"
    assert "email" not in keys_anywhere(body)
    assert stored(settings) == 1
    # The author (whose browser got the cookie) sees it, marked pending; nobody else does.
    assert [c["status"] for c in listing(client)["comments"]] == ["pending"]
    with open_client(app) as stranger:
        assert listing(stranger)["comments"] == []


def test_json_field_errors_are_422(client: TestClient, app: Starlette, settings: Settings) -> None:
    response = post_json(client, submission(app, name="", email="a@", text="x"))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name", "email", "text"}
    assert stored(settings) == 0


# Tokens and cross-site requests ------------------------------------------------------------


def _bad_tokens(app: Starlette) -> dict[str, str]:
    good = token(app)
    tampered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    tokens = app.state.sharekit.comments.guard.tokens
    return {
        "forged": "not-a-token",
        "empty": "",
        "tampered": tampered,
        "other-thread": token(app, "blog", "t2"),
        "other-site": token(app, "other", "t1"),
        "other-purpose": tokens.dumps("comment-own", {"s": "blog", "t": "t1", "at": time.time()}),
        "no-time": tokens.dumps("comment-form", {"s": "blog", "t": "t1"}),
    }


BAD_TOKENS = [
    "forged",
    "empty",
    "tampered",
    "other-thread",
    "other-site",
    "other-purpose",
    "no-time",
]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_form_with_a_bad_token_comes_back(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    data = submission(app, token=_bad_tokens(app)[kind], website="https://ada.example/")
    response = post_form(client, data)
    page = assert_form_again(response, 400, FORM_TOKEN_INVALID, data)
    assert stored(settings) == 0
    retry = {**data, "token": page.fields["token"]["value"]}
    assert post_form(client, retry).status_code == 303
    assert stored(settings) == 1


def test_form_with_a_bad_token_asks_to_send_again(client: TestClient, app: Starlette) -> None:
    response = post_form(client, submission(app, token="not-a-token"))
    assert response.status_code == 400
    assert "send it again" in response.text


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_json_with_a_bad_token_is_400(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    response = post_json(client, submission(app, token=_bad_tokens(app)[kind]))
    assert response.status_code == 400
    assert response.json()["error"] == TOKEN_INVALID
    assert stored(settings) == 0


def test_bad_token_in_german(client: TestClient, app: Starlette) -> None:
    data = submission(app, token="forged", lang="de")
    response = client.post("/comments", data=data, headers={"accept-language": "de"})
    assert response.status_code == 400
    assert TOKEN_INVALID_DE in response.text


def test_form_with_an_expired_token_keeps_the_text(
    client: TestClient, app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = submission(app, token=form_token(client))
    later = time.time() + settings.comments_token_max_age + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = post_form(client, data)
    page = assert_form_again(response, 400, EXPIRED, data)
    assert stored(settings) == 0
    retry = {**data, "token": page.fields["token"]["value"]}
    assert post_form(client, retry).status_code == 303
    assert stored(settings) == 1


def test_json_with_an_expired_token_is_400(
    client: TestClient, app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = submission(app)
    later = time.time() + settings.comments_token_max_age + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = post_json(client, data)
    assert response.status_code == 400
    assert response.json()["error"] == TOKEN_EXPIRED
    assert stored(settings) == 0


def test_a_token_just_within_its_age_is_fine(
    client: TestClient, app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = submission(app)
    later = time.time() + settings.comments_token_max_age - 30
    monkeypatch.setattr(time, "time", lambda: later)
    assert post_json(client, data).status_code == 201


@pytest.fixture
def slow_app(tmp_path: Path) -> Starlette:
    return create_app(make_settings(tmp_path, comments_min_seconds=3))


def _clock_ahead(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real = time.time
    monkeypatch.setattr(guard_module, "time", SimpleNamespace(time=lambda: real() + seconds))


@pytest.mark.parametrize("kind", ["form", "json"])
def test_a_form_sent_too_fast_is_refused(
    slow_app: Starlette, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    settings = slow_app.state.sharekit.settings
    with open_client(slow_app) as client:
        data = submission(slow_app, token=form_token(client))
        if kind == "form":
            response = post_form(client, data)
            page = assert_form_again(response, 400, TOO_FAST, data)
            assert page.fields["token"]["value"]
        else:
            response = post_json(client, data)
            assert response.status_code == 400
            assert response.json()["error"] == TOO_FAST
        assert stored(settings) == 0
        _clock_ahead(monkeypatch, 2.5)
        again = post_form(client, data) if kind == "form" else post_json(client, data)
        assert again.status_code == 400
        _clock_ahead(monkeypatch, 3.5)
        again = post_form(client, data) if kind == "form" else post_json(client, data)
        assert again.status_code == (303 if kind == "form" else 201)
        assert stored(settings) == 1


@pytest.mark.parametrize("kind", ["form", "json"])
@pytest.mark.parametrize("value", ["Acme Ltd", " ", "0"])
def test_honeypot_filled_is_refused(
    client: TestClient, app: Starlette, settings: Settings, kind: str, value: str
) -> None:
    data = submission(app, company=value)
    if kind == "form":
        response = post_form(client, data)
        assert_form_again(response, 400, HONEYPOT, data)
    else:
        response = post_json(client, data)
        assert response.status_code == 400
        assert response.json()["error"] == HONEYPOT
    assert stored(settings) == 0


def test_empty_honeypot_is_fine(client: TestClient, app: Starlette) -> None:
    assert post_form(client, submission(app, company="")).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"origin": EVIL}, id="foreign-origin"),
        pytest.param({"origin": "null"}, id="null-origin"),
        pytest.param({"origin": "https://blog.example.evil.example"}, id="suffix-origin"),
        pytest.param({"origin": "http://blog.example"}, id="other-scheme"),
        pytest.param({"origin": "http://other.example:8080"}, id="the-other-site"),
        pytest.param({"referer": "https://evil.example/page"}, id="foreign-referer"),
        pytest.param({"referer": "not a url"}, id="odd-referer"),
        pytest.param({"origin": EVIL, "referer": f"{BLOG}/post"}, id="origin-wins"),
    ],
)
def test_form_from_another_origin_is_forbidden(
    client: TestClient, app: Starlette, settings: Settings, headers: dict[str, str]
) -> None:
    response = post_form(client, submission(app), **headers)
    assert response.status_code == 403
    assert NOT_ALLOWED in response.text
    assert "set-cookie" not in response.headers
    assert stored(settings) == 0


def test_foreign_origin_in_german(client: TestClient, app: Starlette) -> None:
    response = client.post(
        "/comments", data=submission(app), headers={"origin": EVIL, "accept-language": "de"}
    )
    assert response.status_code == 403
    assert NOT_ALLOWED_DE in response.text


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin-no-referer"),
        pytest.param({"origin": BLOG}, id="site-origin"),
        pytest.param({"origin": "http://testserver"}, id="own-origin"),
        pytest.param({"referer": f"{BLOG}/post?x=1"}, id="site-referer"),
    ],
)
def test_form_from_an_allowed_origin(
    client: TestClient, app: Starlette, settings: Settings, headers: dict[str, str]
) -> None:
    assert post_form(client, submission(app), **headers).status_code == 303
    assert stored(settings) == 1


def test_form_without_origin_still_needs_a_token(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(app)
    del data["token"]
    response = post_form(client, data)
    assert response.status_code == 400
    assert stored(settings) == 0


@pytest.mark.parametrize(
    "origin", [None, EVIL, "null", "http://other.example:8080", "https://blog.example:8443"]
)
def test_json_needs_the_sites_origin(
    client: TestClient, app: Starlette, settings: Settings, origin: str | None
) -> None:
    headers = {"accept-language": "en", **({"origin": origin} if origin else {})}
    response = client.post("/comments", json=submission(app), headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == NOT_ALLOWED
    assert stored(settings) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data; boundary=x", "application/xml", "", "application/jsonx"],
)
def test_other_content_types_are_415(
    client: TestClient, settings: Settings, content_type: str
) -> None:
    headers = {**JSON_EN, "content-type": content_type}
    response = client.post("/comments", content=b'{"site": "blog"}', headers=headers)
    assert response.status_code == 415
    assert WRONG_TYPE in response.text
    assert stored(settings) == 0


def test_json_content_type_with_charset_is_fine(client: TestClient, app: Starlette) -> None:
    headers = {**JSON_EN, "content-type": "application/json; charset=utf-8"}
    body = json.dumps(submission(app)).encode()
    assert client.post("/comments", content=body, headers=headers).status_code == 201


def _big(kind: str, app: Starlette) -> tuple[bytes, str]:
    data = submission(app, text="x" * (65 * 1024))
    if kind == "form":
        return urlencode(data).encode(), FORM_TYPE
    return json.dumps(data).encode(), "application/json"


@pytest.mark.parametrize("kind", ["form", "json"])
def test_body_over_64_kb_is_413(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    body, content_type = _big(kind, app)
    response = client.post(
        "/comments", content=body, headers={**JSON_EN, "content-type": content_type}
    )
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    assert stored(settings) == 0


@pytest.mark.parametrize("kind", ["form", "json"])
def test_chunked_body_over_64_kb_is_413(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    body, content_type = _big(kind, app)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    headers = {**JSON_EN, "content-type": content_type}
    response = client.post("/comments", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert stored(settings) == 0


def test_a_lying_content_length_is_413(client: TestClient, settings: Settings) -> None:
    headers = {**JSON_EN, "content-type": FORM_TYPE, "content-length": str(10**9)}
    response = client.post("/comments", content=b"site=blog", headers=headers)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (FORM_TYPE, b"site=blog&thread=t1&text=caf\xe9+au+lait"),
        ("application/json", b'{"site": "blog", "text": "caf\xe9"}'),
    ],
)
def test_invalid_utf8_is_400(
    client: TestClient, settings: Settings, content_type: str, body: bytes
) -> None:
    headers = {**JSON_EN, "content-type": content_type}
    response = client.post("/comments", content=body, headers=headers)
    assert response.status_code == 400
    assert NOT_UTF8 in response.text
    assert stored(settings) == 0


def test_repeated_form_field_is_400(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    body = urlencode([*submission(app).items(), ("text", "a second text")]).encode()
    response = client.post("/comments", content=body, headers={**EN, "content-type": FORM_TYPE})
    assert response.status_code == 400
    assert "The field text was sent twice." in response.text
    assert stored(settings) == 0


def test_repeated_json_key_is_400(client: TestClient, app: Starlette, settings: Settings) -> None:
    body = json.dumps(submission(app))[:-1] + ', "text": "a second text"}'
    headers = {**JSON_EN, "content-type": "application/json"}
    response = client.post("/comments", content=body.encode(), headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "The field text was sent twice."
    assert stored(settings) == 0


def test_repeated_json_key_with_a_lone_surrogate_is_400(client: TestClient) -> None:
    body = b'{"site": "blog", "\\ud800": 1, "\\ud800": 2}'
    headers = {**JSON_EN, "content-type": "application/json"}
    response = client.post("/comments", content=body, headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null", b"{", b""])
def test_json_that_is_not_an_object_is_400(
    client: TestClient, settings: Settings, body: bytes
) -> None:
    headers = {**JSON_EN, "content-type": "application/json"}
    assert client.post("/comments", content=body, headers=headers).status_code == 400


def test_too_many_form_fields_is_400(client: TestClient) -> None:
    body = "&".join(f"f{number}=1" for number in range(40)).encode()
    response = client.post("/comments", content=body, headers={**EN, "content-type": FORM_TYPE})
    assert response.status_code == 400


@pytest.mark.parametrize("kind", ["form", "json"])
def test_unknown_site_is_404(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    data = submission(app, site="nope")
    response = post_form(client, data) if kind == "form" else post_json(client, data)
    assert response.status_code == 404
    assert UNKNOWN_SITE in response.text
    assert stored(settings) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/post",
        "http://blog.example/post",
        "https://blog.example.evil.example/",
        "javascript:alert(1)",
        "/post",
        "",
    ],
)
@pytest.mark.parametrize("kind", ["form", "json"])
def test_url_not_on_the_site_is_400(
    client: TestClient, app: Starlette, settings: Settings, kind: str, url: str
) -> None:
    data = submission(app, url=url)
    if kind == "form":
        response = post_form(client, data)
        page = assert_form_again(response, 400, NOT_ON_SITE, data)
        assert page.fields["url"]["value"] == ""  # an off-site address is never echoed back
    else:
        response = post_json(client, data)
        assert response.status_code == 400
        assert response.json()["error"] == NOT_ON_SITE
    assert stored(settings) == 0


def test_site_is_found_by_the_url_when_not_given(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(app)
    del data["site"]
    assert post_form(client, data).status_code == 303
    assert stored(settings) == 1


def test_a_url_of_another_configured_site_is_400(client: TestClient, app: Starlette) -> None:
    response = post_json(client, submission(app, url="http://other.example:8080/x"))
    assert response.status_code == 400


# Flood control --------------------------------------------------------------------------------


@pytest.fixture
def strict_app(tmp_path: Path) -> Starlette:
    return create_app(make_settings(tmp_path, comments_rate_per_15s=1))


def test_second_json_comment_within_15_s_is_429(strict_app: Starlette) -> None:
    settings = strict_app.state.sharekit.settings
    with open_client(strict_app) as client:
        assert post_json(client, submission(strict_app)).status_code == 201
        response = post_json(client, submission(strict_app))
        assert response.status_code == 429
        assert response.headers["retry-after"] == "15"
        assert response.json()["error"] == TOO_MANY
        assert stored(settings) == 1


def test_second_form_comment_within_15_s_comes_back(strict_app: Starlette) -> None:
    settings = strict_app.state.sharekit.settings
    with open_client(strict_app) as client:
        assert post_form(client, submission(strict_app)).status_code == 303
        data = submission(strict_app, website="https://ada.example/")
        response = post_form(client, data)
        assert_form_again(response, 429, TOO_MANY, data)
        assert response.headers["retry-after"] == "15"
        german = client.post(
            "/comments", data={**data, "lang": "de"}, headers={"accept-language": "de"}
        )
        assert german.status_code == 429
        assert TOO_MANY_DE in german.text
        assert stored(settings) == 1


def test_another_client_is_not_limited(strict_app: Starlette) -> None:
    settings = strict_app.state.sharekit.settings
    with (
        open_client(strict_app) as client,
        open_client(strict_app, client=("203.0.114.9", 1)) as other,
    ):
        assert post_json(client, submission(strict_app)).status_code == 201
        assert post_json(client, submission(strict_app)).status_code == 429
        assert post_json(other, submission(strict_app)).status_code == 201
        assert post_json(other, submission(strict_app)).status_code == 429
        assert stored(settings) == 2


def test_same_network_shares_the_limit(strict_app: Starlette) -> None:
    with (
        open_client(strict_app, client=("203.0.114.9", 1)) as one,
        open_client(strict_app, client=("203.0.114.200", 2)) as neighbour,
    ):
        assert post_json(one, submission(strict_app)).status_code == 201
        assert post_json(neighbour, submission(strict_app)).status_code == 429


def test_refused_comments_do_not_count(strict_app: Starlette) -> None:
    with open_client(strict_app) as client:
        assert post_json(client, submission(strict_app, text="x")).status_code == 422
        assert post_json(client, submission(strict_app, token="bad")).status_code == 400
        assert post_json(client, submission(strict_app)).status_code == 201


def test_hourly_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, comments_rate_per_15s=10, comments_rate_per_hour=2)
    app = create_app(settings)
    with open_client(app) as client, open_client(app, client=("203.0.114.9", 1)) as other:
        assert post_json(client, submission(app)).status_code == 201
        assert post_json(client, submission(app)).status_code == 201
        response = post_json(client, submission(app))
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3600"
        assert post_json(other, submission(app)).status_code == 201
        assert stored(settings) == 3


# Duplicates -----------------------------------------------------------------------------------


def test_the_same_comment_twice_is_409(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    assert post_json(client, submission(app, text="Great post!")).status_code == 201
    again = submission(app, text="  great\n\n POST!  ", email="ADA@Example.org", name="Ada L.")
    response = post_json(client, again)
    assert response.status_code == 409
    assert response.json()["error"] == DUPLICATE
    assert stored(settings) == 1


def test_the_same_comment_twice_by_form_comes_back(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    data = submission(app, text="Great post!")
    assert post_form(client, data).status_code == 303
    response = post_form(client, data)
    assert_form_again(response, 409, DUPLICATE, data)
    assert stored(settings) == 1


def test_the_same_comment_elsewhere_or_by_someone_else_is_fine(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    assert post_json(client, submission(app, text="Great post!")).status_code == 201
    assert post_json(client, submission(app, "t2", text="Great post!")).status_code == 201
    other = submission(app, text="Great post!", email="grace@example.org")
    assert post_json(client, other).status_code == 201
    assert post_json(client, submission(app, text="Great post!!")).status_code == 201
    assert stored(settings) == 4


# Moderation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "text", "status"),
    [
        pytest.param({}, THREE_LINKS, 202, id="links-three-links"),
        pytest.param({}, "See https://a.example and www.b.example", 201, id="links-two-links"),
        pytest.param(
            {"comments_blocklist": ["casino"]}, "Cheap CASINO here", 202, id="links-blocked"
        ),
        pytest.param({"comments_blocklist": ["casino"]}, "A nice post", 201, id="links-clean"),
        pytest.param({"comments_max_links": 0}, "see www.a.example", 202, id="links-max-0"),
        pytest.param({"comments_moderation": "off"}, THREE_LINKS, 201, id="off"),
        pytest.param(
            {"comments_moderation": "off", "comments_blocklist": ["casino"]},
            "casino",
            201,
            id="off-blocklist",
        ),
        pytest.param({"comments_moderation": "all"}, "A nice post", 202, id="all"),
    ],
)
def test_moderation(tmp_path: Path, overrides: dict[str, Any], text: str, status: int) -> None:
    settings = make_settings(tmp_path, **overrides)
    app = create_app(settings)
    with open_client(app) as client:
        response = post_json(client, submission(app, text=text), origin=SELF)
        assert response.status_code == status
        assert response.json()["message"] == (HELD if status == 202 else PUBLISHED)
        assert stored(settings) == 1
        assert listing(client)["total"] == (0 if status == 202 else 1)
        assert len(listing(client)["comments"]) == 1  # the author sees a held one too
        with open_client(app) as stranger:
            assert len(listing(stranger)["comments"]) == (0 if status == 202 else 1)


def test_held_comment_is_shown_to_its_author_only(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    response = post_form(client, submission(app, text=THREE_LINKS))
    assert response.status_code == 303
    comment_id = int(response.headers["location"].rsplit("-", 1)[1])
    own = listing(client)
    assert [c["id"] for c in own["comments"]] == [comment_id]
    assert own["comments"][0]["status"] == "pending"
    assert own["total"] == 0
    page = client.get("/threads/t1/comments", params={"site": "blog", "url": URL}, headers=EN)
    assert AWAITING in page.text
    assert f'id="comment-{comment_id}"' in page.text
    with open_client(app) as stranger:
        assert listing(stranger)["comments"] == []
        page = stranger.get("/threads/t1/comments", params={"site": "blog", "url": URL})
        assert f'id="comment-{comment_id}"' not in page.text
    with open_client(app, cookies={"sharekit_own": "tampered"}) as forger:
        assert listing(forger)["comments"] == []
    counts = client.post("/api/comment-counts", json={"site": "blog", "threads": ["t1"]})
    assert counts.json() == {"t1": 0}


def test_own_cookie_keeps_every_posted_id(client: TestClient, app: Starlette) -> None:
    first = post_form(client, submission(app, text=THREE_LINKS))
    second = post_form(client, submission(app, text=THREE_LINKS + " again"))
    ids = [int(r.headers["location"].rsplit("-", 1)[1]) for r in (first, second)]
    assert sorted(c["id"] for c in listing(client)["comments"]) == ids


# Replies and depth ----------------------------------------------------------------------------


def test_replies_nest_up_to_the_maximum_depth(client: TestClient, app: Starlette) -> None:
    chain = [add(client, app)]
    for _ in range(5):
        chain.append(add(client, app, parent=chain[-1]["id"]))
    assert [c["depth"] for c in chain] == [0, 1, 2, 3, 3, 3]
    assert [c["parent"] for c in chain] == [
        None,
        chain[0]["id"],
        chain[1]["id"],
        chain[2]["id"],
        chain[2]["id"],
        chain[2]["id"],
    ]
    listed = {c["id"]: (c["parent"], c["depth"]) for c in listing(client)["comments"]}
    assert listed == {c["id"]: (c["parent"], c["depth"]) for c in chain}


def test_form_reply_by_parent_field(client: TestClient, app: Starlette) -> None:
    root = add(client, app)
    response = post_form(client, submission(app, parent=str(root["id"])))
    assert response.status_code == 303
    reply_id = int(response.headers["location"].rsplit("-", 1)[1])
    reply = next(c for c in listing(client)["comments"] if c["id"] == reply_id)
    assert (reply["parent"], reply["depth"]) == (root["id"], 1)


@pytest.mark.parametrize("max_depth", [0, 1])
def test_shallow_maximum_depth(tmp_path: Path, max_depth: int) -> None:
    app = create_app(make_settings(tmp_path, comments_max_depth=max_depth))
    with open_client(app) as client:
        root = add(client, app)
        reply = add(client, app, parent=root["id"])
        deeper = add(client, app, parent=reply["id"])
    if max_depth == 0:
        assert (reply["parent"], reply["depth"]) == (None, 0)
        assert (deeper["parent"], deeper["depth"]) == (None, 0)
    else:
        assert (reply["parent"], reply["depth"]) == (root["id"], 1)
        assert (deeper["parent"], deeper["depth"]) == (root["id"], 1)


@pytest.mark.parametrize("kind", ["form", "json"])
def test_reply_to_a_comment_in_another_thread_is_400(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    elsewhere = add(client, app, "t2")
    data = submission(app, parent=str(elsewhere["id"]) if kind == "form" else elsewhere["id"])
    if kind == "form":
        assert_form_again(post_form(client, data), 400, NO_PARENT, data)
    else:
        response = post_json(client, data)
        assert response.status_code == 400
        assert response.json()["error"] == NO_PARENT
    assert stored(settings) == 1


@pytest.mark.parametrize("parent", [0, 999, -1, "abc", 1.5])
def test_reply_to_a_comment_that_does_not_exist(
    client: TestClient, app: Starlette, settings: Settings, parent: Any
) -> None:
    add(client, app)
    response = post_json(client, submission(app, parent=parent))
    assert response.status_code in {400, 422}
    assert stored(settings) == 1


# Listing ---------------------------------------------------------------------------------------


def test_listing_json_shape(client: TestClient, app: Starlette) -> None:
    empty = listing(client)
    assert empty == {"thread": "t1", "total": 0, "comments": [], "next": None}
    first = add(client, app, name="Ada", website="https://ada.example/")
    response = client.get(
        "/threads/t1/comments",
        params={"site": "blog"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache"
    body = response.json()
    assert set(body) == {"thread", "total", "comments", "next"}
    assert body["total"] == 1
    assert body["next"] is None
    (comment,) = body["comments"]
    assert comment == first
    assert set(comment) == COMMENT_KEYS
    assert comment["avatar"].startswith("<svg")
    assert "email" not in keys_anywhere(body)


def test_listing_order_and_nesting(client: TestClient, app: Starlette) -> None:
    a = add(client, app)
    b = add(client, app)
    a1 = add(client, app, parent=a["id"])
    b1 = add(client, app, parent=b["id"])
    a2 = add(client, app, parent=a1["id"])
    a3 = add(client, app, parent=a["id"])
    ids = [c["id"] for c in listing(client)["comments"]]
    assert ids == [a["id"], b["id"], a1["id"], b1["id"], a2["id"], a3["id"]]
    newest = [c["id"] for c in listing(client, order="newest")["comments"]]
    assert newest == [b["id"], a["id"], a1["id"], b1["id"], a2["id"], a3["id"]]
    page = client.get("/threads/t1/comments", params={"site": "blog", "fragment": "1"})
    articles = parse(page.text).articles
    expected = [a, a1, a2, a3, b, b1]
    assert articles == [f"comment-{c['id']}" for c in expected]
    newest_page = client.get(
        "/threads/t1/comments", params={"site": "blog", "fragment": "1", "order": "newest"}
    )
    assert parse(newest_page.text).articles == [
        f"comment-{c['id']}" for c in [b, b1, a, a1, a2, a3]
    ]
    # A reply sits inside its parent's list item, in a nested list.
    section = page.text
    start = section.index(f'id="comment-{a["id"]}"')
    end = section.index(f'id="comment-{b["id"]}"')
    assert section.count("data-sk-replies", start, end) == 2


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_pagination_with_a_cursor(tmp_path: Path, order: str) -> None:
    app = create_app(make_settings(tmp_path, comments_page_size=5))
    with open_client(app) as client:
        roots = [add(client, app)["id"] for _ in range(12)]
        reply = add(client, app, parent=roots[0 if order == "oldest" else -1])
        expected = roots if order == "oldest" else roots[::-1]
        params = {"order": "newest"} if order == "newest" else {}
        seen: list[int] = []
        pages = []
        cursor: str | None = None
        while True:
            body = listing(client, **params, **({"after": cursor} if cursor else {}))
            pages.append(body)
            seen.extend(c["id"] for c in body["comments"] if c["parent"] is None)
            cursor = body["next"]
            if cursor is None:
                break
            assert len(pages) < 5
        assert [len([c for c in p["comments"] if c["parent"] is None]) for p in pages] == [5, 5, 2]
        assert seen == expected
        assert reply["id"] in [c["id"] for c in pages[0]["comments"]]
        assert all(p["total"] == 13 for p in pages)
        # The HTML offers the next page as a link.
        page = client.get("/threads/t1/comments", params={"site": "blog", **params})
        assert "data-sk-more" in page.text
        assert html.escape(pages[0]["next"]) in page.text


def test_a_cursor_for_the_other_order_is_400(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_page_size=5))
    with open_client(app) as client:
        for _ in range(6):
            add(client, app)
        cursor = listing(client)["next"]
        assert cursor
        response = client.get(
            "/threads/t1/comments",
            params={"site": "blog", "format": "json", "order": "newest", "after": cursor},
        )
        assert response.status_code == 400


@pytest.mark.parametrize("cursor", ["garbage", "ü", "W10", "WyJ4IiwxLDBd"])
def test_a_bad_cursor_is_400(client: TestClient, app: Starlette, cursor: str) -> None:
    add(client, app)
    response = client.get(
        "/threads/t1/comments", params={"site": "blog", "format": "json", "after": cursor}
    )
    assert response.status_code == 400


def test_etag_and_304(client: TestClient, app: Starlette) -> None:
    add(client, app)
    params = {"site": "blog", "format": "json"}
    first = client.get("/threads/t1/comments", params=params)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    cached = client.get("/threads/t1/comments", params=params, headers={"if-none-match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    add(client, app)
    changed = client.get("/threads/t1/comments", params=params, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["comments"]) == 2
    html_page = client.get("/threads/t1/comments", params={"site": "blog"})
    assert html_page.headers["etag"] != changed.headers["etag"]


def test_a_cached_listing_is_sent_as_it_was_first(client: TestClient, app: Starlette) -> None:
    """The second answer comes from the listing cache, with the same bytes and headers;
    a foreign-but-allowed origin gets its own entry with its own CORS header."""
    add(client, app)
    params = {"site": "blog", "format": "json"}
    first = client.get("/threads/t1/comments", params=params)
    again = client.get("/threads/t1/comments", params=params)
    assert again.content == first.content
    for name in ("etag", "cache-control", "content-type", "content-length", "vary"):
        assert again.headers[name] == first.headers[name], name
    assert "access-control-allow-origin" not in again.headers
    cors = client.get("/threads/t1/comments", params=params, headers={"origin": BLOG})
    assert cors.headers["access-control-allow-origin"] == BLOG
    assert cors.headers["etag"] != first.headers["etag"]
    not_modified = client.get(
        "/threads/t1/comments", params=params, headers={"if-none-match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304


def test_a_cross_origin_json_post_sets_no_cookie(client: TestClient, app: Starlette) -> None:
    """The script posts with credentials "same-origin": a browser would drop a cookie from
    another origin's answer, so none is sent; the edit token in the body is the author's."""
    response = post_json(client, submission(app, text=THREE_LINKS))
    assert response.status_code == 202
    assert "set-cookie" not in response.headers
    assert response.json()["edit"]
    own = post_json(client, submission(app), origin=SELF)
    assert "sharekit_own=" in own.headers["set-cookie"]


def test_etag_differs_for_the_author_of_a_held_comment(client: TestClient, app: Starlette) -> None:
    params = {"site": "blog", "format": "json"}
    before = client.get("/threads/t1/comments", params=params).headers["etag"]
    with open_client(app) as stranger:
        stranger_etag = stranger.get("/threads/t1/comments", params=params).headers["etag"]
    assert before == stranger_etag
    post_form(client, submission(app, text=THREE_LINKS))
    with open_client(app) as stranger:
        stranger_after = stranger.get("/threads/t1/comments", params=params)
    mine = client.get("/threads/t1/comments", params=params)
    assert mine.headers["etag"] != stranger_after.headers["etag"]


def test_html_fragment(client: TestClient, app: Starlette) -> None:
    for _ in range(3):
        add(client, app)
    add(client, app, parent=1)
    response = client.get(
        "/threads/t1/comments", params={"site": "blog", "fragment": "1", "url": URL}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" not in response.text
    assert response.text.count("<article") == 4
    assert response.text.count("datetime=") == 4
    assert 'id="sk-comment-form"' in response.text
    assert 'name="token"' in response.text
    page = client.get("/threads/t1/comments", params={"site": "blog", "url": URL})
    assert page.text.lower().startswith("<!doctype html>")
    assert page.text.count("<article") == 4


def test_listing_with_the_sites_origin_gets_cors(client: TestClient, app: Starlette) -> None:
    add(client, app)
    response = client.get(
        "/threads/t1/comments", params={"site": "blog"}, headers={"origin": BLOG}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == BLOG
    assert "Origin" in response.headers["vary"]
    assert "<html" not in response.text  # cross-origin: the fragment
    assert 'href="http://testserver/comments/new?' in response.text
    as_json = client.get(
        "/threads/t1/comments", params={"site": "blog", "format": "json"}, headers={"origin": BLOG}
    )
    assert as_json.headers["access-control-allow-origin"] == BLOG
    plain = client.get("/threads/t1/comments", params={"site": "blog"})
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize("origin", [EVIL, "null", "http://blog.example"])
def test_listing_with_another_origin_is_403(client: TestClient, origin: str) -> None:
    response = client.get(
        "/threads/t1/comments", params={"site": "blog"}, headers={"origin": origin, **EN}
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_listing_of_an_unknown_site_is_404(client: TestClient) -> None:
    response = client.get("/threads/t1/comments", params={"site": "nope"})
    assert response.status_code == 404


def test_listing_with_a_url_off_the_site_is_400(client: TestClient) -> None:
    response = client.get(
        "/threads/t1/comments", params={"site": "blog", "url": "https://evil.example/"}
    )
    assert response.status_code == 400


def test_listing_escapes_what_visitors_wrote(client: TestClient, app: Starlette) -> None:
    add(client, app, name="<img src=x onerror=alert(1)>", text="<script>alert(1)</script>")
    page = client.get("/threads/t1/comments", params={"site": "blog", "fragment": "1"})
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_threads_are_separate(client: TestClient, app: Starlette) -> None:
    add(client, app, "t1")
    add(client, app, "t2")
    add(client, app, "t2")
    assert listing(client, "t1")["total"] == 1
    assert listing(client, "t2")["total"] == 2
    assert listing(client, "t3") == {"thread": "t3", "total": 0, "comments": [], "next": None}


# Counts and preview ---------------------------------------------------------------------------


def test_counts_are_approved_comments_per_thread(client: TestClient, app: Starlette) -> None:
    root = add(client, app, "t1")
    add(client, app, "t1", parent=root["id"])
    add(client, app, "t1", text=THREE_LINKS)  # held
    add(client, app, "t2")
    response = client.post(
        "/api/comment-counts",
        json={"site": "blog", "threads": ["t1", "t2", "t3", "t1"]},
        headers={"origin": BLOG},
    )
    assert response.status_code == 200
    assert response.json() == {"t1": 2, "t2": 1, "t3": 0}
    assert response.headers["access-control-allow-origin"] == BLOG
    assert client.post(
        "/api/comment-counts", json={"site": "other", "threads": ["t1"]}
    ).json() == {"t1": 0}
    assert client.post("/api/comment-counts", json={"site": "blog", "threads": []}).json() == {}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(b'{"site": "blog", "threads": "t1"}', "application/json", 400, id="string"),
        pytest.param(b'{"site": "blog", "threads": [1, 2]}', "application/json", 400, id="ints"),
        pytest.param(b'{"site": "blog"}', "application/json", 400, id="missing"),
        pytest.param(b'{"site": "blog", "threads": null}', "application/json", 400, id="null"),
        pytest.param(b'["t1"]', "application/json", 400, id="array"),
        pytest.param(b"{", "application/json", 400, id="broken"),
        pytest.param(b"\xff", "application/json", 400, id="not-utf8"),
        pytest.param(
            b'{"site": "blog", "site": "blog", "threads": []}', "application/json", 400, id="dup"
        ),
        pytest.param(b"site=blog&threads=t1", FORM_TYPE, 415, id="form"),
        pytest.param(b'{"site": "blog", "threads": []}', "text/plain", 415, id="text"),
        pytest.param(b'{"site": "nope", "threads": []}', "application/json", 404, id="no-site"),
    ],
)
def test_counts_refuse_bad_bodies(
    client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    response = client.post(
        "/api/comment-counts", content=body, headers={"content-type": content_type, **EN}
    )
    assert response.status_code == status
    assert response.json()["status"] == status


def test_counts_refuse_too_many_threads(client: TestClient) -> None:
    threads = [f"t{number}" for number in range(501)]
    response = client.post("/api/comment-counts", json={"site": "blog", "threads": threads})
    assert response.status_code == 400
    assert "500" in response.json()["error"]
    ok = client.post("/api/comment-counts", json={"site": "blog", "threads": threads[:500]})
    assert ok.status_code == 200


def test_counts_body_over_64_kb_is_413(client: TestClient) -> None:
    threads = ["x" * 100] * 700
    response = client.post("/api/comment-counts", json={"site": "blog", "threads": threads})
    assert response.status_code == 413


def test_preview_renders_like_the_server(client: TestClient) -> None:
    response = client.post(
        "/comments/preview",
        json={"site": "blog", "text": "Hi <script>alert(1)</script>\nsee https://a.example *x*"},
        headers={"origin": BLOG},
    )
    assert response.status_code == 200
    rendered = response.json()["html"]
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert '<a href="https://a.example" rel="nofollow ugc noopener">' in rendered
    assert "*x*" in rendered
    assert response.headers["access-control-allow-origin"] == BLOG


def test_preview_with_markdown(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_markdown=True))
    with open_client(app) as client:
        response = client.post(
            "/comments/preview", json={"site": "blog", "text": "*x* <b>y</b> [a](javascript:x)"}
        )
    rendered = response.json()["html"]
    assert "<em>x</em>" in rendered
    assert "<b>" not in rendered
    assert 'href="javascript' not in rendered


def test_preview_is_cut_at_the_maximum_length(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, comments_text_max=10))
    with open_client(app) as client:
        response = client.post("/comments/preview", json={"site": "blog", "text": "y" * 50})
    assert response.json()["html"] == "<p>" + "y" * 10 + "</p>"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"text": "hi"}', "text/plain", 415),
        (b"text=hi", FORM_TYPE, 415),
        (b"[]", "application/json", 400),
        (b'{"site": "nope", "text": "hi"}', "application/json", 404),
    ],
)
def test_preview_refuses_bad_bodies(
    client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    response = client.post(
        "/comments/preview", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == status


def test_preview_refuses_foreign_origins(client: TestClient) -> None:
    response = client.post(
        "/comments/preview",
        json={"site": "blog", "text": "hi"},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_a_null_honeypot_is_an_empty_one(client: TestClient, app: Starlette) -> None:
    response = post_json(client, {**submission(app), "company": None})
    assert response.status_code == 201, response.text


def test_preview_stores_nothing(client: TestClient, settings: Settings) -> None:
    client.post("/comments/preview", json={"site": "blog", "text": "hello there"})
    assert stored(settings) == 0


# The form alone -------------------------------------------------------------------------------


def test_new_form_for_a_reply(client: TestClient, app: Starlette) -> None:
    root = add(client, app)
    response = client.get(
        "/comments/new",
        params={
            "site": "blog",
            "thread": "t1",
            "url": URL,
            "title": "Über uns",
            "parent": str(root["id"]),
            "lang": "en",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = parse(response.text)
    assert page.fields["parent"]["value"] == str(root["id"])
    assert page.fields["thread"]["value"] == "t1"
    assert page.fields["url"]["value"] == URL
    assert page.fields["site"]["value"] == "blog"
    assert '<h3 class="sk-form__title" id="sk-form-title">Reply</h3>' in response.text
    assert "<title>Reply \u2013 Über uns</title>" in response.text
    reply = submission(
        app, parent=page.fields["parent"]["value"], token=page.fields["token"]["value"]
    )
    assert post_form(client, reply).status_code == 303


def test_new_form_without_parent(client: TestClient) -> None:
    response = client.get(
        "/comments/new", params={"site": "blog", "thread": "t1", "url": URL, "lang": "en"}
    )
    page = parse(response.text)
    assert page.fields["parent"]["value"] == ""
    assert "Leave a comment" in response.text


def test_new_form_in_the_sites_language(client: TestClient) -> None:
    response = client.get("/comments/new", params={"site": "blog", "thread": "t1", "url": URL})
    assert '<html lang="de">' in response.text


@pytest.mark.parametrize(
    "url", ["https://evil.example/post", "", "javascript:alert(1)", "http://blog.example/"]
)
def test_new_form_for_a_page_off_the_site_is_400(client: TestClient, url: str) -> None:
    response = client.get(
        "/comments/new", params={"site": "blog", "thread": "t1", "url": url}, headers=EN
    )
    assert response.status_code == 400
    assert NOT_ON_SITE in response.text
    assert 'name="token"' not in response.text


def test_new_form_for_an_unknown_site_is_404(client: TestClient) -> None:
    response = client.get("/comments/new", params={"site": "nope", "thread": "t1", "url": URL})
    assert response.status_code == 404


def test_new_form_with_a_superscript_parent(client: TestClient) -> None:
    response = client.get(
        "/comments/new", params={"site": "blog", "thread": "t1", "url": URL, "parent": "²"}
    )
    assert response.status_code < 500


@pytest.mark.parametrize("path", ["/comments", "/comments/preview", "/api/comment-counts"])
def test_get_on_post_routes_is_405(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 405
