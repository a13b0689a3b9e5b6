"""Languages: gettext catalogs compiled from the shipped ``.po`` files, and negotiation.

English is the source language (the message ids), so it needs no catalog. Catalogs are
compiled in memory with Babel the first time a language is asked for, so the ``.po`` files
stay the only source and no build step is needed.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from .paths import WIDGETS

if TYPE_CHECKING:
    from starlette.requests import Request

    from .settings import Settings

__all__ = ["DOMAIN", "N_", "Catalogs", "parse_accept_language", "request_language"]

DOMAIN = "sharekit"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:  # noqa: N802 - the name the extractor looks for
    """Mark ``message`` for translation without translating it now (it is translated later)."""
    return message


class Catalogs:
    """The translations one app uses, loaded lazily from ``<locale_dir>/<lang>/LC_MESSAGES``."""

    def __init__(self, locale_dir: Path = WIDGETS / "locale") -> None:
        self.locale_dir = locale_dir
        found = {
            path.parent.parent.name.replace("_", "-")
            for path in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        }
        self.languages: tuple[str, ...] = tuple(sorted(found | {SOURCE_LANGUAGE}))
        self._cache: dict[str, gettext.NullTranslations] = {}
        self._best: dict[tuple[str, ...], str] = {}

    def best(self, wanted: Iterable[str], default: str) -> str:
        """The first available language among ``wanted`` (``de-AT`` matches ``de``), else
        ``default`` reduced the same way, else English."""
        asked = (*wanted, default)
        found = self._best.get(asked)
        if found is None:
            found = self._choose(asked)
            if len(self._best) < 4096:  # visitors' headers repeat; the memo stays small
                self._best[asked] = found
        return found

    def _choose(self, asked: tuple[str, ...]) -> str:
        available = {lang.lower(): lang for lang in self.languages}
        for tag in asked:
            tag = tag.replace("_", "-").lower()
            for candidate in (tag, tag.split("-")[0]):
                if candidate in available:
                    return available[candidate]
        return SOURCE_LANGUAGE

    def translations(self, lang: str) -> gettext.NullTranslations:
        """The gettext translations for an available language (English: identity)."""
        if lang not in self._cache:
            self._cache[lang] = self._load(lang)
        return self._cache[lang]

    def _load(self, lang: str) -> gettext.NullTranslations:
        po_file = self.locale_dir / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
        if lang == SOURCE_LANGUAGE or not po_file.exists():
            return gettext.NullTranslations()
        with po_file.open("rb") as fp:
            catalog = read_po(fp, locale=lang.replace("-", "_"), domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(fp=buffer, domain=DOMAIN)


def parse_accept_language(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most preferred first.

    >>> parse_accept_language("de-AT,de;q=0.9,en;q=0.5,*;q=0.1")
    ['de-AT', 'de', 'en']
    """
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def request_language(request: Request, settings: Settings, catalogs: Catalogs) -> str:
    """The language to answer in: one a route already chose, ``?lang=``, then
    ``Accept-Language``, then the site's."""
    chosen = getattr(request.state, "sharekit_lang", None)
    if isinstance(chosen, str):
        return chosen
    wanted = []
    if lang := request.query_params.get("lang"):
        wanted.append(lang)
    wanted.extend(parse_accept_language(request.headers.get("accept-language", "")))
    site = settings.site(request.query_params.get("site", ""))
    return catalogs.best(wanted, settings.language_of(site))
