"""What a comment may hold: the validation table, as a unit and through POST /comments.

Every value is checked against ``parse_comment`` directly; a representative subset also goes
through both POST paths (form and JSON). A rejection is a 422 carrying the field's message,
and nothing is stored. Property tests throw arbitrary values and bodies at both paths.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from sharekit.comments.models import Comment, CommentIn, CommentLimits, parse_comment
from sharekit.errors import ValidationFailed
from tests import comments_support as support
from tests.comments_support import (
    BLOG,
    EN,
    JSON_EN,
    URL,
    parse,
    post_form,
    post_json,
    stored,
    token,
)

LEGAL = "https://legal.example"

NAME_MISSING = "Please enter your name."
NAME_LONG = "Your name can have at most 100 characters."
NOT_ALLOWED = "This field contains characters that are not allowed."
EMAIL_MISSING = "Please enter your email address."
EMAIL_LONG = "The email address can have at most 254 characters."
EMAIL_BAD = "Please enter a valid email address, like name@example.org."
WEB_LONG = "The web address can have at most 200 characters."
WEB_BAD = "Please enter a web address that starts with https:// or http://."
TEXT_MISSING = "Please write a comment."
TEXT_SHORT = "Please write at least 2 characters."
TEXT_LONG = "Your comment has 10001 characters; at most 10000 are allowed."
CONSENT = "Please agree to the storage of your data to post a comment."
SUMMARY = "Some fields need your attention."
# German translations verified in widgets/locale/de/LC_MESSAGES/sharekit.po (not fuzzy).
SUMMARY_DE = "Bitte prüfen Sie die markierten Felder."

# An address of exactly 254 characters: a 64-character local part and labels of at most 63.
DOMAIN_189 = "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".example"
EMAIL_254 = "a" * 64 + "@" + DOMAIN_189
EMAIL_255 = "a" * 64 + "@" + "d" + DOMAIN_189
WEBSITE_200 = "https://example.org/" + "a" * 180

VALID = {
    "thread": "t1",
    "url": URL,
    "name": "Ada",
    "email": "ada@example.org",
    "text": "A fine comment.",
}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """With a third site that has a privacy policy (so consent is required there)."""
    legal = Site(key="legal", origins=[LEGAL], privacy_policy_url=f"{LEGAL}/privacy")
    return support.make_settings(data_dir, **{"sites": [*support.SITES, legal], **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def stored_value(settings: Settings, column: str) -> Any:
    """One column of the newest stored comment (``name`` is stored as ``author``)."""
    column = {"name": "author"}.get(column, column)
    assert column in {"author", "email", "website", "text", "consent_at"}
    with closing(sqlite3.connect(settings.data_dir / "sharekit.db")) as db:
        return db.execute(f"SELECT {column} FROM comments ORDER BY id DESC LIMIT 1").fetchone()[0]


def listed_total(client: TestClient, thread: str = "t1", site: str = "blog") -> int:
    response = client.get(f"/threads/{thread}/comments", params={"site": site, "format": "json"})
    assert response.status_code == 200
    return int(response.json()["total"])


def submission(app: Starlette, site: str = "blog", **fields: Any) -> dict[str, Any]:
    base = {**VALID, "site": site, "token": token(app, site, "t1")}
    if site == "legal":
        base["url"] = f"{LEGAL}/post"
    return {**base, **fields}


def post(
    client: TestClient, kind: str, data: dict[str, Any], origin: str = BLOG
) -> httpx.Response:
    """POST /comments as a form or as JSON (then from ``origin``)."""
    return post_form(client, data) if kind == "form" else post_json(client, data, origin)


def field_problems(data: dict[str, Any], limits: CommentLimits | None = None) -> dict[str, str]:
    """The English message of each refused field (empty when the comment is valid)."""
    try:
        parse_comment(data, limits or CommentLimits())
    except ValidationFailed as exc:
        return exc.translated(lambda message: message)
    return {}


# The table -------------------------------------------------------------------------------

# (field, value as sent, value as kept)
ACCEPTED = [
    pytest.param("name", "Jürgen Weiß", "Jürgen Weiß", id="name-german"),
    pytest.param("name", "李小龙", "李小龙", id="name-chinese"),
    pytest.param("name", "Ada 😀🎉", "Ada 😀🎉", id="name-emoji"),
    pytest.param("name", "a" * 100, "a" * 100, id="name-100"),
    pytest.param("name", "  Jürgen   Weiß  ", "Jürgen Weiß", id="name-spaces-collapsed"),
    pytest.param("name", "Jo\u0308rg", "Jörg", id="name-nfc"),
    # Current behaviour: a bidi override is a format character (Cf), not a control character,
    # so it is kept; see the report (a display-spoofing question, not asserted as a bug).
    pytest.param("name", "Ada\u202eevil", "Ada\u202eevil", id="name-rtl-override-kept"),
    pytest.param("email", "jürgen@bücher.example", "jürgen@bücher.example", id="email-idn"),
    pytest.param("email", "用户@例子.广告", "用户@例子.广告", id="email-chinese"),
    pytest.param("email", "ada+comments@example.org", "ada+comments@example.org", id="email-plus"),
    pytest.param("email", "Ada@EXAMPLE.ORG", "Ada@example.org", id="email-domain-lowered"),
    pytest.param("email", "a@xn--bcher-kva.example", "a@bücher.example", id="email-punycode"),
    pytest.param("email", "  ada@example.org ", "ada@example.org", id="email-trimmed"),
    pytest.param("email", EMAIL_254, EMAIL_254, id="email-254"),
    pytest.param("website", "http://ada.example", "http://ada.example", id="website-http"),
    pytest.param(
        "website", "https://ada.example/p?q=1", "https://ada.example/p?q=1", id="web-https"
    ),
    pytest.param("website", WEBSITE_200, WEBSITE_200, id="website-200"),
    pytest.param("website", "", "", id="website-empty"),
    pytest.param("website", "   ", "", id="website-blank"),
    pytest.param("text", "ab", "ab", id="text-2"),
    pytest.param("text", "x" * 10_000, "x" * 10_000, id="text-10000"),
    pytest.param("text", "line one\nline\ttwo", "line one\nline\ttwo", id="text-newline-tab"),
    pytest.param("text", "one\r\ntwo\rthree", "one\ntwo\nthree", id="text-crlf"),
    pytest.param("text", "  padded  ", "padded", id="text-trimmed"),
    pytest.param("text", "Cafe\u0301 <b>&</b>", "Café <b>&</b>", id="text-nfc-markup-kept"),
]

# (field, value, English message)
REFUSED = [
    pytest.param("name", "", NAME_MISSING, id="name-empty"),
    pytest.param("name", " \t\u3000 ", NAME_MISSING, id="name-whitespace"),
    pytest.param("name", "a" * 101, NAME_LONG, id="name-101"),
    pytest.param("name", "Ada\x00", NOT_ALLOWED, id="name-nul"),
    pytest.param("name", "Ada\x07Bell", NOT_ALLOWED, id="name-bell"),
    pytest.param("name", "Ada\x1b[31m", NOT_ALLOWED, id="name-escape"),
    pytest.param("name", "Ada\nLovelace", NOT_ALLOWED, id="name-newline"),
    pytest.param("name", "Ada\u2028Lovelace", NOT_ALLOWED, id="name-line-separator"),
    pytest.param("name", "Ada\x85Lovelace", NOT_ALLOWED, id="name-c1-control"),
    pytest.param("email", "", EMAIL_MISSING, id="email-missing"),
    pytest.param("email", "   ", EMAIL_MISSING, id="email-blank"),
    pytest.param("email", EMAIL_255, EMAIL_LONG, id="email-255"),
    pytest.param("email", "a@", EMAIL_BAD, id="email-no-domain"),
    pytest.param("email", "@b.example", EMAIL_BAD, id="email-no-local"),
    pytest.param("email", "a b@c.de", EMAIL_BAD, id="email-space"),
    pytest.param("email", "a@b@c.de", EMAIL_BAD, id="email-two-at"),
    pytest.param("email", "ada", EMAIL_BAD, id="email-no-at"),
    pytest.param("email", "ada@example.org\x00", NOT_ALLOWED, id="email-nul"),
    pytest.param("website", "javascript:alert(1)", WEB_BAD, id="website-javascript"),
    pytest.param("website", "ftp://x.example", WEB_BAD, id="website-ftp"),
    pytest.param("website", "//evil.example", WEB_BAD, id="website-scheme-relative"),
    pytest.param("website", "ada.example", WEB_BAD, id="website-no-scheme"),
    pytest.param("website", "https://user:pw@ada.example", WEB_BAD, id="website-credentials"),
    pytest.param("website", WEBSITE_200 + "a", WEB_LONG, id="website-201"),
    pytest.param("website", "https://ada.example/\x00", NOT_ALLOWED, id="website-nul"),
    pytest.param(
        "website",
        "https://exa mple.org/",
        WEB_BAD,
        id="website-space-in-host",
    ),
    pytest.param("text", "", TEXT_MISSING, id="text-empty"),
    pytest.param("text", " \n\t\r\n ", TEXT_MISSING, id="text-whitespace"),
    pytest.param("text", "a", TEXT_SHORT, id="text-1"),
    pytest.param("text", "x" * 10_001, TEXT_LONG, id="text-10001"),
    pytest.param("text", "nul\x00inside", NOT_ALLOWED, id="text-nul"),
    pytest.param("text", "bell\x07", NOT_ALLOWED, id="text-bell"),
    pytest.param("text", "escape\x1b[2J", NOT_ALLOWED, id="text-escape"),
    pytest.param("text", "vertical\x0btab", NOT_ALLOWED, id="text-vertical-tab"),
    pytest.param("text", "form\x0cfeed", NOT_ALLOWED, id="text-form-feed"),
    pytest.param("text", "delete\x7f", NOT_ALLOWED, id="text-delete"),
    pytest.param("text", "c1\x9b", NOT_ALLOWED, id="text-c1"),
    pytest.param("text", "line\u2028separator", NOT_ALLOWED, id="text-line-separator"),
]


@pytest.mark.parametrize(("field", "value", "kept"), ACCEPTED)
def test_parse_accepts(field: str, value: str, kept: str) -> None:
    comment = parse_comment({**VALID, field: value}, CommentLimits())
    assert getattr(comment, field) == kept


def test_a_tab_inside_a_name_is_refused() -> None:
    assert field_problems({**VALID, "name": "Jürgen\tWeiß"}) == {"name": NOT_ALLOWED}


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_parse_refuses(field: str, value: str, message: str) -> None:
    assert field_problems({**VALID, field: value}) == {field: message}


def test_parse_reports_every_bad_field_at_once() -> None:
    problems = field_problems(
        {**VALID, "name": "", "email": "a@", "website": "ftp://x", "text": "a"}
    )
    assert problems == {
        "name": NAME_MISSING,
        "email": EMAIL_BAD,
        "website": WEB_BAD,
        "text": TEXT_SHORT,
    }


def test_missing_fields_count_as_empty() -> None:
    problems = field_problems({"thread": "t1", "url": URL})
    assert problems == {"name": NAME_MISSING, "email": EMAIL_MISSING, "text": TEXT_MISSING}


def test_missing_consent_is_refused_when_required() -> None:
    problems = field_problems(VALID, CommentLimits(consent_required=True))
    assert problems == {"consent": CONSENT}


def test_missing_email_is_fine_when_optional() -> None:
    data = {key: value for key, value in VALID.items() if key != "email"}
    assert parse_comment(data, CommentLimits(email_required=False)).email == ""


def test_email_is_optional_when_the_settings_say_so() -> None:
    limits = CommentLimits(email_required=False)
    comment = parse_comment({**VALID, "email": ""}, limits)
    assert comment.email == ""
    assert field_problems({**VALID, "email": "a@"}, limits) == {"email": EMAIL_BAD}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abcd", "Please write at least 5 characters."),
        ("x" * 21, "Your comment has 21 characters; at most 20 are allowed."),
        ("  abcd  ", "Please write at least 5 characters."),
    ],
)
def test_text_limits_come_from_the_settings(text: str, message: str) -> None:
    limits = CommentLimits(text_min=5, text_max=20)
    assert field_problems({**VALID, "text": text}, limits) == {"text": message}


@pytest.mark.parametrize("text", ["abcde", "x" * 20, "  abcde  "])
def test_text_within_configured_limits(text: str) -> None:
    assert parse_comment({**VALID, "text": text}, CommentLimits(text_min=5, text_max=20))


@pytest.mark.parametrize("consent", [True, "1", "on", "true"])
def test_consent_given(consent: Any) -> None:
    limits = CommentLimits(consent_required=True)
    assert parse_comment({**VALID, "consent": consent}, limits).consent is True


@pytest.mark.parametrize("consent", [False, "", "0", "off", "no"])
def test_consent_refused_when_required(consent: Any) -> None:
    data = {**VALID, "consent": consent}
    problems = field_problems(data, CommentLimits(consent_required=True))
    assert problems == {"consent": CONSENT}


def test_consent_not_needed_without_a_privacy_policy() -> None:
    assert parse_comment(VALID, CommentLimits()).consent is False


def test_the_public_comment_has_no_email_field() -> None:

    assert "email" not in Comment.model_fields
    assert "email" in CommentIn.model_fields


# The same table through POST /comments ---------------------------------------------------

ROUTE_REFUSED = [
    pytest.param("name", "", NAME_MISSING, id="name-empty"),
    pytest.param("name", "   ", NAME_MISSING, id="name-whitespace"),
    pytest.param("name", "a" * 101, NAME_LONG, id="name-101"),
    pytest.param("name", "Ada\x00", NOT_ALLOWED, id="name-nul"),
    pytest.param("name", "Ada\nLovelace", NOT_ALLOWED, id="name-newline"),
    pytest.param("email", "", EMAIL_MISSING, id="email-missing"),
    pytest.param("email", EMAIL_255, EMAIL_LONG, id="email-255"),
    pytest.param("email", "a@", EMAIL_BAD, id="email-a-at"),
    pytest.param("email", "@b", EMAIL_BAD, id="email-at-b"),
    pytest.param("email", "a b@c.de", EMAIL_BAD, id="email-space"),
    pytest.param("email", "a@b@c", EMAIL_BAD, id="email-two-at"),
    pytest.param("website", "javascript:alert(1)", WEB_BAD, id="website-javascript"),
    pytest.param("website", "ftp://x", WEB_BAD, id="website-ftp"),
    pytest.param("website", "//evil", WEB_BAD, id="website-scheme-relative"),
    pytest.param("website", WEBSITE_200 + "a", WEB_LONG, id="website-201"),
    pytest.param("text", "a", TEXT_SHORT, id="text-1"),
    pytest.param("text", "x" * 10_001, TEXT_LONG, id="text-10001"),
    pytest.param("text", " \r\n\t ", TEXT_MISSING, id="text-whitespace"),
    pytest.param("text", "nul\x00", NOT_ALLOWED, id="text-nul"),
    pytest.param("text", "bell\x07", NOT_ALLOWED, id="text-bell"),
]


@pytest.mark.parametrize(("field", "value", "message"), ROUTE_REFUSED)
def test_form_post_refuses(
    client: TestClient, app: Starlette, settings: Settings, field: str, value: str, message: str
) -> None:
    response = post_form(client, submission(app, **{field: value}))
    assert response.status_code == 422
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    form = parse(response.text)
    assert form.fields[field].get("aria-invalid") == "true"
    assert f"sk-c-{field}-error" in (form.fields[field].get("aria-describedby") or "").split()
    assert form.texts[f"sk-c-{field}-error"] == message
    assert html.escape(SUMMARY, quote=False) in response.text
    assert stored(settings) == 0
    assert listed_total(client) == 0


@pytest.mark.parametrize(("field", "value", "message"), ROUTE_REFUSED)
def test_json_post_refuses(
    client: TestClient, app: Starlette, settings: Settings, field: str, value: str, message: str
) -> None:
    response = post_json(client, submission(app, **{field: value}))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {field: message}
    assert body["error"] == SUMMARY
    assert body["status"] == 422
    assert stored(settings) == 0
    assert listed_total(client) == 0


# (field, value, value as stored)
ROUTE_ACCEPTED = [
    pytest.param("name", "Jürgen Weiß", "Jürgen Weiß", id="name-german"),
    pytest.param("name", "李小龙", "李小龙", id="name-chinese"),
    pytest.param("name", "😀 Smiley", "😀 Smiley", id="name-emoji"),
    pytest.param("name", "n" * 100, "n" * 100, id="name-100"),
    pytest.param("email", "jürgen@bücher.example", "jürgen@bücher.example", id="email-idn"),
    pytest.param("email", "用户@例子.广告", "用户@例子.广告", id="email-chinese"),
    pytest.param("email", "ada+tag@example.org", "ada+tag@example.org", id="email-plus"),
    pytest.param("email", "Ada@Example.ORG", "Ada@example.org", id="email-domain-lowered"),
    pytest.param("email", EMAIL_254, EMAIL_254, id="email-254"),
    pytest.param("website", "http://ada.example", "http://ada.example", id="website-http"),
    pytest.param("website", WEBSITE_200, WEBSITE_200, id="website-200"),
    pytest.param("website", "", None, id="website-empty"),
    pytest.param("text", "ab", "ab", id="text-2"),
    pytest.param("text", "y" * 10_000, "y" * 10_000, id="text-10000"),
    pytest.param("text", "one\r\ntwo\tthree", "one\ntwo\tthree", id="text-crlf-tab"),
]


@pytest.mark.parametrize("kind", ["form", "json"])
@pytest.mark.parametrize(("field", "value", "kept"), ROUTE_ACCEPTED)
def test_post_accepts(
    client: TestClient,
    app: Starlette,
    settings: Settings,
    kind: str,
    field: str,
    value: str,
    kept: str | None,
) -> None:
    data = submission(app, **{field: value})
    response = post_form(client, data) if kind == "form" else post_json(client, data)
    assert response.status_code == (303 if kind == "form" else 201), response.text
    assert stored(settings) == 1
    assert stored_value(settings, field) == kept
    assert listed_total(client) == 1


def test_crlf_is_normalised_in_the_rendered_comment(client: TestClient, app: Starlette) -> None:
    response = post_json(client, submission(app, text="one\r\ntwo\r\n\r\nthree\tfour"))
    assert response.status_code == 201
    assert response.json()["comment"]["html"] == "<p>one<br>\ntwo</p>\n<p>three\tfour</p>"


def test_form_errors_in_german(client: TestClient, app: Starlette, settings: Settings) -> None:
    response = client.post(
        "/comments", data=submission(app, name="", lang="de"), headers={"accept-language": "de"}
    )
    assert response.status_code == 422
    assert SUMMARY_DE in response.text
    assert SUMMARY not in response.text
    assert '<html lang="de">' in response.text
    assert stored(settings) == 0


def test_form_errors_follow_the_sites_language(client: TestClient, app: Starlette) -> None:
    response = client.post("/comments", data=submission(app, name=""))  # blog speaks German
    assert response.status_code == 422
    assert SUMMARY_DE in response.text


def test_form_errors_in_english_when_asked(client: TestClient, app: Starlette) -> None:
    response = client.post(
        "/comments", data=submission(app, name="", lang="en"), headers={"accept-language": "de"}
    )
    assert response.status_code == 422
    assert SUMMARY in response.text
    assert SUMMARY_DE not in response.text


def test_json_errors_in_german_with_accept_language(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    response = post_json(client, submission(app, name=""), **{"accept-language": "de"})
    assert response.status_code == 422
    assert response.json()["error"] == SUMMARY_DE
    assert set(response.json()["errors"]) == {"name"}
    assert stored(settings) == 0


def test_json_errors_follow_the_lang_field(client: TestClient, app: Starlette) -> None:
    response = client.post(
        "/comments", json=submission(app, name="", lang="de"), headers={"origin": BLOG}
    )
    assert response.status_code == 422
    assert response.json()["error"] == SUMMARY_DE


@pytest.mark.parametrize("kind", ["form", "json"])
def test_email_is_optional_through_the_routes(tmp_path: Path, kind: str) -> None:
    settings = make_settings(tmp_path, comments_email_required=False)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        page = client.get(
            "/comments/new", params={"site": "blog", "thread": "t1", "url": URL}, headers=EN
        )
        email = parse(page.text).fields["email"]
        assert "required" not in email
        data = submission(app)
        del data["email"]
        response = post_form(client, data) if kind == "form" else post_json(client, data)
        assert response.status_code == (303 if kind == "form" else 201)
        assert stored_value(settings, "email") is None
        refused = submission(app, email="a@", text="another one")
        response = post_form(client, refused) if kind == "form" else post_json(client, refused)
        assert response.status_code == 422
        assert EMAIL_BAD in response.text
        assert stored(settings) == 1


@pytest.mark.parametrize("kind", ["form", "json"])
def test_configured_text_limits_through_the_routes(tmp_path: Path, kind: str) -> None:
    settings = make_settings(tmp_path, comments_text_min=5, comments_text_max=20)
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        page = client.get("/comments/new", params={"site": "blog", "thread": "t1", "url": URL})
        text = parse(page.text).fields["text"]
        assert (text["minlength"], text["maxlength"]) == ("5", "20")
        for value, message in [
            ("abcd", "Please write at least 5 characters."),
            ("x" * 21, "Your comment has 21 characters; at most 20 are allowed."),
        ]:
            data = submission(app, text=value)
            response = post_form(client, data) if kind == "form" else post_json(client, data)
            assert response.status_code == 422
            assert html.escape(message, quote=False) in response.text
        assert stored(settings) == 0
        data = submission(app, text="x" * 20)
        response = post_form(client, data) if kind == "form" else post_json(client, data)
        assert response.status_code == (303 if kind == "form" else 201)
        assert stored(settings) == 1


@pytest.mark.parametrize(("kind", "refusal"), [("form", ""), ("form", "0"), ("json", False)])
def test_consent_is_required_on_a_site_with_a_privacy_policy(
    client: TestClient, app: Starlette, settings: Settings, kind: str, refusal: Any
) -> None:
    data = submission(app, site="legal", consent=refusal)
    if kind == "form":
        response = post_form(client, data)
        form = parse(response.text)
        assert form.fields["consent"].get("aria-invalid") == "true"
        assert form.texts["sk-c-consent-error"] == CONSENT
        assert f"{LEGAL}/privacy" in response.text
    else:
        response = post_json(client, data, origin=LEGAL)
        assert response.json()["errors"] == {"consent": CONSENT}
    assert response.status_code == 422
    assert stored(settings) == 0
    assert listed_total(client, site="legal") == 0
    consent: Any = "1" if kind == "form" else True
    data = submission(app, site="legal", consent=consent)
    response = post(client, kind, data, origin=LEGAL)
    assert response.status_code == (303 if kind == "form" else 201)
    assert stored_value(settings, "consent_at") is not None


@pytest.mark.parametrize("kind", ["form", "json"])
def test_consent_left_out_is_refused(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    data = submission(app, site="legal")  # an unchecked checkbox is not sent at all
    response = post(client, kind, data, origin=LEGAL)
    assert response.status_code == 422
    assert stored(settings) == 0


@pytest.mark.parametrize("kind", ["form", "json"])
def test_a_submission_without_name_email_and_text_is_refused(
    client: TestClient, app: Starlette, settings: Settings, kind: str
) -> None:
    data = {
        key: value
        for key, value in submission(app).items()
        if key in {"site", "thread", "url", "token"}
    }
    response = post_form(client, data) if kind == "form" else post_json(client, data)
    assert response.status_code == 422
    assert stored(settings) == 0


def test_consent_is_not_asked_without_a_privacy_policy(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    page = client.get("/comments/new", params={"site": "blog", "thread": "t1", "url": URL})
    assert "consent" not in parse(page.text).fields
    assert post_form(client, submission(app)).status_code == 303
    assert stored_value(settings, "consent_at") is None


def test_form_for_a_site_with_a_privacy_policy_asks_for_consent(client: TestClient) -> None:
    page = client.get(
        "/comments/new", params={"site": "legal", "thread": "t1", "url": f"{LEGAL}/post"}
    )
    consent = parse(page.text).fields["consent"]
    assert "required" in consent
    assert f'href="{LEGAL}/privacy"' in page.text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "This value is not valid."),
        (["Ada"], "This value is not valid."),
        ({"first": "Ada"}, "This value is not valid."),
    ],
)
def test_json_fields_of_the_wrong_type(
    client: TestClient, app: Starlette, settings: Settings, value: Any, message: str
) -> None:
    response = post_json(client, submission(app, name=value))
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": message}
    assert stored(settings) == 0


PARENT_BAD = "The comment you reply to is not valid."


@pytest.mark.parametrize(
    "parent",
    [True, False, 0, -1, 1.5, 10**30, 2**62, "abc", "-1", "1.5", " 1", "²", "①", "9" * 30, [1]],
)
def test_parse_refuses_bad_parents(parent: Any) -> None:
    assert field_problems({**VALID, "parent": parent}) == {"parent": PARENT_BAD}


@pytest.mark.parametrize(("parent", "kept"), [(None, None), ("", None), ("7", 7), (7, 7)])
def test_parse_accepts_parents(parent: Any, kept: int | None) -> None:
    assert parse_comment({**VALID, "parent": parent}, CommentLimits()).parent == kept


@pytest.mark.parametrize(
    ("kind", "parent"),
    [
        ("form", "²"),
        ("form", "①"),
        ("form", "9" * 30),
        ("form", "-1"),
        ("form", "abc"),
        ("json", True),
        ("json", 10**30),
        ("json", -1),
        ("json", 1.5),
        ("json", "²"),
        ("json", [1]),
    ],
)
def test_bad_parents_are_refused(
    client: TestClient, app: Starlette, settings: Settings, kind: str, parent: Any
) -> None:
    assert post_json(client, submission(app)).status_code == 201  # comment 1 exists
    response = post(client, kind, submission(app, parent=parent, text="a reply"))
    assert response.status_code == 422
    if kind == "form":
        assert parse(response.text).fields["parent"]["value"] == ""
    else:
        assert response.json()["errors"] == {"parent": PARENT_BAD}
    assert stored(settings) == 1


def test_json_url_with_a_lone_surrogate_is_refused(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    body = json.dumps(submission(app, url=URL + "/\ud800"))
    headers = {**JSON_EN, "content-type": "application/json"}
    response = client.post("/comments", content=body, headers=headers)
    assert response.status_code == 422
    assert stored(settings) == 0


@pytest.mark.parametrize("field", ["name", "email", "website", "text", "title", "thread"])
def test_json_lone_surrogates_in_checked_fields_are_refused(
    client: TestClient, app: Starlette, settings: Settings, field: str
) -> None:
    body = json.dumps(submission(app, **{field: "ab\ud800cd"}))
    headers = {**JSON_EN, "content-type": "application/json"}
    response = client.post("/comments", content=body, headers=headers)
    assert 400 <= response.status_code < 500
    assert stored(settings) == 0


# Property tests --------------------------------------------------------------------------

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F).filter(
    lambda c: c < " " or c >= "\x7f"
)
VALUES = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.one_of(CONTROL, st.characters()), max_size=40),
    st.sampled_from(["", " ", "\x00", "a@", "javascript:alert(1)", "https://x.example", "ab"]),
    st.builds(
        lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(1, 12_000)
    ),
)
FIELDS = {
    "name": VALUES | st.sampled_from(["Ada", "Jürgen Weiß", "李小龙"]),
    "email": VALUES | st.sampled_from(["ada@example.org", "jürgen@bücher.example", ""]),
    "website": VALUES | st.sampled_from(["", "https://ada.example/", "http://x.example"]),
    "text": VALUES | st.text(min_size=2, max_size=30).map(lambda text: f"Hello {text}"),
}
PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check_outcome(response: httpx.Response, before: int, after: int, success: int) -> None:
    assert response.status_code < 500, response.text
    if 400 <= response.status_code < 500:
        assert after == before, response.text
    else:
        assert response.status_code == success
        assert after == before + 1


@pytest.mark.parametrize("kind", ["form", "json"])
def test_arbitrary_field_values_never_fail(
    tmp_path_factory: pytest.TempPathFactory, kind: str
) -> None:
    settings = make_settings(tmp_path_factory.mktemp("fields"))
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        base = submission(app)

        @PROPERTY_SETTINGS
        @given(values=st.fixed_dictionaries({}, optional=FIELDS))
        def check(values: dict[str, str]) -> None:
            before = stored(settings)
            data = {**base, **values}
            if kind == "form":
                response = post_form(client, data)
                success = 303
            else:
                response = post_json(client, data)
                success = 201
            _check_outcome(response, before, stored(settings), success)

        check()


FORM_KEYS = st.sampled_from(
    [
        "site",
        "thread",
        "url",
        "token",
        "name",
        "email",
        "website",
        "text",
        "title",
        "lang",
        "consent",
        "company",
        "remember",
        "parent",
    ]
)
FUZZ_VALUES = st.one_of(
    st.text(max_size=50), st.sampled_from(["", "blog", "t1", URL, "1", "²", "9" * 30])
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.integers(-(2**40), 2**40)
    | FUZZ_VALUES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_arbitrary_bodies_never_fail(
    tmp_path_factory: pytest.TempPathFactory, content_type: str
) -> None:
    settings = make_settings(tmp_path_factory.mktemp("bodies"))
    app = create_app(settings)
    headers = {**JSON_EN, "content-type": content_type}
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:

        @PROPERTY_SETTINGS
        @given(body=st.binary(max_size=3000))
        def check(body: bytes) -> None:
            before = stored(settings)
            response = client.post("/comments", content=body, headers=headers)
            assert 400 <= response.status_code < 500, response.text
            assert stored(settings) == before

        check()


@pytest.mark.parametrize("kind", ["form", "json"])
def test_arbitrary_structured_bodies_never_fail(
    tmp_path_factory: pytest.TempPathFactory, kind: str
) -> None:
    settings = make_settings(tmp_path_factory.mktemp("structured"))
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        base = submission(app)
        values = FUZZ_VALUES if kind == "form" else JSON_VALUES

        @PROPERTY_SETTINGS
        @given(changes=st.dictionaries(FORM_KEYS, values, max_size=6))
        def check(changes: dict[str, Any]) -> None:
            before = stored(settings)
            data = {**base, **changes}
            if kind == "form":
                body = urlencode(data).encode()
                content_type = "application/x-www-form-urlencoded"
                success = 303
            else:
                body = json.dumps(data).encode()
                content_type = "application/json"
                success = 201
            headers = {**JSON_EN, "content-type": content_type}
            response = client.post("/comments", content=body, headers=headers)
            _check_outcome(response, before, stored(settings), success)

        check()
