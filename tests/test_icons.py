"""The share icons in widgets/icons: safe to inline under a strict CSP, themed by CSS ``color``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ICONS = Path(__file__).resolve().parent.parent / "widgets" / "icons"
SVG_NS = "{http://www.w3.org/2000/svg}"
KEYS = [
    "facebook",
    "x",
    "linkedin",
    "xing",
    "whatsapp",
    "telegram",
    "threema",
    "mastodon",
    "bluesky",
    "threads",
    "pinterest",
    "reddit",
    "tumblr",
    "flipboard",
    "hackernews",
    "vk",
    "weibo",
    "buffer",
    "diaspora",
    "teams",
    "email",
    "sms",
    "copy",
    "native",
    "print",
    "info",
]
FORBIDDEN_ATTRIBUTES = {"width", "height", "id", "class", "style"}
FORBIDDEN_ELEMENTS = {"style", "script", "title", "image", "use", "foreignObject"}
MAX_BYTES = 2048


def local(name: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return name.rsplit("}", 1)[-1]


def licensed_files() -> set[str]:
    """The file names in the first column of the table in LICENSES.md."""
    text = (ICONS / "LICENSES.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*`([^`]+\.svg)`\s*\|", text, flags=re.MULTILINE))


def test_keys_are_unique() -> None:
    assert len(KEYS) == len(set(KEYS)) == 26


@pytest.mark.parametrize("key", KEYS)
def test_icon_is_safe_and_themeable(key: str) -> None:
    path = ICONS / f"{key}.svg"
    assert path.is_file(), f"missing icon {path.name}"
    data = path.read_bytes()
    assert len(data) < MAX_BYTES
    text = data.decode("utf-8")
    assert text.lstrip().startswith("<svg"), "no prolog, comment or doctype before <svg>"
    assert "<!--" not in text
    assert "<!DOCTYPE" not in text.upper()

    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 24 24"

    paths = 0
    for element in root.iter():
        assert element.tag.startswith(SVG_NS), f"foreign element {element.tag}"
        tag = local(element.tag)
        assert tag not in FORBIDDEN_ELEMENTS
        paths += tag == "path"
        for name, value in element.attrib.items():
            attribute = local(name)
            assert attribute not in FORBIDDEN_ATTRIBUTES, f"{tag} has {attribute}"
            assert not attribute.lower().startswith("on"), f"{tag} has handler {attribute}"
            assert attribute != "href", f"{tag} links to {value}"
            if attribute in {"fill", "stroke", "color", "stop-color"}:
                assert value in {"currentColor", "none"}, f"{tag} {attribute}={value}"
    assert paths >= 1


def test_licenses_list_exactly_the_icons() -> None:
    on_disk = {path.name for path in ICONS.glob("*.svg")}
    assert on_disk == licensed_files()
    assert {f"{key}.svg" for key in KEYS} <= on_disk


def test_every_network_has_an_icon() -> None:
    try:
        from sharekit.share.networks import NETWORKS
    except ImportError:  # pragma: no cover - the registry is optional for this test
        pytest.skip("sharekit.share.networks is not importable")
    missing = sorted(key for key in NETWORKS if not (ICONS / f"{key}.svg").is_file())
    assert not missing, f"networks without an icon: {missing}"
