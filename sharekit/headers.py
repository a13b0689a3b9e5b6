"""Security headers on every response: a strict CSP and friends, as plain ASGI middleware.

A route that needs a different policy (say, a form that redirects to a share endpoint)
sets its own ``Content-Security-Policy``; headers a response already has are kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "content_security_policy"]


def content_security_policy(
    frame_ancestors: Iterable[str] = (),
    form_action: Iterable[str] = (),
    img_src: Iterable[str] = (),
) -> str:
    """The service's CSP: only its own origin, no plugins, framing only by ``frame_ancestors``;
    ``img_src`` adds origins images may come from (a site's, in its print view).

    >>> content_security_policy(["https://blog.example"]).split("; ")[-1]
    "frame-ancestors 'self' https://blog.example"
    """
    # CSP source expressions cannot name IPv6 literals; such origins can only be 'self'.
    ancestors = " ".join(["'self'", *(o for o in frame_ancestors if "[" not in o)])
    actions = " ".join(["'self'", *form_action])
    images = " ".join(["'self'", *(o for o in img_src if "[" not in o)])
    image_rule = f"img-src {images}; " if images != "'self'" else ""
    return (
        f"default-src 'self'; {image_rule}base-uri 'none'; object-src 'none'; "
        f"form-action {actions}; frame-ancestors {ancestors}"
    )


class SecurityHeadersMiddleware:
    """Adds CSP, ``nosniff``, a strict referrer policy and friends to every HTTP response.

    Usable on its own, e.g. around a demo or a small site::

        app = SecurityHeadersMiddleware(app, frame_ancestors=["https://blog.example"])
    """

    def __init__(self, app: ASGIApp, frame_ancestors: Iterable[str] = ()) -> None:
        self.app = app
        policy = content_security_policy(frame_ancestors)
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", policy.encode("latin-1")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"interest-cohort=(), browsing-topics=()"),
            (b"cross-origin-opener-policy", b"same-origin-allow-popups"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in self.headers if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
