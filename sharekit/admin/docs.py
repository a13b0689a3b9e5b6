"""The admin's routes in the OpenAPI document (tag ``admin``)."""

from __future__ import annotations

from sharekit.openapi_parts import FORM, STRING, Schema, body, html, in_path, op, q, reply
from sharekit.settings import Settings

from .auth import LOGIN_WINDOW
from .sessions import COOKIE
from .views import ACTIONS, PAGE_SIZE, TABS

__all__ = ["openapi_paths"]

OFF = "Every admin route answers 404 while `admin_password_hash` is unset."
PRIVATE = ("Cache-Control",)


def _cookie(text: str) -> Schema:
    return {"description": text, "schema": STRING}


def _redirect(description: str, sets_cookie: str = "") -> Schema:
    answer = reply(description, None, "Location", *PRIVATE)
    if sets_cookie:
        answer["headers"]["Set-Cookie"] = _cookie(sets_cookie)
    return answer


def _object(properties: Schema, required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required}


def openapi_paths(settings: Settings) -> dict[str, Schema]:
    """The admin's paths, for :mod:`sharekit.openapi`."""
    sites = {"type": "string", "enum": [site.key for site in settings.sites]}
    session = {"name": COOKIE, "in": "cookie", "schema": STRING}
    csrf = STRING | {"description": "The session's form token, from any admin page."}
    back = STRING | {"description": "The list's query string to return to."}
    listing = [
        q("status", {"type": "string", "enum": list(TABS)}, "The tab; `pending` if absent."),
        q("site", sites, "Only this site's comments."),
        q("thread", STRING, "Only this thread (its key)."),
        q("q", STRING, "Words in the name, email, website or text."),
        q("page", {"type": "integer", "minimum": 1}, f"Pages of {PAGE_SIZE}, newest first."),
        q("done", STRING, "The action just done, for its confirmation."),
        q("n", {"type": "integer", "minimum": 0}, "How many comments it changed."),
    ]
    comment = in_path("comment", {"type": "integer", "minimum": 1}, "A comment's id.")
    to_login = _redirect("Not logged in: to the login page.")
    minutes = LOGIN_WINDOW // 60
    limit = (
        f"After {settings.admin_login_attempts} wrong passwords from one network within "
        f"{minutes} minutes, every attempt answers 429 until the oldest is {minutes} minutes old."
    )
    return {
        "/admin": {
            "get": op(
                "Comments to moderate",
                {"200": html("The list.", *PRIVATE), "303": to_login},
                [404, 503],
                description=OFF,
                parameters=[*listing, session],
            )
        },
        "/admin/login": {
            "get": op(
                "The login page",
                {"200": html("The form.", *PRIVATE), "303": _redirect("Logged in already.")},
                [404, 503],
                parameters=[q("next", STRING, "The list's query string to go to afterwards.")],
            ),
            "post": op(
                "Log in",
                {
                    "303": _redirect(
                        "Logged in: to the list.",
                        f"The session cookie `{COOKIE}` (HttpOnly, SameSite=Strict, Secure "
                        "over https, limited to the admin's path).",
                    )
                },
                [400, 403, 404, 413, 415, 429, 503],
                description=f"403 (the form again) for a wrong password. {limit}",
                requestBody=body(
                    {FORM: _object({"password": STRING, "next": STRING}, ["password"])}
                ),
            ),
        },
        "/admin/logout": {
            "post": op(
                "Log out",
                {"303": _redirect("To the login page.", "The session cookie, expired.")},
                [400, 403, 404, 413, 415, 503],
                parameters=[session],
                requestBody=body({FORM: _object({"csrf": csrf}, ["csrf"])}),
            )
        },
        "/admin/comments": {
            "post": op(
                "Approve, mark as spam, hold or delete comments",
                {"303": _redirect("Done: back to the list, with a confirmation.")},
                [400, 403, 404, 413, 415, 503],
                description="`action` is a verb alone for the ticked `ids`, or `verb:id` "
                "for one comment.",
                parameters=[session],
                requestBody=body(
                    {
                        FORM: _object(
                            {
                                "csrf": csrf,
                                "back": back,
                                "action": STRING
                                | {"pattern": f"^({'|'.join(ACTIONS)})(:[0-9]{{1,18}})?$"},
                                "ids": {"type": "array", "items": STRING, "maxItems": 500},
                            },
                            ["csrf", "action"],
                        )
                    }
                ),
            )
        },
        "/admin/comments/{comment}/edit": {
            "get": op(
                "A comment's text and name in a form",
                {"200": html("The form.", *PRIVATE), "303": to_login},
                [404, 503],
                parameters=[comment, q("back", STRING, "The list's query string."), session],
            ),
            "post": op(
                "Correct a comment's text and name",
                {
                    "303": _redirect("Saved: back to the list."),
                    "422": html("The form again, with what to fix.", *PRIVATE),
                },
                [400, 403, 404, 409, 413, 415, 503],
                parameters=[comment, session],
                requestBody=body(
                    {
                        FORM: _object(
                            {
                                "csrf": csrf,
                                "back": back,
                                "author": STRING | {"minLength": 1, "maxLength": 100},
                                "text": STRING
                                | {
                                    "minLength": settings.comments_text_min,
                                    "maxLength": settings.comments_text_max,
                                },
                            },
                            ["csrf", "author", "text"],
                        )
                    }
                ),
            ),
        },
    }
