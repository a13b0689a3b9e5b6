"""The demo blog: an article in German and English with sharekit mounted at ``/sharekit``."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

import sharekit

from .playground import CHOICES, TEXT, from_query, snippets

__all__ = ["demo_app", "demo_settings"]

HERE = Path(__file__).resolve().parent
LANGUAGES = ("de", "en")
MOUNT = "/sharekit"
TITLES = {
    "de": "Drei Tage am Albtrauf: Route, Kosten und was wir gelernt haben",
    "en": "Three days on the Albtrauf: route, costs and what we learned",
}
# The top bar is compact (icons only); the bottom one shows labels and local actions too.
TOP = ["mastodon", "bluesky", "threads", "linkedin", "xing", "whatsapp", "copy"]
BOTTOM = [
    "mastodon",
    "bluesky",
    "linkedin",
    "xing",
    "whatsapp",
    "telegram",
    "email",
    "copy",
    "native",
    "print",
    "info",
]


def _kept(path: Path, make: Callable[[], str]) -> str:
    """The text kept in ``path``; made by ``make`` and written there (readable only by its
    owner) on first use."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = make()
    path.touch(mode=0o600)
    path.write_text(text + "\n", encoding="ascii")
    return text


def _secret(data_dir: Path) -> str:
    """The demo's secret: made once, kept in the data directory."""
    return _kept(data_dir / "secret.key", lambda: secrets.token_urlsafe(32))


def admin_password(data_dir: Path) -> str:
    """The password of the demo's admin (``/sharekit/admin``): made once, kept beside the
    secret; ``sharekit demo`` prints it."""
    return _kept(data_dir / "admin-password", lambda: secrets.token_urlsafe(12))


def _admin_hash(data_dir: Path) -> str:
    """The hash of the admin password, kept too: hashing is slow on purpose."""
    password = admin_password(data_dir)
    return _kept(data_dir / "admin-password.hash", lambda: str(sharekit.hash_password(password)))


def _origins(origin: str) -> list[str]:
    """The demo's origin plus its loopback aliases, so localhost and 127.0.0.1 both work."""
    parts = urlsplit(origin)
    port = f":{parts.port}" if parts.port else ""
    if parts.hostname in {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"}:  # noqa: S104
        return [f"http://127.0.0.1{port}", f"http://localhost{port}", f"http://[::1]{port}"]
    return [origin]


def demo_settings(data_dir: Path, origin: str) -> sharekit.Settings:
    """Settings for the demo: one site at ``origin``, SQLite and a secret in ``data_dir``."""
    return sharekit.Settings(
        secret_key=_secret(data_dir),
        admin_password_hash=_admin_hash(data_dir),
        data_dir=data_dir,
        public_url=MOUNT,
        default_language="de",
        sites=[
            sharekit.Site(
                key="demo",
                name="Albtrauf-Blog",
                origins=_origins(origin),
                language="de",
            )
        ],
    )


def _preferred_language(request: Request) -> str:
    header = request.headers.get("accept-language", "").lower()
    positions = {lang: header.find(lang) for lang in LANGUAGES if lang in header}
    return min(positions, key=lambda lang: positions[lang]) if positions else LANGUAGES[0]


class Demo:
    """The demo's pages."""

    def __init__(self, settings: sharekit.Settings) -> None:
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
        self.env.globals["getattr_"] = getattr
        self.tags = sharekit.install(self.env, settings)

    async def home(self, request: Request) -> Response:
        language = _preferred_language(request)
        return RedirectResponse(
            f"/{language}/", status_code=302, headers={"Vary": "Accept-Language"}
        )

    async def article(self, request: Request) -> Response:
        lang = request.path_params["lang"]
        if lang not in LANGUAGES:
            return HTMLResponse(self._render("not-found.html", lang="en"), status_code=404)
        page_url = str(request.url.replace(query="", fragment=""))
        html = self._render(
            f"article-{lang}.html",
            lang=lang,
            page_url=page_url,
            title=TITLES[lang],
            top_networks=TOP,
            bottom_networks=BOTTOM,
        )
        return HTMLResponse(html)

    async def playground(self, request: Request) -> Response:
        lang = request.path_params["lang"]
        if lang not in LANGUAGES:
            return HTMLResponse(self._render("not-found.html", lang="en"), status_code=404)
        choice = from_query(request.query_params, self.tags.networks, self.tags.languages, lang)
        service = f"{request.url.scheme}://{request.url.netloc}{MOUNT}"
        jinja, html = snippets(choice, service)
        page = self._render(
            "playground.html",
            lang=lang,
            other="en" if lang == "de" else "de",
            text=TEXT[lang],
            choice=choice,
            choices=CHOICES,
            networks=self.tags.networks,
            languages=self.tags.languages,
            page_url=str(request.url.replace(path=f"/{lang}/", query="", fragment="")),
            page_title=TITLES[lang],
            jinja=jinja,
            html=html,
        )
        return HTMLResponse(page, status_code=400 if choice.error else 200)

    def _render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(**context)


def demo_app(data_dir: Path, origin: str = "http://127.0.0.1:8000") -> ASGIApp:
    """The demo blog at ``/`` with the sharekit service mounted at ``/sharekit``."""
    settings = demo_settings(data_dir, origin)
    demo = Demo(settings)
    service = sharekit.create_app(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A mounted app's lifespan does not run by itself: run the service's inside ours,
        # so its database connections close when the demo stops; then close the tags'.
        async with service.router.lifespan_context(service):
            yield
        demo.tags.close()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", demo.home),
            Mount(MOUNT, app=service),
            Mount("/assets", app=StaticFiles(directory=HERE / "static"), name="assets"),
            Route("/{lang}/", demo.article),
            Route("/{lang}/playground", demo.playground),
        ],
    )
    origins: Iterable[str] = settings.sites[0].origins
    return sharekit.SecurityHeadersMiddleware(app, frame_ancestors=origins)
