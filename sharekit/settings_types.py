"""The value types of the configuration: reusable ``Annotated`` constraints.

They live apart from the models so that the settings, a site and the nested tables all
validate a language, an origin or a mail address the same way, with the same message.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from .origins import normalise_origin

__all__ = [
    "Language",
    "MailAddress",
    "ModerationMode",
    "Origin",
    "ProxyNetwork",
    "SiteKey",
]


def _normalise_language(value: str) -> str:
    """Return a language tag in BCP 47 form (``de``, ``de-AT``); raise ``ValueError`` if bad."""
    parts = value.replace("_", "-").split("-")
    if not (2 <= len(parts[0]) <= 3 and parts[0].isalpha() and parts[0].isascii()):
        raise ValueError(f"{value!r} is not a language tag like 'de' or 'en-GB'")
    if len(parts) > 2 or (len(parts) == 2 and not (parts[1].isalnum() and parts[1].isascii())):
        raise ValueError(f"{value!r} is not a language tag like 'de' or 'en-GB'")
    return "-".join([parts[0].lower(), *(p.upper() for p in parts[1:])])


Language = Annotated[str, AfterValidator(_normalise_language)]
"""A language tag such as ``de`` or ``de-AT``, normalised to BCP 47 spelling."""

Origin = Annotated[str, AfterValidator(normalise_origin)]
"""A web origin (``scheme://host[:port]``), normalised: lower case, punycode, no default port."""

SiteKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", strip_whitespace=True)
]
"""A short, URL-safe name for a site: lower-case letters, digits, ``-`` and ``_``."""

ProxyNetwork = IPv4Network | IPv6Network
"""A network of reverse proxies, such as ``127.0.0.1/32``: see ``trusted_proxies``."""

ModerationMode = Literal["off", "links", "first", "all"]
"""How comments are held for moderation: see ``comments_moderation``."""

MailAddress = Annotated[
    str, StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+$", max_length=254, strip_whitespace=True)
]
"""An email address, checked for shape only: one ``@``, no spaces or angle brackets."""
