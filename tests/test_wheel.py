"""The wheel carries widgets/: build it, install it in a fresh venv, render from the copy."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sharekit, sharekit.paths, jinja2
from sharekit import Settings, Site
assert "site-packages" in sharekit.__file__, sharekit.__file__
env = jinja2.Environment(autoescape=True)
sharekit.install(env, Settings(secret_key="x" * 32, sites=[Site(key="a", origins=["https://a.example"])]))
html = env.from_string("{{ sharekit_head() }}").render()
assert 'integrity="sha384-' in html, html
import pathlib, sharekit.demo
demo = pathlib.Path(sharekit.demo.__file__).parent
assert (demo / "templates" / "article-de.html").is_file()
assert (demo / "static" / "demo.css").is_file()
print(sharekit.paths.WIDGETS)
"""


@pytest.mark.slow
def test_wheel_ships_widgets(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("sharekit-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    result = subprocess.run(
        [str(python), "-c", SCRIPT],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    widgets = Path(result.stdout.strip())
    assert widgets.is_relative_to(env_dir)
    assert (widgets / "templates" / "head.html").is_file()
    assert (widgets / "locale" / "de" / "LC_MESSAGES" / "sharekit.po").is_file()
