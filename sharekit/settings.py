"""Configuration: one pydantic-settings model, read from ``SHAREKIT_*`` variables and/or TOML.

Precedence, highest first: explicit keyword arguments (the CLI's flags), environment
variables, the TOML file, the defaults written here. ``docs/configuration.md`` is generated
from the field descriptions below (``sharekit config-docs``), so they are the documentation.

The nested tables (:mod:`sharekit.sites`, :mod:`sharekit.settings_tables`), their value
types (:mod:`sharekit.settings_types`) and the file reading (:mod:`sharekit.settings_sources`)
have modules of their own; the names in ``__all__`` stay importable from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from .errors import ConfigurationError
from .origins import origin_of
from .settings_sources import merged, read_config_file
from .settings_tables import CustomNetwork, Smtp
from .settings_types import Language, ModerationMode, Origin, ProxyNetwork, SiteKey
from .sites import Site

__all__ = [
    "CustomNetwork",
    "Language",
    "ModerationMode",
    "Origin",
    "Settings",
    "Site",
    "SiteKey",
    "Smtp",
]


class Settings(BaseSettings):
    """Everything sharekit can be told: one instance per app, no globals."""

    model_config = SettingsConfigDict(
        env_prefix="SHAREKIT_",
        extra="forbid",
        env_nested_delimiter="__",
        validate_default=True,
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Signs tokens and keys the hashes of visitors' addresses; keep it secret and stable. "
            "Required by `sharekit serve` (`sharekit demo` makes one in the data directory)."
        ),
    )
    sites: list[Site] = Field(
        default_factory=list,
        description="The sites that use this service; at least one is needed to serve.",
    )
    default_language: Language = Field(
        default="en", description="Language used when neither the page nor the site names one."
    )
    public_url: str = Field(
        default="/sharekit",
        description=(
            "Where browsers reach the service: a path on the site's own origin (`/sharekit`) "
            "or an absolute URL (`https://comments.example`). Template tags link here."
        ),
    )
    data_dir: Path = Field(
        default=Path("sharekit-data"),
        description="Directory for the SQLite database and other local state; created if missing.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the database; empty means a SQLite file `sharekit.db` in "
            "`data_dir`. Use `postgresql+asyncpg://…` for several workers or hosts."
        ),
    )
    share_networks: list[str] = Field(
        default_factory=lambda: [
            "mastodon",
            "bluesky",
            "threads",
            "linkedin",
            "xing",
            "whatsapp",
            "email",
            "copy",
        ],
        description="Networks a share bar shows when the tag does not list its own, in order.",
    )
    share_custom_networks: list[CustomNetwork] = Field(
        default_factory=list, description="Extra share targets, usable by their key."
    )
    share_remember_consent: bool = Field(
        default=False,
        description=(
            'Offer visitors a "don\'t ask again in this tab" box that skips the arming click '
            "for a network until the tab is closed (kept in sessionStorage)."
        ),
    )
    share_counts: bool = Field(
        default=False,
        description=(
            "Count completed shares per page, network and day (no IP, no cookie) and serve "
            "them at `/api/counts`."
        ),
    )
    comments_email_required: bool = Field(
        default=True, description="Whether commenters must give an email address (never shown)."
    )
    comments_markdown: bool = Field(
        default=False,
        description="Render a small Markdown subset (emphasis, code, lists, quotes, links).",
    )
    comments_text_min: int = Field(
        default=2, ge=1, le=1000, description="Fewest characters a comment may have."
    )
    comments_text_max: int = Field(
        default=10_000, ge=10, le=100_000, description="Most characters a comment may have."
    )
    comments_max_depth: int = Field(
        default=3,
        ge=0,
        le=10,
        description="How deep replies nest; deeper ones join the last level.",
    )
    comments_page_size: int = Field(
        default=50, ge=5, le=500, description="Top-level comments per page of a thread."
    )
    comments_moderation: ModerationMode = Field(
        default="links",
        description=(
            "`off` publishes at once; `links` holds comments with more than "
            "`comments_max_links` links or a blocklisted word; `first` also holds a "
            "commenter's comments until one from the same address has been approved; "
            "`all` holds every comment. A site can choose its own (`moderation`)."
        ),
    )
    comments_pending_retention_days: int = Field(
        default=30, ge=1, description="Days after which comments still held are deleted."
    )
    comments_spam_retention_days: int = Field(
        default=7, ge=1, description="Days after which comments marked as spam are deleted."
    )
    comments_reply_notifications: bool = Field(
        default=True,
        description=(
            "With `smtp` set, offer commenters to be mailed about replies in their thread "
            "(double opt-in)."
        ),
    )
    comments_max_links: int = Field(
        default=2,
        ge=0,
        description="Links a comment may have before it is held (moderation `links`).",
    )
    comments_blocklist: list[str] = Field(
        default_factory=list,
        description="Words or phrases that hold a comment for moderation (case-insensitive).",
    )
    comments_min_seconds: float = Field(
        default=3.0,
        ge=0,
        description="A form sent sooner than this after it was shown is refused.",
    )
    comments_token_max_age: int = Field(
        default=7200, ge=60, description="Seconds a comment form stays valid (signed token)."
    )
    comments_rate_per_15s: int = Field(
        default=1, ge=1, description="Comments one visitor network may post per 15 seconds."
    )
    comments_rate_per_hour: int = Field(
        default=10, ge=1, description="Comments one visitor network may post per hour."
    )
    comments_edit_window: int = Field(
        default=900, ge=0, description="Seconds in which authors may edit or delete a comment."
    )
    comments_check_deliverability: bool = Field(
        default=False,
        description=(
            "Ask DNS whether an email domain accepts mail (with a timeout; accepted when DNS "
            "cannot be reached)."
        ),
    )
    client_key_retention_days: int = Field(
        default=7,
        ge=1,
        description="Days after which the keyed hashes of visitors' networks are erased.",
    )
    print_pdf_page_size: Literal["A4", "Letter"] = Field(
        default="A4", description="Paper size of the PDF files (`/pdf`)."
    )
    print_max_bytes: int = Field(
        default=2_000_000,
        ge=10_000,
        description="Largest page (or image) the print view fetches from a site, in bytes.",
    )
    print_timeout: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Seconds one fetch for the print view may take, redirects included.",
    )
    print_pdf_concurrency: int = Field(
        default=2, ge=1, description="PDF files rendered at the same time, per process."
    )
    print_pdf_queue_wait: float = Field(
        default=5.0,
        ge=0,
        description=(
            "Seconds a PDF request waits for a free render slot before a 503 with Retry-After."
        ),
    )
    print_pdf_cache_entries: int = Field(
        default=32,
        ge=0,
        description="Rendered PDF files kept per process (revalidated with the source).",
    )
    request_body_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description=(
            "Seconds a client may take to send a request body before a 408 (slow uploads "
            "must not hold a connection open)."
        ),
    )
    smtp: Smtp | None = Field(
        default=None,
        description=(
            "Mail server for notifications (a `[smtp]` table); unset sends no mail at all."
        ),
    )
    mail_link_max_age_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Days the signed links in mails (approve, spam, delete, confirm) work.",
    )
    mail_max_attempts: int = Field(
        default=12,
        ge=1,
        description=(
            "Tries to deliver one mail, with growing pauses (about two days in all), "
            "before it is given up and logged."
        ),
    )
    mail_poll_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often the mail queue is checked for mail due to be (re)sent.",
    )
    admin_password_hash: SecretStr | None = Field(
        default=None,
        description=(
            "Hash of the password for `/admin` (`sharekit hash-password` prints one); "
            "unset turns the admin off."
        ),
    )
    admin_session_max_age: int = Field(
        default=8 * 3600, ge=60, description="Seconds an admin login lasts."
    )
    admin_login_attempts: int = Field(
        default=5, ge=1, description="Failed admin logins one network may make per 15 minutes."
    )
    privacy_erase: Literal["anonymise", "delete"] = Field(
        default="anonymise",
        description=(
            "What erasing a commenter's data does to their comments: `anonymise` keeps "
            "the text without name, email, website or keys; `delete` removes the comments."
        ),
    )
    auto_migrate: bool | None = Field(
        default=None,
        description=(
            "Bring the database schema up to date at start-up; unset means yes for SQLite and "
            "no for PostgreSQL, where `sharekit migrate` runs once per upgrade."
        ),
    )
    trusted_proxies: list[ProxyNetwork] = Field(
        default_factory=list,
        description=(
            "Networks of reverse proxies whose `X-Forwarded-For` header is believed, "
            'e.g. `["127.0.0.1/32"]`; empty trusts none.'
        ),
    )

    @model_validator(mode="after")
    def _fill_derived(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'sharekit.db'}"
        self.public_url = self.public_url.rstrip("/")
        keys = [site.key for site in self.sites]
        if len(keys) != len(set(keys)):
            raise ValueError("two sites have the same key; each site needs its own")
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 16:
            raise ValueError("secret_key is too short: use at least 32 random characters")
        return self

    @classmethod
    def load(cls, config_file: Path | str | None = None, **overrides: Any) -> Settings:
        """Read settings from a TOML file (optional), the environment and keyword overrides.

        Raises :class:`~sharekit.ConfigurationError` with a readable message on any problem.
        """
        file_values: dict[str, Any] = {}
        if config_file is not None:
            file_values = read_config_file(config_file)
        try:
            env_values = EnvSettingsSource(cls)()
            # Tables merge key by key: SHAREKIT_SMTP__PASSWORD adds the password to the
            # file's [smtp] table instead of replacing the table.
            return cls(**merged(merged(file_values, env_values), overrides))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ConfigurationError.from_validation(exc, source=config_file) from exc

    def require_service_ready(self) -> None:
        """Raise :class:`~sharekit.ConfigurationError` unless a secret and a site are set."""
        if self.secret_key is None:
            raise ConfigurationError(
                "no secret key: set SHAREKIT_SECRET_KEY or secret_key in the config file "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if not self.sites:
            raise ConfigurationError(
                "no site configured: add at least one [[sites]] entry with a key and origins"
            )

    @property
    def migrates_automatically(self) -> bool:
        """Whether the service migrates the schema itself (see ``auto_migrate``)."""
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.database_url.startswith("sqlite")

    def site(self, key: str) -> Site | None:
        """Return the site with this key, or ``None``."""
        return next((site for site in self.sites if site.key == key), None)

    def site_for_url(self, url: str) -> Site | None:
        """Return the site whose origins include this absolute URL's origin, or ``None``."""
        origin = origin_of(url)
        return next((site for site in self.sites if origin in site.origins), None)

    def moderation_of(self, site: Site) -> ModerationMode:
        """The moderation mode of a site."""
        return site.moderation or self.comments_moderation

    def owner_addresses(self, site: Site) -> list[str]:
        """Who is mailed about new comments on a site (empty: nobody, or no SMTP)."""
        if self.smtp is None:
            return []
        return list(site.notify if site.notify is not None else self.smtp.to)

    def language_of(self, site: Site | None) -> str:
        """The language a site's pages speak when nothing more specific is known."""
        return (site.language if site else None) or self.default_language
