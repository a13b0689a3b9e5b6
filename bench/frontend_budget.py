"""Front-end budgets: sharekit.js minified+gzipped ≤ 3 KB, all CSS gzipped ≤ 3 KB, no fonts.

Measures the files exactly as the service serves them (sharekit.css includes the generated
per-network colours), and prints a 10-network bar's inline size for comparison with Shariff
(23 KB gzipped JS + ~168 KB icon font) and shareon (1.4 KB gzipped JS, no no-JS path).

    .venv/bin/python bench/frontend_budget.py
"""

from __future__ import annotations

import gzip

import rcssmin
import rjsmin
from _tags import TEN, installed

BUDGET = 3 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> None:
    env, tags = installed()
    assets = tags.renderer.assets
    js = assets.get("sharekit.js").body
    css = assets.get("sharekit.css").body
    js_min = rjsmin.jsmin(js.decode()).encode()
    comments_js = assets.get("comments.js").body
    css_min = rcssmin.cssmin(css.decode()).encode()
    fonts = [
        path.name
        for path in assets.directory.rglob("*")
        if path.suffix in {".woff", ".woff2", ".ttf", ".otf", ".eot"}
    ]
    bar = env.from_string(
        "{{ share_buttons(url='https://b.example/post', title='Ein Titel', networks=n) }}"
    ).render(n=TEN)
    rows = [
        ("sharekit.js raw", len(js), None),
        ("sharekit.js gzipped (as served)", gz(js), None),
        ("sharekit.js minified+gzipped", gz(js_min), BUDGET),
        (
            "comments.js minified+gzipped (comment pages only)",
            gz(rjsmin.jsmin(comments_js.decode()).encode()),
            None,
        ),
        ("sharekit.css raw (all themes, all network colours)", len(css), None),
        ("sharekit.css gzipped (as served)", gz(css), BUDGET),
        ("sharekit.css minified+gzipped", gz(css_min), None),
        ("10-network bar markup incl. inline SVG, gzipped", gz(bar.encode()), None),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, size, budget in rows:
        verdict = ""
        if budget is not None:
            verdict = f"  budget {budget} B: {'OK' if size <= budget else 'OVER'}"
        print(f"{name:<{width}}  {size:>6} B{verdict}")
    print(f"{'font files':<{width}}  {len(fonts):>6}")


if __name__ == "__main__":
    main()
