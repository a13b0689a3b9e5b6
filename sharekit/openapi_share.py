"""The share routes in the OpenAPI document (tag ``share``).

The two-click share page and its redirect, the bar as a fragment, and share counting.
Their query parameters are read off the ``ShareRequest`` and ``BarOptions`` schemas, so the
document lists exactly the fields the routes validate.
"""

from __future__ import annotations

from collections.abc import Iterable

from .bodies import FORM
from .openapi_components import CORS, params
from .openapi_parts import STRING, Schema, body, html, json_reply, op, q, ref, reply

__all__ = ["share_paths"]


def _query(schema: Schema, skip: Iterable[str] = ()) -> list[Schema]:
    """Query parameters from the properties of a model's schema."""
    required = set(schema.get("required", []))
    properties = schema["properties"].items()
    return [q(name, p, required=name in required) for name, p in properties if name not in skip]


def share_paths(schemas: dict[str, Schema]) -> dict[str, Schema]:
    """The share routes; ``schemas`` are the components, for the query parameters."""
    share = _query(schemas["ShareRequest"])
    bar = _query(schemas["BarOptions"], skip=["networks"])
    networks = q("networks", STRING, "Network keys, comma-separated (at most 40).")
    counting = "Answers 404 when share counting is off."
    return {
        "/share/info": {"get": op("What the buttons do", {"200": html("The page.")})},
        "/share/{network}": {
            "get": op(
                "What would be sent where, and a button to share",
                {"200": html("The page.", "Cache-Control")},
                [400, 404],
                parameters=[*params("network"), *share, *params("lang")],
            ),
            "post": op(
                "Share: the redirect to the network (the second click)",
                {"303": reply("To the network.", None, "Location", "Cache-Control")},
                [400, 404, 413, 415, 503],
                parameters=params("network"),
                requestBody=body({FORM: ref("ShareForm")}),
            ),
        },
        "/share-bar": {
            "get": op(
                "The share bar as an HTML fragment",
                {"200": html("The bar.", "Cache-Control", CORS)},
                [400, 403],
                parameters=[*share, networks, *bar, *params("lang")],
            )
        },
        "/api/counts": {
            "get": op(
                "Completed shares of a page, per network",
                {"200": json_reply("Shares per network.", "Counts", "Cache-Control", CORS)},
                [400, 403, 404, 503],
                api=True,
                description=counting,
                parameters=share[:1],
            )
        },
        "/api/share": {
            "post": op(
                "Count a share made with JavaScript",
                {"204": reply("Counted.", None, CORS)},
                [400, 403, 404, 413, 415, 503],
                api=True,
                description=counting,
                requestBody=body({FORM: ref("ShareRecord")}),
            )
        },
    }
