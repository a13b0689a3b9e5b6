"""What a share request carries, validated once at the boundary."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from sharekit.errors import BadRequest, URLNotAllowed
from sharekit.i18n import N_
from sharekit.settings import Settings, Site

from .networks import Page

__all__ = ["ShareRequest", "parse_share_request"]


def _clean(value: str) -> str:
    """NFC-normalise, trim, and refuse control characters (they have no place in a title)."""
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


Clean = Annotated[str, AfterValidator(_clean)]


class ShareRequest(BaseModel):
    """The page to share, as sent by a share link or the consent form."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: Clean = Field(min_length=1, max_length=2048)
    title: Clean = Field(default="", max_length=300)
    text: Clean = Field(default="", max_length=1000)
    media: Clean = Field(default="", max_length=2048)

    def page(self) -> Page:
        return Page(url=self.url, title=self.title, text=self.text, media=self.media)


_FIELD_MESSAGES = {
    "url": N_("The address of the page to share is missing or too long."),
    "title": N_("The title of the page is too long or contains control characters."),
    "text": N_("The text to share is too long or contains control characters."),
    "media": N_("The image address is too long or contains control characters."),
}


def parse_share_request(data: dict[str, str], settings: Settings) -> tuple[ShareRequest, Site]:
    """Validate a share request and find its site; the page must be on a site's origins.

    Raises :class:`BadRequest` for malformed fields and :class:`URLNotAllowed` for pages
    that are not on a configured origin (so no one can use the service as a redirector).
    """
    try:
        request = ShareRequest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        if field == "url" and error["type"] == "value_error":  # control characters
            raise URLNotAllowed() from exc
        raise BadRequest(_FIELD_MESSAGES.get(field, BadRequest.default_message)) from exc
    site = settings.site_for_url(request.url)
    if site is None:
        raise URLNotAllowed()
    if request.media and settings.site_for_url(request.media) is None:
        raise URLNotAllowed(N_("The image must be on the same site as the page."))
    return request, site
