"""sharekit: privacy-friendly share buttons, print/PDF/email links and comments.

Nothing is sent to a third party until a visitor chooses to. The public face::

    from sharekit import Settings, Site, create_app
    app = create_app(Settings(secret_key="…", sites=[Site(key="blog", origins=["https://blog.example"])]))
"""

__version__ = "0.1.0"

from .admin.passwords import hash_password
from .app import create_app
from .errors import (
    BadRequest,
    ConfigurationError,
    Forbidden,
    HTTPError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    ServiceUnavailable,
    SharekitError,
    UnsupportedMediaType,
    URLNotAllowed,
    ValidationFailed,
)
from .headers import SecurityHeadersMiddleware
from .jinja import SharekitTags, install
from .security import InvalidToken, TokenExpired
from .settings import Settings, Site

__all__ = [
    "BadRequest",
    "ConfigurationError",
    "Forbidden",
    "HTTPError",
    "InvalidToken",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "RequestTimeout",
    "SecurityHeadersMiddleware",
    "ServiceUnavailable",
    "Settings",
    "SharekitError",
    "SharekitTags",
    "Site",
    "TokenExpired",
    "URLNotAllowed",
    "UnsupportedMediaType",
    "ValidationFailed",
    "__version__",
    "create_app",
    "hash_password",
    "install",
]
