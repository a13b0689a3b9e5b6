"""The playground: pick networks and looks, see the bar, copy the matching tag or snippet."""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.datastructures import QueryParams

__all__ = ["CHOICES", "TEXT", "Choice", "from_query", "snippets"]

CHOICES = {
    "theme": ("color", "grey", "white", "dark", "high-contrast"),
    "orientation": ("horizontal", "vertical"),
    "style": ("icon", "icon-label", "label"),
    "size": ("m", "s", "l"),
}
DEFAULT_NETWORKS = ("mastodon", "bluesky", "linkedin", "xing", "whatsapp", "email", "copy")

TEXT = {
    "de": {
        "title": "Spielwiese: Teilen-Leiste",
        "intro": "Stellen Sie die Leiste zusammen. Die Vorschau und die Schnipsel unten "
        "passen sich an; ohne JavaScript nach „Anwenden“.",
        "networks": "Netzwerke",
        "order": "Reihenfolge (Schlüssel, durch Kommas getrennt; leer: wie angekreuzt)",
        "theme": "Farbschema",
        "orientation": "Ausrichtung",
        "style": "Darstellung",
        "size": "Größe",
        "language": "Sprache der Leiste",
        "apply": "Anwenden",
        "preview": "Vorschau",
        "jinja": "Jinja2-Tag",
        "html": "HTML-Schnipsel für statische Seiten",
        "copy_code": "Kopieren",
        "copied": "Kopiert",
        "article": "Zum Artikel",
        "nav": "Navigation",
        "skip": "Zum Inhalt springen",
        "error": "Unbekanntes Netzwerk in der Reihenfolge: ",
    },
    "en": {
        "title": "Playground: share bar",
        "intro": "Put the bar together. The preview and the snippets below follow your "
        "choices; without JavaScript, after “Apply”.",
        "networks": "Networks",
        "order": "Order (keys, separated by commas; empty: as ticked)",
        "theme": "Theme",
        "orientation": "Orientation",
        "style": "Style",
        "size": "Size",
        "language": "Language of the bar",
        "apply": "Apply",
        "preview": "Preview",
        "jinja": "Jinja2 tag",
        "html": "HTML snippet for static pages",
        "copy_code": "Copy",
        "copied": "Copied",
        "article": "To the article",
        "nav": "Navigation",
        "skip": "Skip to content",
        "error": "Unknown network in the order: ",
    },
}


@dataclass(frozen=True)
class Choice:
    """What the visitor picked, always valid (unknown values fall back to defaults)."""

    networks: tuple[str, ...]
    order: str
    theme: str
    orientation: str
    style: str
    size: str
    lang: str
    error: str = ""


def from_query(
    query: QueryParams, known: dict[str, str], languages: tuple[str, ...], lang: str
) -> Choice:
    """Read the playground form; keep only known values."""
    ticked = [key for key in query.getlist("n") if key in known] if "n" in query else []
    if not ticked and "n" not in query:
        ticked = list(DEFAULT_NETWORKS)
    order = query.get("order", "").strip()
    error = ""
    if order:
        keys = [key.strip().lower() for key in order.split(",") if key.strip()]
        unknown = [key for key in keys if key not in known]
        if unknown:
            error = ", ".join(unknown)
        ordered = [key for key in keys if key in known]
        ticked = ordered + [key for key in ticked if key not in ordered]
    picked = {
        name: value if (value := query.get(name, "")) in values else values[0]
        for name, values in CHOICES.items()
    }
    bar_lang = query.get("lang") if query.get("lang") in languages else lang
    return Choice(
        tuple(ticked) or DEFAULT_NETWORKS, order, lang=bar_lang or lang, error=error, **picked
    )


def snippets(choice: Choice, service: str) -> tuple[str, str]:
    """The Jinja2 tag and the static-HTML snippet that render this bar."""
    options = {
        name: getattr(choice, name)
        for name in CHOICES
        if getattr(choice, name) != CHOICES[name][0]
    }
    arguments = [
        "url=page_url",
        "title=page_title",
        f"networks={json.dumps(list(choice.networks))}",
    ]
    arguments += [f'{name}="{value}"' for name, value in options.items()]
    jinja = "{{ share_buttons(" + ", ".join(arguments) + ") }}"
    data = [f'data-networks="{",".join(choice.networks)}"']
    data += [f'data-{name}="{value}"' for name, value in options.items()]
    html = (
        f'<link rel="stylesheet" href="{service}/static/sharekit.css">\n'
        f'<script src="{service}/static/sharekit.js" defer></script>\n'
        f"<div data-sharekit-share {' '.join(data)}></div>"
    )
    return jinja, html
