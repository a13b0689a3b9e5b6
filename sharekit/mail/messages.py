"""Building mails: a plain-text part, an optional HTML alternative, and safe headers.

Every header value is checked before it is used: a name, subject or address with a line
break (or any other control character) could otherwise add headers or recipients of its
own, so it is refused with :class:`HeaderInjection`. Display names go through
:class:`email.headerregistry.Address`, which encodes non-ASCII names (RFC 2047).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, make_msgid

__all__ = ["HeaderInjection", "compose", "one_line"]

# C0 controls except TAB, DEL, C1 controls, and Unicode's line and paragraph separators:
# anything a mail program might take for the end of a header line.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# A header field name (RFC 5322 3.6.8): printable ASCII without the colon.
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")
# The start of an RFC 2047 encoded word: the email package decodes one in a value it is
# given, so "=?utf-8?q?=0D=0ABcc:…?=" would come out as a real line break and header.
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?", re.IGNORECASE)
_RESERVED = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id"})


class _OneLine(UnstructuredHeader, BaseHeader):
    """A header written as it is, on one line. The email package would fold a long URL
    that has no space in it into RFC 2047 encoded words, and mail clients would not find
    the ``<https://…>`` of ``List-Unsubscribe`` in those (RFC 2369 folds at spaces only;
    a line may have 998 characters)."""

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _OneLine)
_POLICY = SMTP.clone(header_factory=_HEADERS)


def one_line(text: str, most: int) -> str:
    """``text`` fit for a header: every control character a space, runs of space one,
    at most ``most`` characters.

    >>> one_line("Ein Titel\\r\\nBcc: eve@example.org", 20)
    'Ein Titel Bcc: eve@…'
    >>> one_line("=?utf-8?q?A=0D=0ABcc:_eve@example.org?=", 60)
    '= ?utf-8?q?A=0D=0ABcc:_eve@example.org?='
    """
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    flat = _ENCODED_WORD.sub(lambda found: "= " + found.group()[1:], flat)
    return flat if len(flat) <= most else flat[: most - 1].rstrip() + "…"


class HeaderInjection(ValueError):
    """A header value holds a line break or another control character (or is malformed)."""

    def __init__(self, header: str) -> None:
        # Only the header's name: the value may be someone's address.
        super().__init__(f"control character or malformed value in {header}")
        self.header = header


def _checked(header: str, value: str) -> str:
    if _CONTROL.search(value) or _ENCODED_WORD.search(value):
        raise HeaderInjection(header)
    return value


def _address(header: str, address: str, name: str = "") -> Address:
    _checked(header, address)
    _checked(header, name)
    try:
        parsed = Address(display_name=name, addr_spec=address.strip())
    except (ValueError, HeaderParseError, IndexError):
        raise HeaderInjection(header) from None
    if not parsed.username or not parsed.domain:
        raise HeaderInjection(header)
    return parsed


def compose(
    *,
    sender: str,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] = {},
    sender_name: str = "",
    now: datetime | None = None,
) -> EmailMessage:
    """A UTF-8 mail from ``sender`` (shown as ``sender_name``) to one or more addresses,
    with ``Date`` and ``Message-ID`` set. ``headers`` adds fields such as
    ``List-Unsubscribe``; they cannot replace the ones set here.

    >>> message = compose(sender="blog@example.org", to="ana@example.org",
    ...                   subject="Grüße", text="Hallo", sender_name="Jörg's Blog")
    >>> str(message["From"])
    "Jörg's Blog <blog@example.org>"
    >>> compose(sender="blog@example.org", to="ana@example.org",
    ...         subject="Hi\\r\\nBcc: eve@example.org", text="x")
    Traceback (most recent call last):
    ...
    sharekit.mail.messages.HeaderInjection: control character or malformed value in Subject
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise HeaderInjection("To")
    origin = _address("From", sender, sender_name)
    message = EmailMessage(policy=_POLICY)
    message["From"] = origin
    message["To"] = [_address("To", address) for address in recipients]
    message["Subject"] = _checked("Subject", subject)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=origin.domain)
    for name, value in headers.items():
        if not _FIELD_NAME.match(name) or name.lower() in _RESERVED:
            raise HeaderInjection(name if _FIELD_NAME.match(name) else "extra")
        message[name] = _checked(name, value)
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
