"""Server-side render time of a 10-network share bar (warm), next to a plain Jinja2 template
that produces the same number of bytes, measured side by side in the same run.

    .venv/bin/python bench/render_bar.py [--rounds 15] [--number 2000]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import timeit

from _tags import TEN, installed
from jinja2 import Environment

PLAIN = """<div class="bar">{% for item in items %}<a href="{{ item.href }}" data-x="{{ item.a }}"
 title="{{ item.t }}">{{ item.b }}</a>{% endfor %}</div>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    env, tags = installed()
    template = env.from_string(
        "{{ share_buttons(url='https://b.example/2026/über-uns', title=title, networks=n,"
        " lang='de') }}"
    )
    context = {"title": "Drei Tage am Albtrauf: Route, Kosten & mehr", "n": TEN}
    bar_html = template.render(context)

    # A plain template whose output has the same size as the bar's.
    filler = "x" * max(1, (len(bar_html) - 60 * 10) // 40)
    items = [
        {"href": f"/share/{i}?u={filler}", "a": filler, "t": filler, "b": filler}
        for i in range(10)
    ]
    plain = Environment(autoescape=True).from_string(PLAIN)
    while len(plain.render(items=items)) < len(bar_html):
        for item in items:
            item["b"] += "y" * 8
    plain_html = plain.render(items=items)

    def run(fn: object) -> list[float]:
        timer = timeit.Timer(fn)  # type: ignore[arg-type]
        timer.timeit(200)  # warm up
        return [t / args.number * 1e6 for t in timer.repeat(args.rounds, args.number)]

    # A new page on every call: the per-page work with only the skeleton cached.
    pages = itertools.count()

    def new_page() -> str:
        return template.render(title=f"Drei Tage am Albtrauf, Teil {next(pages)}", n=TEN)

    # Interleave the three so machine noise hits them alike.
    warm: list[float] = []
    fresh: list[float] = []
    plain_times: list[float] = []
    for _ in range(3):
        warm += run(lambda: template.render(context))
        fresh += run(new_page)
        plain_times += run(lambda: plain.render(items=items))
    warm_median, fresh_median = statistics.median(warm), statistics.median(fresh)
    plain_median = statistics.median(plain_times)
    print(
        f"10-network share bar, same page again (warm): median {warm_median:.1f} µs "
        f"({len(bar_html)} B of HTML)"
    )
    print(f"10-network share bar, a new page each call:   median {fresh_median:.1f} µs")
    print(
        f"plain Jinja2 template, same output size:      median {plain_median:.1f} µs "
        f"({len(plain_html)} B)"
    )
    print(
        f"ratios to plain Jinja2: warm {warm_median / plain_median:.2f}, "
        f"new page {fresh_median / plain_median:.2f}; budget 50 µs (warm): "
        f"{'OK' if warm_median <= 50 else 'OVER'}"
    )
    del tags


if __name__ == "__main__":
    main()
