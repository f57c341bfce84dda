"""Template rendering: microflask's ``render_template`` vs raw sync Jinja ``Template.render``.

The page is 50 autoescaped table rows (``benchmarks/templates/rows.html``), rendered twice:
with the rows as dicts (the page the targets are set on: rows from JSON or a database driver)
and as objects (a dataclass each), whose attribute reads cost the same in both, so that ratio
is microflask's own overhead. Raw Jinja gets its own ``Environment(autoescape=True)`` on the
same folder; microflask renders through ``await render_template`` inside a request context,
with its template globals and context processors machinery in place. Interleaved rounds,
best of N; prints the ratios.

    python benchmarks/templates.py [--renders 2000] [--rounds 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass
from typing import Any

import jinja2

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = [
    {"id": i, "name": f"User <{i}>", "email": f"USER{i}@EXAMPLE.COM", "bio": "likes & <b>bold</b> things"}
    for i in range(50)
]


@dataclass
class Row:
    id: int
    name: str
    email: str
    bio: str


OBJECT_ROWS = [Row(**row) for row in ROWS]  # type: ignore[arg-type]


async def run(renders: int, rounds: int) -> dict[str, float]:
    from microflask import MicroFlask, render_template

    app = MicroFlask(__name__, root_path=HERE)
    raw = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")), autoescape=True)
    raw_template = raw.get_template("rows.html")
    pages = {"": ROWS, "_objects": OBJECT_ROWS}
    best = {f"{who}{page}": float("inf") for who in ("microflask", "jinja") for page in pages}
    async with app.test_request_context("/"):
        for rows in pages.values():
            expected = raw_template.render(title="Users", rows=rows)
            if await render_template("rows.html", title="Users", rows=rows) != expected:
                raise SystemExit("render_template and raw Jinja disagree")
        for _ in range(rounds):
            for page, rows in pages.items():
                start = time.perf_counter()
                for _ in range(renders):
                    raw_template.render(title="Users", rows=rows)
                best[f"jinja{page}"] = min(best[f"jinja{page}"], (time.perf_counter() - start) / renders * 1e6)
                start = time.perf_counter()
                for _ in range(renders):
                    await render_template("rows.html", title="Users", rows=rows)
                key = f"microflask{page}"
                best[key] = min(best[key], (time.perf_counter() - start) / renders * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", "--requests", type=int, default=2000, help="renders per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the best counts")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    best: dict[str, Any] = asyncio.run(run(args.renders, args.rounds))
    ratio = best["microflask"] / best["jinja"]
    ratio_objects = best["microflask_objects"] / best["jinja_objects"]
    print(f"50-row autoescaped page, µs/render, best of {args.rounds} rounds x {args.renders} renders")
    print(f"{'':<32}{'dict rows':>10}{'objects':>10}")
    print(f"{'raw jinja Template.render':<32}{best['jinja']:>10.1f}{best['jinja_objects']:>10.1f}")
    print(f"{'microflask render_template':<32}{best['microflask']:>10.1f}{best['microflask_objects']:>10.1f}")
    print(f"{'ratio':<32}{ratio:>9.2f}x{ratio_objects:>9.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "renders": args.renders,
                    "rounds": args.rounds,
                    "us_per_render": best,
                    "ratio_microflask_over_jinja": ratio,
                    "ratio_microflask_over_jinja_objects": ratio_objects,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
