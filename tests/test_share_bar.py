"""The share bar without HTTP: options, rendering, notices, colours and the registry."""

from __future__ import annotations

import gettext
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args
from urllib.parse import parse_qs, urlsplit

import pytest
from jinja2 import DictLoader, Environment
from markupsafe import Markup
from pydantic import ValidationError

import sharekit
from sharekit import ConfigurationError, Settings, create_app
from sharekit.i18n import Catalogs
from sharekit.rendering import Renderer, build_assets
from sharekit.settings import CustomNetwork
from sharekit.share.bar import (
    BarOptions,
    Orientation,
    ShareBar,
    Size,
    Style,
    Theme,
    accessible_name,
    notice_text,
)
from sharekit.share.colors import AA, contrast, readable_on, relative_luminance
from sharekit.share.networks import NETWORKS, Page
from sharekit.share.registry import Registry

URL = "https://blog.example/2026/über-uns?x=1&y=2"
TITLE = 'Grüße & "Zitate" #1?'
IMAGE = "https://blog.example/bild.jpg"
BASE = "/sharekit"
EN = gettext.NullTranslations()

FORUM = CustomNetwork(
    key="myforum",
    label="My Forum",
    url_template="https://forum.example/share?u={url}&t={title}",
    color="#AC130D",
)


class _Tags(HTMLParser):
    """Every start tag of a fragment with its (unescaped) attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def tags(html: str, name: str, cls: str | None = None) -> list[dict[str, str | None]]:
    parser = _Tags()
    parser.feed(html)
    return [
        attrs
        for tag, attrs in parser.found
        if tag == name and (cls is None or cls in (attrs.get("class") or "").split())
    ]


def buttons(html: str) -> list[dict[str, str | None]]:
    return tags(html, "a", "sk-share__button")


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def renderer(registry: Registry) -> Renderer:
    return Renderer(Catalogs(), build_assets(registry), BASE)


@pytest.fixture
def bar(registry: Registry, renderer: Renderer, settings: Settings) -> ShareBar:
    return ShareBar(registry, renderer, settings.share_networks)


def render(
    bar: ShareBar,
    lang: str = "en",
    page: Page | None = None,
    **options: object,
) -> str:
    page = page or Page(url=URL, title=TITLE)
    return str(bar.render(page, BarOptions.model_validate(options), lang, BASE, "blog"))


ALL = ",".join(NETWORKS)


# Buttons ------------------------------------------------------------------------------


def test_render_returns_safe_markup(bar: ShareBar) -> None:
    markup = bar.render(Page(url=URL), BarOptions(), "en", BASE, "blog")
    assert isinstance(markup, Markup)


def test_default_networks_in_settings_order(bar: ShareBar, settings: Settings) -> None:
    keys = [a["data-sk-network"] for a in buttons(render(bar))]
    assert keys == settings.share_networks


def test_every_network_is_a_real_link(bar: ShareBar) -> None:
    links = buttons(render(bar, networks=ALL))
    assert [a["data-sk-network"] for a in links] == list(NETWORKS)
    for a in links:
        href = a["href"] or ""
        assert href, a
        assert not href.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))
        assert href.startswith((f"{BASE}/share/", "mailto:", "sms:")), href


@pytest.mark.parametrize("key", [k for k, n in NETWORKS.items() if n.external])
def test_external_buttons_link_to_the_consent_page(bar: ShareBar, key: str) -> None:
    (a,) = buttons(render(bar, networks=key))
    href = a["href"] or ""
    assert href.startswith(f"{BASE}/share/{key}?")
    assert parse_qs(urlsplit(href).query) == {"url": [URL], "title": [TITLE], "lang": ["en"]}
    assert a["rel"] == "nofollow noopener noreferrer"


@pytest.mark.parametrize("key", [k for k, n in NETWORKS.items() if n.action == "open"])
def test_open_buttons_carry_the_share_url_and_notice(bar: ShareBar, key: str) -> None:
    (a,) = buttons(render(bar, networks=key))
    build = NETWORKS[key].build
    assert build is not None
    assert a["data-sk-share"] == build(Page(url=URL, title=TITLE))
    assert a["data-sk-notice"] == notice_text(EN, NETWORKS[key], Page(url=URL, title=TITLE))


def test_icons_are_hidden_from_assistive_technology(bar: ShareBar) -> None:
    html = render(bar, networks=ALL)
    icons = tags(html, "svg")
    assert len(icons) == len(NETWORKS)
    for svg in icons:
        assert svg["aria-hidden"] == "true"
        assert svg["focusable"] == "false"


@pytest.mark.parametrize(
    ("lang", "key", "name"),
    [
        ("en", "bluesky", "Share on Bluesky"),
        ("de", "bluesky", "Auf Bluesky teilen"),
        ("en", "hackernews", "Share on Hacker News"),
        ("de", "teams", "Auf Microsoft Teams teilen"),
        ("en", "email", "Share by email"),
        ("de", "email", "Per E-Mail teilen"),
        ("en", "copy", "Copy link"),
        ("de", "copy", "Link kopieren"),
        ("en", "native", "Share with another app"),
        ("en", "print", "Print this page"),
        ("en", "info", "About these buttons and your privacy"),
    ],
)
def test_icon_style_names_each_button(bar: ShareBar, lang: str, key: str, name: str) -> None:
    (a,) = buttons(render(bar, lang, networks=key, style="icon"))
    assert a["aria-label"] == name
    assert a["title"] == name


@pytest.mark.parametrize("key", list(NETWORKS))
def test_every_button_has_an_accessible_name_in_icon_style(bar: ShareBar, key: str) -> None:
    (a,) = buttons(render(bar, networks=key, style="icon"))
    assert (a["aria-label"] or "").strip()


@pytest.mark.parametrize("style", ["icon-label", "label"])
@pytest.mark.parametrize(
    ("key", "label", "hidden"),
    [
        ("bluesky", "Bluesky", "Share on Bluesky"),
        ("email", "Email", "Share by email"),
        ("native", "More", "Share with another app"),
    ],
)
def test_labelled_styles_show_a_visible_label(
    bar: ShareBar, style: str, key: str, label: str, hidden: str
) -> None:
    html = render(bar, networks=key, style=style)
    (a,) = buttons(html)
    assert "aria-label" not in a
    assert f'<span class="sk-share__label">{label}</span>' in html
    assert f'<span class="sk-visually-hidden"> \u2013 {hidden}</span>' in html


def test_labelled_style_does_not_repeat_a_name_equal_to_the_label(bar: ShareBar) -> None:
    html = render(bar, networks="copy", style="icon-label")
    assert '<span class="sk-share__label">Copy link</span>' in html
    assert "sk-visually-hidden" not in html


def test_icon_style_has_no_visible_label(bar: ShareBar) -> None:
    assert "sk-share__label" not in render(bar, networks=ALL, style="icon")


def test_native_button_is_hidden_until_the_script_shows_it(bar: ShareBar) -> None:
    html = render(bar, networks="bluesky,native,copy")
    items = tags(html, "li", "sk-share__item")
    assert ["hidden" in li for li in items] == [False, True, False]


@pytest.mark.parametrize(
    ("lang", "intro"),
    [("en", "I thought this might interest you:"), ("de", "Das könnte dich interessieren:")],
)
def test_email_is_a_mailto_link_with_the_translated_intro(
    bar: ShareBar, lang: str, intro: str
) -> None:
    (a,) = buttons(render(bar, lang, networks="email"))
    href = a["href"] or ""
    assert href.startswith("mailto:?")
    assert a["data-sk-share"] == href
    query = parse_qs(urlsplit(href).query)
    assert query["subject"] == [TITLE]
    assert query["body"] == [f"{intro}\r\n\r\n{URL}"]
    assert "target" not in a


def test_email_body_uses_the_page_text_when_given(bar: ShareBar) -> None:
    page = Page(url=URL, title=TITLE, text="Lesenswert")
    (a,) = buttons(render(bar, "de", page, networks="email"))
    body = parse_qs(urlsplit(a["href"] or "").query)["body"]
    assert body == [f"Lesenswert\r\n\r\n{URL}"]


def test_sms_is_an_sms_link(bar: ShareBar) -> None:
    (a,) = buttons(render(bar, networks="sms"))
    assert (a["href"] or "").startswith("sms:?&body=")


def test_info_button_links_to_the_info_page_in_the_bars_language(bar: ShareBar) -> None:
    (a,) = buttons(render(bar, "de", networks="info"))
    assert a["href"] == f"{BASE}/share/info?lang=de"


def test_info_button_prefers_the_sites_own_page(bar: ShareBar) -> None:
    info = "https://blog.example/datenschutz#teilen"
    html = bar.render(Page(url=URL), BarOptions(networks=("info",)), "en", BASE, "blog", info)
    (a,) = buttons(str(html))
    assert a["href"] == info


@pytest.mark.parametrize("key", ["copy", "native", "print", "email", "sms", "info"])
def test_local_buttons_carry_no_consent_notice(bar: ShareBar, key: str) -> None:
    (a,) = buttons(render(bar, networks=key))
    assert "data-sk-notice" not in a


def test_bar_carries_page_site_and_base(bar: ShareBar) -> None:
    (root,) = tags(render(bar), "div", "sk-share")
    assert root["data-sk-url"] == URL
    assert root["data-sk-site"] == "blog"
    assert root["data-sk-base"] == BASE
    assert root["lang"] == "en"
    assert "data-sharekit-bar" in root


def test_rendering_is_pure(bar: ShareBar) -> None:
    # No server-side ids or counters: the same input gives the same markup (the script gives
    # each status region its id when it first needs one), so bars can be cached.
    first, second = render(bar), render(bar)
    assert first == second
    (status,) = tags(first, "p", "sk-share__status")
    assert "id" not in status


def test_counts_option_adds_count_slots(bar: ShareBar) -> None:
    html = render(bar, networks="bluesky,x", counts=True)
    assert "data-sk-counts" in tags(html, "div", "sk-share")[0]
    assert len(tags(html, "span", "sk-share__count")) == 2
    assert "sk-share__count" not in render(bar, networks="bluesky,x")


def test_remember_consent_adds_the_checkbox(registry: Registry, renderer: Renderer) -> None:
    remembering = ShareBar(registry, renderer, ["bluesky"], remember_consent=True)
    html = str(remembering.render(Page(url=URL), BarOptions(), "en", BASE, "blog"))
    assert "data-sk-remember" in tags(html, "div", "sk-share")[0]
    assert any("data-sk-remember-box" in box for box in tags(html, "input"))


def test_page_values_are_escaped(bar: ShareBar) -> None:
    page = Page(url=URL, title='"><script>alert(1)</script>')
    html = render(bar, "en", page, networks="bluesky,mastodon")
    assert "<script>" not in html
    (hidden,) = [i for i in tags(html, "input") if i.get("name") == "title"]
    assert hidden["value"] == page.title


# Fediverse form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("networks", "forms"),
    [
        ("bluesky,x,email", []),
        ("copy", []),
        ("mastodon", ["mastodon"]),
        ("diaspora", ["diaspora"]),
        ("bluesky,mastodon,diaspora", ["mastodon", "diaspora"]),
    ],
)
def test_fediverse_form_only_with_a_fediverse_network(
    bar: ShareBar, networks: str, forms: list[str]
) -> None:
    found = tags(render(bar, networks=networks), "form", "sk-share__fediverse")
    assert [form["data-sk-fediverse"] for form in found] == forms
    for form in found:
        assert form["method"] == "post"
        assert form["action"] == f"{BASE}/share/{form['data-sk-fediverse']}"
        assert "hidden" in form


@pytest.mark.parametrize(("key", "selected"), [("mastodon", "mastodon"), ("diaspora", "diaspora")])
def test_fediverse_form_preselects_the_buttons_software(
    bar: ShareBar, key: str, selected: str
) -> None:
    options = tags(render(bar, networks=key), "option")
    assert [o["value"] for o in options if "selected" in o] == [selected]


def test_fediverse_form_keeps_the_page_in_hidden_fields(bar: ShareBar) -> None:
    html = render(bar, "de", networks="mastodon")
    hidden = {i["name"]: i["value"] for i in tags(html, "input") if i.get("type") == "hidden"}
    assert hidden == {"url": URL, "title": TITLE, "site": "blog", "lang": "de"}


def test_fediverse_templates_leave_only_the_server_open(bar: ShareBar) -> None:
    options = tags(render(bar, networks="mastodon"), "option")
    for option in options:
        template = option["data-sk-template"] or ""
        assert template.startswith("https://{server}/")
        assert "{" not in template.replace("{server}", "")


# Options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("theme", get_args(Theme)),
        ("orientation", get_args(Orientation)),
        ("style", get_args(Style)),
        ("size", get_args(Size)),
    ],
)
def test_every_option_value_becomes_a_class(
    bar: ShareBar, field: str, values: tuple[str, ...]
) -> None:
    assert values
    for value in values:
        (root,) = tags(render(bar, **{field: value}), "div", "sk-share")
        assert f"sk-share--{value}" in (root["class"] or "").split()


def test_default_classes(bar: ShareBar) -> None:
    (root,) = tags(render(bar), "div", "sk-share")
    classes = (root["class"] or "").split()
    assert classes == [
        "sk-share",
        "sk-share--color",
        "sk-share--horizontal",
        "sk-share--icon",
        "sk-share--m",
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("bluesky,mastodon", ("bluesky", "mastodon")),
        (" bluesky , mastodon ,", ("bluesky", "mastodon")),
        ("x", ("x",)),
        (["x", "email"], ("x", "email")),
        (("x",), ("x",)),
        ("", ()),
        (None, None),
    ],
)
def test_options_accept_comma_separated_networks(given: object, expected: object) -> None:
    assert BarOptions.model_validate({"networks": given}).networks == expected


@pytest.mark.parametrize(
    "bad",
    [
        {"theme": "pink"},
        {"theme": "Color"},
        {"orientation": "diagonal"},
        {"style": "text"},
        {"size": "xl"},
        {"size": ""},
        {"counts": "maybe"},
        {"colour": "red"},
        {"networks": 5},
        {"networks": ",".join(["x"] * 41)},
    ],
)
def test_options_reject_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BarOptions.model_validate(bad)


def test_options_are_frozen() -> None:
    options = BarOptions()
    with pytest.raises(ValidationError):
        options.theme = "dark"  # type: ignore[misc]


def test_networks_render_in_the_given_order(bar: ShareBar) -> None:
    links = buttons(render(bar, networks="xing,bluesky,email,x"))
    assert [a["data-sk-network"] for a in links] == ["xing", "bluesky", "email", "x"]


@pytest.mark.parametrize("keys", [["nope"], ["bluesky", "myspace"], [""]])
def test_registry_refuses_unknown_keys(registry: Registry, keys: list[str]) -> None:
    with pytest.raises(ValueError, match="unknown network"):
        registry.resolve(keys)


def test_registry_resolves_keys_loosely(registry: Registry) -> None:
    assert [n.key for n in registry.resolve([" Bluesky ", "X"])] == ["bluesky", "x"]


def test_render_refuses_unknown_keys(bar: ShareBar) -> None:
    with pytest.raises(ValueError, match="nope"):
        render(bar, networks="bluesky,nope")


def test_bar_refuses_unknown_default_networks(registry: Registry, renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="myspace"):
        ShareBar(registry, renderer, ["bluesky", "myspace"])


# Notices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shared", "sends"),
    [
        ("bluesky", Page(url=URL), "the address of this page to Bluesky"),
        ("bluesky", Page(url=URL, title="T"), "the address and title of this page to Bluesky"),
        ("facebook", Page(url=URL, title="T"), "the address of this page to Facebook"),
        ("bluesky", Page(url=URL, title="T", text="S", media=IMAGE), "address and title"),
        ("tumblr", Page(url=URL, title="T", text="S"), "address, title and summary"),
        ("tumblr", Page(url=URL, title="T"), "the address and title of this page"),
        ("pinterest", Page(url=URL, title="T", media=IMAGE), "address, title and image"),
        ("pinterest", Page(url=URL, title="T"), "the address and title of this page"),
        ("vk", Page(url=URL, title="T", media=IMAGE), "address, title and image"),
        ("mastodon", Page(url=URL), "to the Mastodon or fediverse server you choose"),
        ("mastodon", Page(url=URL, title="T"), "address and title of this page to the Mastodon"),
        ("diaspora", Page(url=URL, title="T"), "and title of this page to the diaspora* pod you"),
        pytest.param(
            "pinterest",
            Page(url=URL, media=IMAGE),
            "image of this page to Pinterest",
            id="pinterest-media-without-title",
        ),
        pytest.param(
            "vk",
            Page(url=URL, media=IMAGE),
            "image of this page to VK",
            id="vk-media-without-title",
        ),
        pytest.param(
            "tumblr",
            Page(url=URL, text="S"),
            "summary of this page to Tumblr",
            id="tumblr-text-without-title",
        ),
    ],
)
def test_notice_names_what_is_sent(key: str, shared: Page, sends: str) -> None:
    notice = notice_text(EN, NETWORKS[key], shared)
    assert notice.startswith("Sharing sends ")
    assert sends in notice
    assert ("title" in notice) == bool(shared.title and "title" in NETWORKS[key].sends)


@pytest.mark.parametrize(("armed", "ending"), [(True, "Click again to share."), (False, "")])
def test_notice_says_what_happens_next(armed: bool, ending: str) -> None:
    notice = notice_text(EN, NETWORKS["bluesky"], Page(url=URL, title="T"), armed=armed)
    assert notice.endswith(ending or "Nothing has been sent yet.")


def test_notice_in_german() -> None:
    german = Catalogs().translations("de")
    notice = notice_text(german, NETWORKS["bluesky"], Page(url=URL, title="T"), armed=False)
    assert notice == (
        "Teilen sendet die Adresse und den Titel dieser Seite an Bluesky. "
        "Bisher wurde nichts gesendet."
    )


@pytest.mark.parametrize("key", ["bluesky", "tumblr", "pinterest"])
def test_bar_notice_without_a_title_names_only_the_address(bar: ShareBar, key: str) -> None:
    (a,) = buttons(render(bar, "en", Page(url=URL), networks=key))
    label = NETWORKS[key].label
    assert a["data-sk-notice"] == (
        f"Sharing sends the address of this page to {label}. Click again to share."
    )


def test_accessible_name_translates() -> None:
    german = Catalogs().translations("de")
    assert accessible_name(german, NETWORKS["bluesky"]) == "Auf Bluesky teilen"
    assert accessible_name(EN, NETWORKS["bluesky"]) == "Share on Bluesky"


# Colours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "two", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#FFFFFF", "#000000", 21.0),
        ("#777777", "#ffffff", 4.48),
        ("#767676", "#ffffff", 4.54),
        ("#595959", "#ffffff", 7.0),
        ("#123456", "#123456", 1.0),
    ],
)
def test_contrast_of_known_pairs(one: str, two: str, ratio: float) -> None:
    assert contrast(one, two) == pytest.approx(ratio, abs=0.01)


def test_relative_luminance_bounds() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)


@pytest.mark.parametrize("key", list(Registry().networks))
def test_every_network_colour_is_made_readable_on_white(key: str) -> None:
    colour = Registry().networks[key].color
    readable = readable_on(colour)
    assert contrast(readable, "#ffffff") >= AA
    assert readable == readable.lower()


@pytest.mark.parametrize("key", list(Registry().networks))
def test_readable_colour_keeps_a_passing_colour(key: str) -> None:
    colour = Registry().networks[key].color
    if contrast(colour, "#ffffff") >= AA:
        assert readable_on(colour) == colour.lower()


@pytest.mark.parametrize("colour", ["#25D366", "#3FE669", "#FFFF00", "#ffffff", "#FF6600"])
def test_readable_on_dark_backgrounds_lightens(colour: str) -> None:
    for background in ("#000000", "#1a1a1a"):
        assert contrast(readable_on(colour, background), background) >= AA
    assert readable_on("#000000", "#000000") != "#000000"


def test_readable_on_keeps_the_hue() -> None:
    assert readable_on("#25D366") == "#188741"


def test_colours_css_uses_readable_colours(registry: Registry) -> None:
    css = registry.colours_css()
    for key, network in registry.networks.items():
        assert f".sk-b-{key}{{--sk-brand:{readable_on(network.color)}}}" in css


# Custom networks --------------------------------------------------------------------


def test_custom_network_is_in_the_registry_with_the_fallback_icon() -> None:
    registry = Registry([FORUM])
    network = registry.networks["myforum"]
    assert network.label == "My Forum"
    assert network.action == "open"
    assert registry.icons["myforum"] == registry.icons["native"]
    assert ".sk-b-myforum{" in registry.colours_css()


def test_custom_network_renders_in_the_bar(renderer: Renderer) -> None:
    registry = Registry([FORUM])
    custom_bar = ShareBar(registry, renderer, ["bluesky", "myforum"])
    html = str(custom_bar.render(Page(url=URL, title=TITLE), BarOptions(), "de", BASE, "blog"))
    links = buttons(html)
    assert [a["data-sk-network"] for a in links] == ["bluesky", "myforum"]
    forum = links[1]
    assert forum["aria-label"] == "Auf My Forum teilen"
    assert (forum["href"] or "").startswith(f"{BASE}/share/myforum?")
    assert forum["data-sk-share"] == (
        "https://forum.example/share?u=https%3A%2F%2Fblog.example%2F2026%2F%C3%BCber-uns"
        "%3Fx%3D1%26y%3D2&t=Gr%C3%BC%C3%9Fe%20%26%20%22Zitate%22%20%231%3F"
    )
    assert str(registry.icons["native"]) in html


def test_custom_network_with_its_own_icon(tmp_path: Path) -> None:
    icon = tmp_path / "forum.svg"
    icon.write_text('<svg viewBox="0 0 24 24"><path d="M0 0h24v24H0z"/></svg>', "utf-8")
    registry = Registry([FORUM.model_copy(update={"icon": icon})])
    assert 'aria-hidden="true"' in registry.icons["myforum"]
    assert registry.icons["myforum"] != registry.icons["native"]


@pytest.mark.parametrize(
    "svg",
    [
        '<svg onload="alert(1)"></svg>',
        "<svg><script>alert(1)</script></svg>",
        "not an svg",
    ],
)
def test_custom_icon_must_be_a_plain_svg(tmp_path: Path, svg: str) -> None:
    icon = tmp_path / "forum.svg"
    icon.write_text(svg, "utf-8")
    with pytest.raises(ConfigurationError, match="icon"):
        Registry([FORUM.model_copy(update={"icon": icon})])


def test_custom_icon_that_cannot_be_read(tmp_path: Path) -> None:
    missing = FORUM.model_copy(update={"icon": tmp_path / "missing.svg"})
    with pytest.raises(ConfigurationError, match="cannot read icon"):
        Registry([missing])


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("ftp://forum.example/share?u={url}", "myforum"),
        ("https://{url}/share", "myforum"),
        ("https://user@forum.example/share?u={url}", "myforum"),
        ("https://forum.example/share?u={page}", "myforum"),
        ("https://forum.example/share?u={url", "myforum"),
        ("https://forum.example/share?u={url!r}", "myforum"),
        ("https://forum.example/share?u={url}", "bluesky"),
        ("https://forum.example/share?u={url}", "My Forum"),
    ],
)
def test_bad_custom_network_stops_create_app(settings: Settings, template: str, key: str) -> None:
    bad = FORUM.model_copy(update={"url_template": template, "key": key})
    with pytest.raises(ConfigurationError, match="share_custom_networks"):
        create_app(settings.model_copy(update={"share_custom_networks": [bad]}))


def test_two_custom_networks_with_one_key_stop_create_app(settings: Settings) -> None:
    twice = settings.model_copy(update={"share_custom_networks": [FORUM, FORUM]})
    with pytest.raises(ConfigurationError, match="taken"):
        create_app(twice)


def test_unknown_default_network_stops_create_app(settings: Settings) -> None:
    with pytest.raises(ValueError, match="myspace"):
        create_app(settings.model_copy(update={"share_networks": ["bluesky", "myspace"]}))


# Through a site's own Jinja2 environment ----------------------------------------------


def test_share_buttons_tag_renders_the_same_bar(settings: Settings) -> None:
    env = Environment(
        loader=DictLoader(
            {"page.html": '{{ share_buttons(url=url, title="Hi", networks="bluesky,email") }}'}
        ),
        autoescape=True,
    )
    sharekit.install(env, settings)
    html = env.get_template("page.html").render(url=URL)
    links = buttons(html)
    assert [a["data-sk-network"] for a in links] == ["bluesky", "email"]
    # blog.example's pages speak German
    assert links[0]["aria-label"] == "Auf Bluesky teilen"
    assert (links[0]["href"] or "").startswith("/sharekit/share/bluesky?")


def test_share_buttons_tag_with_a_custom_network(settings: Settings) -> None:
    env = Environment(autoescape=True)
    sharekit.install(env, settings.model_copy(update={"share_custom_networks": [FORUM]}))
    template = env.from_string('{{ share_buttons(url=url, networks="myforum", lang="en") }}')
    (a,) = buttons(template.render(url=URL))
    assert a["aria-label"] == "Share on My Forum"
