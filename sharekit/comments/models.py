"""What a comment is at the boundary: ``CommentIn`` as submitted, ``Comment`` as published.

The public ``Comment`` has no email field at all, so no route can leak an address by
accident. Limits that the site configures reach the validators through pydantic's
validation context (``CommentLimits``).
"""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from sharekit.errors import ValidationFailed
from sharekit.i18n import N_
from sharekit.origins import origin_of

__all__ = [
    "Comment",
    "CommentIn",
    "CommentLimits",
    "Posted",
    "check_email_domain",
    "check_text",
    "parse_comment",
    "parse_text",
]

INVALID_EMAIL = N_("Please enter a valid email address, like name@example.org.")
UNDELIVERABLE = N_("This email domain does not accept mail. Please check the address.")

Status = Literal["pending", "approved", "spam", "deleted"]


@dataclass(frozen=True)
class CommentLimits:
    """The site's rules, handed to the validators."""

    email_required: bool = True
    text_min: int = 2
    text_max: int = 10_000
    consent_required: bool = False


def _limits(info: ValidationInfo) -> CommentLimits:
    context = info.context or {}
    limits = context.get("limits", CommentLimits())
    assert isinstance(limits, CommentLimits)
    return limits


class FieldProblem(ValueError):
    """A field's value is not acceptable; ``message`` is a gettext id, ``params`` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


# Unicode's control characters (category Cc, fixed at U+0000-U+001F and U+007F-U+009F),
# lone surrogates (Cs) and the line and paragraph separators; the text may keep \n and \t.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def _normalise(value: str, allow_newlines: bool = False) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if allow_newlines:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if (_FORBIDDEN_IN_TEXT if allow_newlines else _FORBIDDEN).search(value):
        raise FieldProblem(N_("This field contains characters that are not allowed."))
    return value


def check_text(value: str, limits: CommentLimits) -> str:
    """A comment's text, normalised, or :class:`FieldProblem` saying what is wrong."""
    value = _normalise(value, allow_newlines=True)
    if not value:
        raise FieldProblem(N_("Please write a comment."))
    if len(value) < limits.text_min:
        message = N_("Please write at least %(min)s characters.")
        raise FieldProblem(message, min=limits.text_min)
    if len(value) > limits.text_max:
        raise FieldProblem(
            N_("Your comment has %(length)s characters; at most %(max)s are allowed."),
            length=len(value),
            max=limits.text_max,
        )
    return value


def parse_text(value: object, limits: CommentLimits) -> str:
    """Validate an edited text alone; raise :class:`ValidationFailed` for the ``text`` field."""
    try:
        return check_text(value if isinstance(value, str) else "", limits)
    except FieldProblem as problem:
        raise ValidationFailed({"text": (problem.message, problem.params)}) from problem


class CommentIn(BaseModel):
    """A comment as a visitor submits it (form or JSON)."""

    # Absent fields must be checked like empty ones (an unticked box is simply not sent).
    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    thread: str
    url: str
    title: str = ""
    parent: int | None = None
    name: str = ""
    email: str = ""
    website: str = ""
    text: str = ""
    consent: bool = False
    notify: bool = False  # mail me replies (double opt-in)

    @field_validator("parent", mode="before")
    @classmethod
    def _parent(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**62:
            raise FieldProblem(N_("The comment you reply to is not valid."))
        return value

    @field_validator("thread")
    @classmethod
    def _thread(cls, value: str) -> str:
        value = _normalise(value)
        if not value or len(value) > 200:
            raise FieldProblem(N_("The comment thread is missing or its name is too long."))
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = _normalise(value)
        if len(value) > 2048 or origin_of(value) is None:
            raise FieldProblem(N_("The address of the page is missing or not valid."))
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return _normalise(value)[:300]

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(_normalise(value).split())
        if not value:
            raise FieldProblem(N_("Please enter your name."))
        if len(value) > 100:
            raise FieldProblem(N_("Your name can have at most %(max)s characters."), max=100)
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str, info: ValidationInfo) -> str:
        value = _normalise(value)
        limits = _limits(info)
        if not value:
            if limits.email_required:
                raise FieldProblem(N_("Please enter your email address."))
            return ""
        if len(value) > 254:
            raise FieldProblem(
                N_("The email address can have at most %(max)s characters."), max=254
            )
        try:
            # Syntax only: asking DNS would block; ``check_email_domain`` does it, awaited.
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise FieldProblem(INVALID_EMAIL) from exc
        return str(checked.normalized)

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        value = _normalise(value)
        if not value:
            return ""
        if len(value) > 200:
            raise FieldProblem(N_("The web address can have at most %(max)s characters."), max=200)
        if origin_of(value) is None:
            raise FieldProblem(
                N_("Please enter a web address that starts with https:// or http://.")
            )
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        return check_text(value, _limits(info))

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool, info: ValidationInfo) -> bool:
        if _limits(info).consent_required and not value:
            raise FieldProblem(N_("Please agree to the storage of your data to post a comment."))
        return value

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("email") and "email" in info.data:
            raise FieldProblem(N_("Please enter your email address to be told about replies."))
        return value


_FALLBACK = {
    "thread": N_("The comment thread is missing or its name is too long."),
    "url": N_("The address of the page is missing or not valid."),
    "parent": N_("The comment you reply to is not valid."),
    "consent": N_("Please agree to the storage of your data to post a comment."),
    "notify": N_("This value is not valid."),
}


def parse_comment(data: dict[str, Any], limits: CommentLimits) -> CommentIn:
    """Validate a submission; raise :class:`ValidationFailed` with one message per field."""
    try:
        return CommentIn.model_validate(data, context={"limits": limits})
    except ValidationError as exc:
        fields: dict[str, tuple[str, dict[str, Any]]] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "form"
            if name in fields:
                continue
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, FieldProblem):
                fields[name] = (cause.message, cause.params)
            else:
                fields[name] = (_FALLBACK.get(name, N_("This value is not valid.")), {})
        raise ValidationFailed(fields) from exc


class Comment(BaseModel):
    """A published comment: what any visitor may see. There is no email field."""

    model_config = ConfigDict(frozen=True)

    id: int
    thread: str
    parent: int | None
    depth: int
    author: str
    website: str | None
    html: str
    avatar: str
    status: Status
    created: datetime
    edited: datetime | None


class Posted(BaseModel):
    """The answer to a JSON post: the comment, its list item for the page, the token that
    lets its author edit it for a while, and a message for the visitor."""

    model_config = ConfigDict(frozen=True)

    comment: Comment
    html: str
    edit: str
    message: str


async def check_email_domain(email: str, timeout: float = 3.0) -> None:
    """Ask DNS whether the domain of a (syntactically valid) address accepts mail.

    Runs in a thread, so the event loop never waits for DNS. A domain that says no (no
    MX, A or AAAA record, or a null MX) raises ``ValidationFailed`` for the email field;
    a resolver that times out or cannot be reached accepts the address rather than lose
    the comment (email-validator reports "unknown deliverability" then).
    """
    if not email:
        return
    try:
        await asyncio.to_thread(
            validate_email, email, check_deliverability=True, timeout=math.ceil(timeout)
        )
    except EmailNotValidError as exc:
        raise ValidationFailed({"email": UNDELIVERABLE}) from exc
