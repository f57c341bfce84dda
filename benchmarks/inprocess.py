"""In-process cost per request: microflask vs bare Starlette (and FastAPI, Quart, a bare ASGI
callable when installed), as ASGI callables in one process: no server, no sockets.

Every app serves the same three endpoints: ``/`` (text), ``/json`` and ``/users/<int:id>``
(JSON); see ``bench_apps.py``. Each app gets its lifespan startup first, as a server would.
Each round times N requests per app and endpoint, interleaving the apps so that machine noise
hits all alike; the best round counts. Prints microseconds per request and the ratio of
microflask to each peer (below 1.0 means microflask is faster). Peers that are not installed
are skipped; microflask and Starlette are required.

    python benchmarks/inprocess.py [--requests 20000] [--rounds 7] [--loop asyncio|uvloop]
                                   [--apps microflask,starlette,...] [--no-orjson] [--json out.json]

``--no-orjson`` runs as if orjson were not installed (the stdlib encodes JSON bodies).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
import time
from typing import Any

from bench_apps import ASGI_APPS, ENDPOINTS, REQUIRES, check_body
from benchutil import Collector, Receive, call, installed, lifespan_startup, scope_for


async def time_requests(app: Any, path: str, n: int) -> float:
    """Microseconds per request for ``n`` sequential requests to ``path``."""
    base = scope_for(path)
    send = Collector()
    # Warm up: the first call freezes microflask; caches fill.
    for _ in range(50):
        await app(dict(base), Receive(), send)
    if set(send.statuses) != {200}:
        raise SystemExit(f"{path} answered {set(send.statuses)}, expected 200")
    send.statuses.clear()
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(base), Receive(), send)
    elapsed = time.perf_counter() - start
    if len(send.statuses) != n:
        raise SystemExit(f"{path}: {len(send.statuses)} responses for {n} requests")
    return elapsed / n * 1e6


async def best_of_rounds(apps: dict[str, Any], rounds: int, requests: int) -> dict[str, dict[str, float]]:
    """The best µs per request of each app and endpoint over ``rounds`` interleaved rounds."""
    best: dict[str, dict[str, float]] = {name: {} for name in apps}
    for _ in range(rounds):
        for label, path in ENDPOINTS:
            for name, app in apps.items():  # interleaved: each app, each endpoint, each round
                us = await time_requests(app, path, requests)
                best[name][label] = min(best[name].get(label, float("inf")), us)
    return best


async def run(
    names: list[str], requests: int, rounds: int, bodies: dict[str, dict[str, str]]
) -> dict[str, dict[str, float]]:
    apps = {name: ASGI_APPS[name]() for name in names}
    shutdowns = [await lifespan_startup(app) for app in apps.values()]
    try:
        for name, app in apps.items():
            for _, path in ENDPOINTS:
                status, body = await call(app, path)
                check_body(name, path, status, body)
                bodies.setdefault(name, {})[path] = body.decode()
        return await best_of_rounds(apps, rounds, requests)
    finally:
        for shutdown in shutdowns:
            await shutdown()


def available(requested: str | None) -> list[str]:
    names = requested.split(",") if requested else list(ASGI_APPS)
    unknown = [n for n in names if n not in ASGI_APPS]
    if unknown:
        raise SystemExit(f"unknown app(s) {unknown}; choose from {list(ASGI_APPS)}")
    for required in ("microflask", "starlette"):
        if required not in names:
            names.insert(0 if required == "microflask" else 1, required)
    chosen = []
    for name in names:
        module = REQUIRES.get(name)
        if module is None or installed(module):
            chosen.append(name)
        elif name in ("microflask", "starlette"):
            raise SystemExit(f"{name} is not installed")
        else:
            print(f"(skipping {name}: not installed)")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000, help="requests per app, endpoint and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the best counts")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--apps", help=f"comma-separated subset of {','.join(ASGI_APPS)} (default: all installed)")
    parser.add_argument("--no-orjson", action="store_true", help="run as if orjson were not installed")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    if args.no_orjson:
        sys.modules["orjson"] = None  # type: ignore[assignment]  # "import orjson" now raises ImportError
    orjson = "off" if args.no_orjson or not installed("orjson") else "on"
    names = available(args.apps)

    bodies: dict[str, dict[str, str]] = {}
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(run(names, args.requests, args.rounds, bodies))
    else:
        result = asyncio.run(run(names, args.requests, args.rounds, bodies))

    print(
        f"in-process µs/request, best of {args.rounds} rounds x {args.requests} requests ({args.loop}, orjson {orjson})"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    peers = [n for n in names if n != "microflask"]
    print(f"{'endpoint':<18}" + "".join(f"{n:>12}" for n in names) + "".join(f"{'mf/' + p[:6]:>11}" for p in peers))
    ratios: dict[str, dict[str, float]] = {p: {} for p in peers}
    for label, _ in ENDPOINTS:
        mf = result["microflask"][label]
        cells = "".join(f"{result[n][label]:>12.2f}" for n in names)
        for p in peers:
            ratios[p][label] = mf / result[p][label]
        print(f"{label:<18}{cells}" + "".join(f"{ratios[p][label]:>10.2f}x" for p in peers))
    print(
        "ratio microflask/starlette: "
        + ", ".join(f"{label} {ratios['starlette'][label]:.2f}x" for label, _ in ENDPOINTS)
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "requests": args.requests,
                    "rounds": args.rounds,
                    "loop": args.loop,
                    "orjson": orjson,
                    "us_per_request": result,
                    "ratio_microflask_over_starlette": ratios["starlette"],
                    "ratio_microflask_over": ratios,
                    "bodies": bodies,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
