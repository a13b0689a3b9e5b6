"""The comment routes in the OpenAPI document (tag ``comments``).

Posting, listing, previewing, counting, the author's own edit and delete, and the Atom
feeds. The comments package serves these routes; their documentation lives here beside the
other core tables, built from :mod:`sharekit.openapi_parts` and the shared components.
"""

from __future__ import annotations

from .bodies import FORM, JSON
from .comments.feeds import MEDIA_TYPE as ATOM_TYPE
from .openapi_components import CACHED, CORS, params
from .openapi_parts import (
    HTML,
    NOT_MODIFIED,
    STRING,
    Schema,
    body,
    html,
    json_reply,
    op,
    q,
    ref,
    reply,
)
from .settings import Settings

__all__ = ["comment_paths"]

ATOM = ATOM_TYPE.split(";")[0]


def comment_paths(settings: Settings) -> dict[str, Schema]:
    """Post, list, preview and count comments; edit or delete one's own; the feeds."""
    page = params("site", "url", "title", "lang")
    posted = (CORS,)  # from the service's own origin: the author cookie instead of CORS
    listing = {JSON: ref("ThreadPage"), HTML: STRING}
    return {
        "/comments": {
            "post": op(
                "Post a comment",
                {
                    "201": json_reply("Published.", "Posted", *posted),
                    "202": json_reply("Held for moderation.", "Posted", *posted),
                    "303": reply("A form's comment was stored.", None, "Location", "Set-Cookie"),
                },
                [400, 403, 404, 409, 413, 415, 422, 429, 503],
                description="JSON from the script (with a site's `Origin`), or a form "
                "without JavaScript (answered by a redirect, or the form with what to fix). "
                "Forms, and scripts on the service's own origin, also get the author cookie.",
                requestBody=body({JSON: ref("CommentSubmission"), FORM: ref("CommentForm")}),
            )
        },
        "/comments/new": {
            "get": op(
                "The comment form alone (replies without JavaScript)",
                {"200": html("The form.", "Cache-Control")},
                [400, 404],
                parameters=[
                    *params("site"),
                    q("url", STRING, "The page, on one of the site's origins.", required=True),
                    q("thread", STRING, "The thread (cut to 200 characters)."),
                    q("parent", STRING, "The id of the comment replied to."),
                    *params("title", "lang"),
                ],
            )
        },
        "/comments/preview": {
            "post": op(
                "A draft as the server renders it",
                {"200": json_reply("The draft's markup.", "Preview", CORS)},
                [400, 403, 404, 413, 415],
                requestBody=body({JSON: ref("PreviewRequest")}),
            )
        },
        "/threads/{thread}/comments": {
            "get": op(
                "A page of a thread",
                {
                    "200": reply("JSON if asked for, else HTML.", listing, *CACHED, CORS),
                    "304": NOT_MODIFIED,
                },
                [400, 403, 404, 503],
                parameters=[
                    *params("thread", "site", "url", "title", "lang"),
                    q("format", STRING, "`json` asks for JSON (as `Accept` can)."),
                    q("order", STRING, "`newest` lists the newest first, else the oldest."),
                    q("after", STRING, "The previous page's `next` cursor."),
                    q("fragment", STRING, "`1` asks for the section alone, not a page."),
                    *params("ifNoneMatch", "own"),
                ],
            )
        },
        "/api/comment-counts": {
            "post": op(
                "Approved comments of many threads",
                {"200": json_reply("Comments per thread.", "Counts", CORS)},
                [400, 404, 413, 415, 503],
                api=True,
                requestBody=body({JSON: ref("CountsRequest")}),
            )
        },
        "/comments/{comment}/edit": _author_paths("edit", settings),
        "/comments/{comment}/delete": _author_paths("delete", settings),
        "/threads/{thread}/feed.atom": _feed([*params("thread"), *page], 400),
        "/sites/{site}/feed.atom": _feed(params("siteKey", "lang")),
    }


def _author_paths(action: str, settings: Settings) -> Schema:
    """Edit or delete one's own comment: a page that asks, and the change itself."""
    minutes = max(1, settings.comments_edit_window // 60)
    rule = f"Only by its author (edit token or cookie), within {minutes} minutes of posting."
    parameters = params("comment", "url", "lang", "own")
    back = reply("Without JavaScript: done.", None, "Location", "Set-Cookie")
    if action == "edit":
        done = {"200": json_reply("Edited.", "CommentEdited", "Set-Cookie"), "303": back}
        request_body = body({JSON: ref("CommentEdit"), FORM: ref("CommentEditForm")})
        errors = [400, 403, 404, 409, 413, 415, 422, 503]
    else:
        done = {"204": reply("Deleted.", None, "Set-Cookie"), "303": back}
        request_body = body({JSON: ref("CommentDelete"), FORM: {"type": "object"}}, required=False)
        errors = [400, 403, 404, 413, 503]
    page = html("The page.", "Cache-Control")
    return {
        "get": op(
            f"The page to {action} one's comment (no JavaScript)",
            {"200": page},
            [403, 404, 503],
            description=rule,
            parameters=parameters,
        ),
        "post": op(
            f"{action.capitalize()} one's comment",
            done,
            errors,
            description=rule,
            parameters=parameters,
            requestBody=request_body,
        ),
    }


def _feed(parameters: list[Schema], *errors: int) -> Schema:
    """An Atom feed of the newest approved comments (never an email address)."""
    feed = reply("An Atom feed (RFC 4287).", {ATOM: STRING}, *CACHED)
    answers = {"200": feed, "304": NOT_MODIFIED}
    parameters = [*parameters, *params("ifNoneMatch")]
    summary = "The newest approved comments"
    return {"get": op(summary, answers, [*errors, 404, 503], parameters=parameters)}
