"""Static assets: content-hashed URLs, Subresource Integrity, and the route that serves them.

Files are read once when the app is built. A hashed name (``sharekit.3f2a9c1d0e.js``) is
cached for a year and never changes; the plain name (``sharekit.js``, for static-HTML
snippets) is cached briefly and revalidated with its ETag. Both come gzip-compressed when
the browser accepts it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from .errors import NotFound
from .paths import WIDGETS

__all__ = ["Asset", "Assets"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300, must-revalidate"


@dataclass(frozen=True)
class Asset:
    """One static file with its fingerprints."""

    name: str
    hashed_name: str
    body: bytes
    gzipped: bytes | None
    media_type: str
    integrity: str
    etag: str


def _media_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (
        f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("script") else kind
    )


def _load(body: bytes, name: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()
    stem, dot, suffix = name.rpartition(".")
    hashed = f"{stem}.{digest[:10]}.{suffix}" if dot else f"{name}.{digest[:10]}"
    squeezed = gzip.compress(body, compresslevel=9, mtime=0)
    sri = base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")
    return Asset(
        name=name,
        hashed_name=hashed,
        body=body,
        gzipped=squeezed if len(squeezed) < len(body) else None,
        media_type=_media_type(name),
        integrity=f"sha384-{sri}",
        etag=f'"{digest[:16]}"',
    )


class Assets:
    """The files of one static folder, addressable by plain or hashed name."""

    def __init__(
        self, directory: Path = WIDGETS / "static", extra: Mapping[str, bytes] | None = None
    ) -> None:
        """Load every file below ``directory``; ``extra`` adds or replaces files by name."""
        self.directory = directory
        self._by_name: dict[str, Asset] = {}
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(directory).as_posix()
                self._by_name[name] = _load(path.read_bytes(), name)
        for name, body in (extra or {}).items():
            self._by_name[name] = _load(body, name)
        self._by_hashed = {asset.hashed_name: asset for asset in self._by_name.values()}

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Asset:
        """The asset with this plain name; ``KeyError`` if there is none."""
        return self._by_name[name]

    def url(self, name: str, base: str) -> str:
        """The cache-forever URL of an asset below ``base`` (the service's public URL)."""
        return f"{base.rstrip('/')}/static/{self._by_name[name].hashed_name}"

    async def endpoint(self, request: Request) -> Response:
        """Serve ``/static/{name}`` (plain or hashed), compressed when accepted."""
        name = request.path_params["name"]
        hashed = name in self._by_hashed
        asset = self._by_hashed.get(name) or self._by_name.get(name)
        if asset is None:
            raise NotFound()
        headers = {
            "Cache-Control": IMMUTABLE if hashed else REVALIDATE,
            "ETag": asset.etag,
            "Vary": "Accept-Encoding",
            # Public files; lets pages on other origins load them with SRI (crossorigin).
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        body = asset.body
        if asset.gzipped and "gzip" in request.headers.get("accept-encoding", ""):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type=asset.media_type)
        return Response(body, headers=headers, media_type=asset.media_type)
