"""Errors the stores raise on purpose; each maps to an HTTP answer through ``sharekit.errors``.

::

    BadRequest
    ├── ParentNotFound      400: the comment replied to is gone or in another thread
    └── InvalidCursor       400: a page cursor that this store did not hand out
    NotFound
    └── CommentNotFound     404: no comment with this id
    HTTPError
    └── DuplicateComment    409: the same author already posted the same text here
    RateLimited
    └── TooManyComments     429: this client's comment limit is reached for now
"""

from __future__ import annotations

from sharekit.errors import BadRequest, HTTPError, NotFound, RateLimited
from sharekit.i18n import N_

__all__ = [
    "CommentNotFound",
    "DuplicateComment",
    "InvalidCursor",
    "ParentNotFound",
    "TooManyComments",
]


class ParentNotFound(BadRequest):
    """400: the parent does not exist, is in another thread, or was deleted or marked spam."""

    default_message = N_("The comment you are replying to no longer exists.")


class InvalidCursor(BadRequest):
    """400: the ``after`` cursor is malformed or belongs to the other sort order.

    Only a tampered or mixed-up request sends one, so the generic message is enough.
    """


class CommentNotFound(NotFound):
    """404: there is no comment with this id."""

    default_message = N_("This comment does not exist or was deleted.")


class DuplicateComment(HTTPError):
    """409: the author already posted this exact text in this thread."""

    status_code = 409
    default_message = N_("You have already posted this comment in this thread.")


class TooManyComments(RateLimited):
    """429: the client posted as many comments as the flood limits allow for now."""
