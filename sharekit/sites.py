"""A site: one website that embeds sharekit, as configured in a ``[[sites]]`` table.

It has a module of its own because nearly every capability takes one: the origins decide
which pages may use the service, and the optional fields override the service-wide
defaults for this site alone.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from .origins import origin_of
from .settings_types import Language, MailAddress, ModerationMode, Origin, SiteKey

__all__ = ["Site"]


class Site(BaseModel):
    """One website that embeds sharekit: where its pages live and how it speaks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: SiteKey = Field(description="Short name of the site, used in URLs and the database.")
    origins: list[Origin] = Field(
        min_length=1,
        description="Origins whose pages may use the service, e.g. `https://blog.example`.",
    )
    name: str = Field(
        default="", max_length=200, description="Human-readable site name, shown in mails."
    )
    language: Language | None = Field(
        default=None, description="Language of the site's pages; defaults to `default_language`."
    )
    privacy_policy_url: HttpUrl | None = Field(
        default=None,
        description="The site's privacy policy; when set, forms link it and ask for consent.",
    )
    moderation: ModerationMode | None = Field(
        default=None,
        description="This site's moderation mode; defaults to `comments_moderation`.",
    )
    notify: list[MailAddress] | None = Field(
        default=None,
        description=(
            "Who is mailed about new comments on this site; defaults to `smtp.to`. "
            "An empty list mails nobody."
        ),
    )
    share_info_url: HttpUrl | None = Field(
        default=None,
        description=(
            "Page the share bar's `info` button opens; defaults to the service's own "
            "explanation of the two-click buttons."
        ),
    )

    def allows(self, url: str) -> bool:
        """Tell whether an absolute URL is on one of this site's origins."""
        return origin_of(url) in self.origins
