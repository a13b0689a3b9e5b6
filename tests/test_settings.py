from __future__ import annotations

from pathlib import Path

import pytest

from sharekit import ConfigurationError, Settings, Site

SECRET = "s" * 32

CONFIG = """
secret_key = "from-the-file-0123456789abcdef"
default_language = "de"

[[sites]]
key = "blog"
origins = ["https://Blog.Example/"]
privacy_policy_url = "https://blog.example/datenschutz"
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SHAREKIT_"):
            monkeypatch.delenv(name)


def test_defaults(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.secret_key is None
    assert settings.sites == []
    assert settings.default_language == "en"
    assert settings.public_url == "/sharekit"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"
    with pytest.raises(ConfigurationError, match="no secret key"):
        settings.require_service_ready()


def test_require_a_site() -> None:
    with pytest.raises(ConfigurationError, match="no site configured"):
        Settings(secret_key=SECRET).require_service_ready()


def test_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "sharekit.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = Settings.load(config)
    assert settings.default_language == "de"
    assert settings.sites[0].origins == ["https://blog.example"]
    assert str(settings.sites[0].privacy_policy_url) == "https://blog.example/datenschutz"
    settings.require_service_ready()


def test_environment_beats_file_and_overrides_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sharekit.toml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("SHAREKIT_DEFAULT_LANGUAGE", "fr")
    monkeypatch.setenv("SHAREKIT_SITES", '[{"key": "env", "origins": ["https://env.example"]}]')
    settings = Settings.load(config)
    assert settings.default_language == "fr"
    assert [site.key for site in settings.sites] == ["env"]
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "from-the-file-0123456789abcdef"
    assert Settings.load(config, default_language="it").default_language == "it"


def test_environment_adds_to_a_table_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sharekit.toml"
    config.write_text(
        CONFIG + '\n[smtp]\nhost = "mail.example"\nsender = "blog@example.org"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SHAREKIT_SMTP__PASSWORD", "from-the-environment")
    monkeypatch.setenv("SHAREKIT_SMTP__PORT", "465")
    smtp = Settings.load(config).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.sender) == ("mail.example", 465, "blog@example.org")
    assert smtp.password is not None
    assert smtp.password.get_secret_value() == "from-the-environment"


def test_trusted_proxies_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREKIT_TRUSTED_PROXIES", '["127.0.0.1/32", "10.0.0.0/8", "::1"]')
    settings = Settings.load()
    assert [str(net) for net in settings.trusted_proxies] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("secret_key = 'short'", "secret_key is too short"),
        ("[[sites]]\nkey = 'Bad Key'\norigins = ['https://a.example']", "sites.0.key"),
        ("[[sites]]\nkey = 'a'\norigins = ['https://a.example/blog']", "has a path"),
        ("[[sites]]\nkey = 'a'\norigins = []", "sites.0.origins"),
        ("default_language = 'german!'", "not a language tag"),
        ("unknown_field = 1", "unknown_field: Extra inputs are not permitted"),
        (
            "[[sites]]\nkey='a'\norigins=['https://a.example']\n"
            "[[sites]]\nkey='a'\norigins=['https://b.example']",
            "two sites have the same key",
        ),
        ("secret_key = ", "is not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_message(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message) as info:
        Settings.load(config)
    assert "\n" not in str(info.value)
    assert str(config) in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        Settings.load(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("given", "normal"), [("de", "de"), ("DE", "de"), ("de_at", "de-AT"), ("pt-br", "pt-BR")]
)
def test_language_tags_are_normalised(given: str, normal: str) -> None:
    assert Settings(default_language=given).default_language == normal


def test_site_lookup() -> None:
    blog = Site(key="blog", origins=["https://blog.example", "https://www.blog.example"])
    settings = Settings(secret_key=SECRET, sites=[blog], default_language="de")
    assert settings.site("blog") is blog
    assert settings.site("nope") is None
    assert settings.site_for_url("https://WWW.blog.example/post") is blog
    assert settings.site_for_url("https://blog.example:8443/post") is None
    assert settings.site_for_url("https://evil.example@blog.example/") is None
    assert blog.allows("https://blog.example/a?b=c")
    assert not blog.allows("http://blog.example/")
    assert settings.language_of(blog) == "de"
    assert (
        settings.language_of(Site(key="x", origins=["https://x.example"], language="fr")) == "fr"
    )


def test_secret_is_not_shown() -> None:
    settings = Settings(secret_key=SECRET)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
