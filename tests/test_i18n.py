from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sharekit.i18n import Catalogs, parse_accept_language

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "widgets" / "locale"
COMPLETE = ["de", "es", "fr", "it", "nl", "pl"]


def _extracted_ids() -> set[str]:
    """Message ids found in the code right now, as scripts/i18n would extract them
    (with the mapping of babel.cfg: Python, HTML templates, plain-text mail templates)."""
    ids: set[str] = set()
    templates = ("widgets/templates/**.html", "widgets/templates/**.txt")
    method_map = [("sharekit/**.py", "python"), *((pattern, "jinja2") for pattern in templates)]
    options = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in templates}
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options,
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog_ids(path: Path, translated_only: bool = False) -> set[str]:
    catalog = read_po(BytesIO(path.read_bytes()))
    ids = set()
    for message in catalog:
        if not message.id:
            continue
        if translated_only and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        ):
            continue
        ids.add(message.id if isinstance(message.id, str) else message.id[0])
    return ids


def test_template_is_up_to_date() -> None:
    assert _catalog_ids(LOCALE / "sharekit.pot") == _extracted_ids(), "run scripts/i18n"


@pytest.mark.parametrize("lang", COMPLETE)
def test_catalog_is_complete(lang: str) -> None:
    po_file = LOCALE / lang / "LC_MESSAGES" / "sharekit.po"
    assert _catalog_ids(po_file, translated_only=True) == _catalog_ids(LOCALE / "sharekit.pot")


@pytest.mark.parametrize("lang", COMPLETE)
def test_placeholders_survive_translation(lang: str) -> None:
    catalog = read_po(BytesIO((LOCALE / lang / "LC_MESSAGES" / "sharekit.po").read_bytes()))
    for message in catalog:
        if message.id and isinstance(message.id, str):
            for name in ("%(", "%s"):
                assert message.id.count(name) == str(message.string).count(name), message.id


def test_catalogs_translate_and_fall_back() -> None:
    catalogs = Catalogs()
    assert "de" in catalogs.languages
    assert "en" in catalogs.languages
    assert catalogs.translations("de").gettext("The request is not valid.") == (
        "Die Anfrage ist ungültig."
    )
    assert catalogs.translations("en").gettext("The request is not valid.") == (
        "The request is not valid."
    )
    assert catalogs.translations("de") is catalogs.translations("de")  # compiled once


@pytest.mark.parametrize(
    ("wanted", "default", "best"),
    [
        (["de-AT"], "en", "de"),
        (["sv", "de"], "en", "de"),
        (["sv"], "de", "de"),
        ([], "de-CH", "de"),
        (["xx"], "yy", "en"),
        (["EN-gb"], "de", "en"),
    ],
)
def test_best_language(wanted: list[str], default: str, best: str) -> None:
    assert Catalogs().best(wanted, default) == best


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("de-AT,de;q=0.9,en;q=0.5,*;q=0.1", ["de-AT", "de", "en"]),
        ("en;q=0.2, fr", ["fr", "en"]),
        ("de;q=0, en", ["en"]),
        ("de;q=abc, en", ["en"]),
        ("", []),
        (",,;", []),
    ],
)
def test_parse_accept_language(header: str, tags: list[str]) -> None:
    assert parse_accept_language(header) == tags
