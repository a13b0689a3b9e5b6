"""Building mails: parts, encodings, and headers that cannot be injected into."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import aiosmtplib
import pytest

from sharekit import Settings, Site, create_app
from sharekit.mail.context import MailContext
from sharekit.mail.messages import HeaderInjection, compose
from sharekit.mail.smtp import describe

SENDER = "blog@example.org"
TO = "owner@example.org"


def received(message: EmailMessage) -> EmailMessage:
    """The message as a mail program reads it, after the trip through SMTP's bytes."""
    parsed = email.message_from_bytes(message.as_bytes(policy=default), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_mail_has_text_and_html_parts_in_utf8() -> None:
    message = received(
        compose(
            sender=SENDER,
            to=TO,
            subject="Neuer Kommentar",
            text="Grüße aus dem Süden\n",
            html="<p>Grüße aus dem Süden</p>",
            sender_name="Blog",
        )
    )
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    assert plain.get_content_charset() == "utf-8"
    assert plain.get_content() == "Grüße aus dem Süden\n"
    assert "<p>Grüße aus dem Süden</p>" in rich.get_content()
    assert message["From"] == f"Blog <{SENDER}>"
    assert message["To"] == TO
    assert message["Subject"] == "Neuer Kommentar"
    assert message["Date"]
    assert message["Message-ID"].endswith("@example.org>")


def test_without_html_the_mail_is_plain_text() -> None:
    message = received(compose(sender=SENDER, to=TO, subject="Hi", text="Hello"))
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Hello\n"


def test_non_ascii_names_and_subjects_are_encoded_and_come_back() -> None:
    message = compose(
        sender=SENDER,
        to=[TO, "zweite@example.org"],
        subject="Kommentar zu „Wandern im Höllental“ \u2013 5 €",
        text="x",
        sender_name='Jörg\'s "Blog", Ωμέγα',
    )
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # encoded words, not raw UTF-8, in the header
    back = received(message)
    assert back["Subject"] == "Kommentar zu „Wandern im Höllental“ \u2013 5 €"
    assert back["From"].addresses[0].display_name == 'Jörg\'s "Blog", Ωμέγα'
    assert back["From"].addresses[0].addr_spec == SENDER
    assert [a.addr_spec for a in back["To"].addresses] == [TO, "zweite@example.org"]


def test_extra_headers_are_added() -> None:
    message = received(
        compose(
            sender=SENDER,
            to=TO,
            subject="Hi",
            text="x",
            headers={
                "List-Unsubscribe": "<https://blog.example/sharekit/u/abc>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    )
    assert message["List-Unsubscribe"] == "<https://blog.example/sharekit/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


INJECTIONS = [
    pytest.param({"subject": "Hi\r\nBcc: eve@evil.example"}, id="subject CRLF"),
    pytest.param({"subject": "Hi\nBcc: eve@evil.example"}, id="subject LF"),
    pytest.param({"subject": "Hi\rBcc: eve@evil.example"}, id="subject CR"),
    pytest.param({"subject": "Hi\x00there"}, id="subject NUL"),
    pytest.param({"subject": "Hi\u2028Bcc: eve@evil.example"}, id="subject line separator"),
    pytest.param({"sender_name": "Ana\r\nBcc: eve@evil.example"}, id="name CRLF"),
    pytest.param({"sender_name": "Ana\nX-Evil: 1"}, id="name LF"),
    pytest.param({"to": "ana@example.org\r\nBcc: eve@evil.example"}, id="address CRLF"),
    pytest.param({"to": ["ok@example.org", "ana@example.org\nCc: e@x.example"]}, id="2nd to"),
    pytest.param({"sender": "blog@example.org\nBcc: eve@evil.example"}, id="sender LF"),
    pytest.param({"headers": {"X-Note": "a\r\nBcc: eve@evil.example"}}, id="extra value"),
    pytest.param({"headers": {"X-Note\r\nBcc": "eve@evil.example"}}, id="extra name"),
    pytest.param({"headers": {"Bcc": "eve@evil.example"}}, id="extra replaces Bcc"),
    pytest.param({"headers": {"To": "eve@evil.example"}}, id="extra replaces To"),
    pytest.param({"to": "not an address"}, id="malformed address"),
    pytest.param({"to": []}, id="nobody"),
]


@pytest.mark.parametrize("change", INJECTIONS)
def test_header_injection_is_refused(change: dict[str, object]) -> None:
    values: dict[str, object] = {"sender": SENDER, "to": TO, "subject": "Hi", "text": "x"}
    values.update(change)
    with pytest.raises(HeaderInjection) as caught:
        compose(**values)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert "@" not in str(caught.value)  # the message never repeats an address


def test_line_breaks_in_the_body_are_fine() -> None:
    message = received(compose(sender=SENDER, to=TO, subject="Hi", text="a\r\nBcc: b\n"))
    assert message["Bcc"] is None


SMTP_ERRORS = [
    aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "no such user ana@example.org", "ana@example.org")]
    ),
    aiosmtplib.SMTPResponseException(550, "5.1.1 <ana@example.org>: Recipient rejected"),
    aiosmtplib.SMTPSenderRefused(553, "sender <blog@example.org> refused", "blog@example.org"),
    aiosmtplib.SMTPAuthenticationError(535, "user ana@example.org: bad password"),
    aiosmtplib.SMTPConnectError("Error connecting to smtp.example on port 587: refused"),
    aiosmtplib.SMTPConnectTimeoutError("timed out connecting"),
    aiosmtplib.SMTPServerDisconnected("gone"),
    ConnectionRefusedError(111, "Connection refused"),
    OSError(101, "Network unreachable"),
]


@pytest.mark.parametrize("exc", SMTP_ERRORS, ids=lambda exc: type(exc).__name__)
def test_smtp_errors_are_described_without_addresses(exc: Exception) -> None:
    text = describe(exc, "smtp.example:587")
    assert "smtp.example:587" in text
    assert "@" not in text


def test_a_refused_connection_says_so() -> None:
    assert describe(ConnectionRefusedError(), "smtp.example:587") == (
        "connection refused by smtp.example:587"
    )


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("/sharekit", "https://blog.example/sharekit/moderate/t"),
        ("/", "https://blog.example/moderate/t"),
        ("https://comments.example/", "https://comments.example/moderate/t"),
        ("https://comments.example/sk", "https://comments.example/sk/moderate/t"),
    ],
)
def test_absolute_urls_for_mails(tmp_path: Path, public_url: str, expected: str) -> None:
    site = Site(key="blog", origins=["https://blog.example", "https://www.blog.example"])
    settings = Settings(
        secret_key="x" * 32,
        data_dir=tmp_path,
        sites=[site],
        public_url=public_url,
        smtp={"host": "127.0.0.1", "sender": SENDER},
    )
    comments = create_app(settings).state.sharekit.comments
    assert MailContext.of(comments).absolute(site, "/moderate/t") == expected
