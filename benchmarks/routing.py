"""Routing cost vs number of routes: apps with 10, 100 and 1000 parameterised routes
``/r{i}/<int:id>`` (Starlette: ``/r{i}/{id:int}``), each asked for its LAST route.

In-process, as ``inprocess.py``: interleaved rounds, best of N. Prints µs/request per app and
route count, and each app's ratio of the last-of-1000 to the last-of-10 (1.0 = flat).

    python benchmarks/routing.py [--requests 5000] [--rounds 5] [--counts 10,100,1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from typing import Any

from bench_apps import ROUTES_APPS
from benchutil import Collector, Receive, call, scope_for


async def time_requests(app: Any, path: str, n: int) -> float:
    """µs/request over at most ``n`` requests, fewer for slow cases (about 0.5 s of work each)."""
    base = scope_for(path)
    send = Collector()
    start = time.perf_counter()
    for _ in range(50):
        await app(dict(base), Receive(), send)
    estimate = (time.perf_counter() - start) / 50
    n = max(min(n, 200), min(n, int(0.5 / estimate)))
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(base), Receive(), send)
    return (time.perf_counter() - start) / n * 1e6


async def run(counts: list[int], requests: int, rounds: int) -> dict[str, dict[int, float]]:
    apps = {(name, n): factory(n) for name, factory in ROUTES_APPS.items() for n in counts}
    for (name, n), app in apps.items():
        status, body = await call(app, f"/r{n - 1}/42")
        if status != 200 or json.loads(body) != {"route": n - 1, "id": 42}:
            raise SystemExit(f"{name} with {n} routes answered {status} {body!r}")
    best: dict[str, dict[int, float]] = {name: {} for name in ROUTES_APPS}
    for _ in range(rounds):
        for (name, n), app in apps.items():
            us = await time_requests(app, f"/r{n - 1}/42", requests)
            best[name][n] = min(best[name].get(n, float("inf")), us)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000, help="requests per app, route count and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts")
    parser.add_argument("--counts", default="10,100,1000", help="route counts (the first and last are compared)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    result = asyncio.run(run(counts, args.requests, args.rounds))

    print(f"routing: µs/request to the last of N routes /r{{i}}/<int:id>, best of {args.rounds} x <={args.requests}")
    print(f"{'routes':<10}" + "".join(f"{name:>14}" for name in result))
    for n in counts:
        print(f"{n:<10}" + "".join(f"{result[name][n]:>14.2f}" for name in result))
    first, last = counts[0], counts[-1]
    ratios = {name: result[name][last] / result[name][first] for name in result}
    print(f"{f'{last}/{first}':<10}" + "".join(f"{ratios[name]:>13.2f}x" for name in result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "requests": args.requests,
                    "rounds": args.rounds,
                    "us_per_request": {name: {str(n): v for n, v in by_n.items()} for name, by_n in result.items()},
                    "ratio_last_over_first": ratios,
                    "first": first,
                    "last": last,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
