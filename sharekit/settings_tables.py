"""The tables nested in the settings besides sites: the mail server and custom networks.

Each is a frozen model that forbids unknown keys, so a typo in ``[smtp]`` or
``[[share_custom_networks]]`` stops the start-up instead of being ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .settings_types import MailAddress

__all__ = ["CustomNetwork", "Smtp"]


class CustomNetwork(BaseModel):
    """A share target the site owner adds: its URL template decides where data goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(description="Short name, e.g. `myforum`; must not clash with a built-in.")
    label: str = Field(min_length=1, max_length=60, description="Name shown to visitors.")
    url_template: str = Field(
        description=(
            "https:// URL with `{url}`, `{title}`, `{text}` or `{media}` placeholders, "
            "e.g. `https://forum.example/share?u={url}&t={title}`."
        )
    )
    color: str = Field(
        default="#555555",
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Brand colour as `#RRGGBB`.",
    )
    icon: Path | None = Field(
        default=None,
        description="SVG file with a 24 by 24 monochrome icon; a generic one if unset.",
    )


class Smtp(BaseModel):
    """The mail server sharekit sends through (owner notifications, reply notifications)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1, description="SMTP server name or address.")
    port: int = Field(
        default=587, ge=1, le=65535, description="Port: 587 for STARTTLS, 465 for TLS."
    )
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="`starttls` (port 587), `tls` (implicit TLS, port 465) or `none`.",
    )
    user: str = Field(default="", description="Login name; empty sends without logging in.")
    password: SecretStr | None = Field(default=None, description="Login password.")
    sender: MailAddress = Field(description="The From address of every mail sharekit sends.")
    to: list[MailAddress] = Field(
        default_factory=list,
        description="The site owner's addresses, mailed about every new comment.",
    )
    timeout: float = Field(
        default=30.0, gt=0, le=300, description="Seconds one connection may take."
    )
