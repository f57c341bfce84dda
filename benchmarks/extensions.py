"""In-process cost per request with Flask-extension support on (issue 15, point 6): the same
three async endpoints (``/``, ``/json``, ``/users/<int:id>``, see ``bench_apps.py``) on an app
without it and on one served for Flask extensions (``import microflask.flask_patch``,
``flask_extension_support`` on: a body-reading hook before each async view, which reads nothing
for these bodiless requests).

Both apps live in one process, so their rounds interleave and machine noise hits both alike; the
best round counts. The patch only installs an import alias, and every choice it makes for an
app is taken when the app freezes, from ``flask_extension_support``: the app "without" sets it
to ``False``, which is what an app in a process that never imports the patch gets. The target
is patched / without <= 1.15.

    python benchmarks/extensions.py [--requests 2000] [--rounds 15] [--loop asyncio|uvloop] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
from typing import Any

from bench_apps import ENDPOINTS, check_body, microflask_app, microflask_patched_app
from benchutil import call, lifespan_startup
from inprocess import best_of_rounds

#: The most the patched app may cost per request, as a multiple of the app without the patch.
TARGET = 1.15


def without_patch() -> Any:
    app = microflask_app()
    app.flask_extension_support = False  # as in a process that never imported microflask.flask_patch
    return app


async def run(requests: int, rounds: int) -> dict[str, dict[str, float]]:
    apps = {"without": without_patch(), "patched": microflask_patched_app()}
    shutdowns = [await lifespan_startup(app) for app in apps.values()]
    try:
        for name, app in apps.items():
            for _, path in ENDPOINTS:
                status, body = await call(app, path)
                check_body(name, path, status, body)
        # The shape the figures depend on: only the patched app reads bodies before its views.
        for name, app in apps.items():
            reads_first = {rule.plan.reads_body_first for rule in app.url_map if rule.plan is not None}
            if reads_first != ({True} if name == "patched" else {False}):
                raise SystemExit(f"{name}: unexpected body reading before the views: {reads_first}")
        return await best_of_rounds(apps, rounds, requests)
    finally:
        for shutdown in shutdowns:
            await shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per app, endpoint and round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds; the best counts")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(run(args.requests, args.rounds))
    else:
        result = asyncio.run(run(args.requests, args.rounds))

    print(
        f"in-process µs/request with and without Flask-extension support (async views), best of {args.rounds}"
        f" rounds x {args.requests} requests ({args.loop})"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print(f"{'endpoint':<18}{'without':>12}{'patched':>12}{'ratio':>10}")
    ratios = {}
    for label, _ in ENDPOINTS:
        without, patched = result["without"][label], result["patched"][label]
        ratios[label] = patched / without
        print(f"{label:<18}{without:>12.2f}{patched:>12.2f}{ratios[label]:>9.2f}x")
    worst = max(ratios.values())
    verdict = "met" if worst <= TARGET else "MISSED"
    print(f"ratio patched/without: worst {worst:.2f}x (target <= {TARGET:.2f}x: {verdict})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "requests": args.requests,
                    "rounds": args.rounds,
                    "loop": args.loop,
                    "us_per_request": result,
                    "ratio_patched_over_without": ratios,
                    "target": TARGET,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
