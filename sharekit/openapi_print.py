"""The print routes in the OpenAPI document (tag ``print``): the print view and the PDF.

Both fetch the article from the site, so they share its parameters and the errors a fetch
can end in.
"""

from __future__ import annotations

from .openapi_components import CACHED, params
from .openapi_parts import NOT_MODIFIED, STRING, Schema, html, op, q, reply

__all__ = ["print_paths"]


def print_paths() -> dict[str, Schema]:
    """The print view and the PDF of an article on one of the sites."""
    page = q("url", STRING, "The article's address, on one of a site's origins.", required=True)
    common = [page, *params("lang")]
    fetch_errors = [400, 404, 422, 502, 504]
    pdf = reply("The PDF file.", {"application/pdf": {"type": "string"}}, *CACHED)
    return {
        "/print": {
            "get": op(
                "The article alone, in a clean layout to print",
                {"200": html("The print view.", "Cache-Control")},
                fetch_errors,
                parameters=common,
            )
        },
        "/pdf": {
            "get": op(
                "The article as a PDF file",
                {"200": pdf, "304": NOT_MODIFIED},
                [*fetch_errors, 501, 503],
                parameters=[*common, *params("ifNoneMatch")],
            )
        },
    }
