from __future__ import annotations

import pytest

from sharekit.origins import normalise_origin, origin_of


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://blog.example/post?x=1#y", "https://blog.example"),
        ("HTTPS://Blog.Example:443/", "https://blog.example"),
        ("http://blog.example:80", "http://blog.example"),
        ("http://blog.example:8080/a", "http://blog.example:8080"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
        ("https://blog.example./x", "https://blog.example"),
    ],
)
def test_origin_of_valid(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "//evil.example",
        "/relative/path",
        "https://evil.example@blog.example/",
        "https://user:pw@blog.example/",
        "https:/\\evil.example",
        "https://blog.example\\@evil.example",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://blog.example/",
        "https://blog.example:99999/",
        "https:///path-only",
        " https://blog.example/",
        "https://blog.example/\r\nLocation: x",
        "",
    ],
)
def test_origin_of_rejects(url: str) -> None:
    assert origin_of(url) is None


def test_normalise_origin_rejects_paths() -> None:
    with pytest.raises(ValueError, match="has a path"):
        normalise_origin("https://blog.example/blog")
    with pytest.raises(ValueError, match="not an origin"):
        normalise_origin("blog.example")
    assert normalise_origin("https://Blog.Example/") == "https://blog.example"
