"""In-process cost per request: microflask vs bare Starlette, as ASGI callables in one process.

Both apps serve the same three endpoints: ``/`` (text), ``/json`` and ``/users/<int:id>``
(JSON). Each round times N requests per app and endpoint, interleaving the apps so that
machine noise hits both alike; the best round counts. Prints microseconds per request and
the ratio microflask / Starlette (below 1.0 means microflask is faster).

    python benchmarks/inprocess.py [--requests 20000] [--rounds 7] [--loop asyncio|uvloop] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

ENDPOINTS = [("/ text", "/"), ("/json", "/json"), ("/users/<int:id>", "/users/42")]


def microflask_app() -> Any:
    from microflask import MicroFlask

    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "Hello, World!"

    @app.route("/json")
    async def hello_json() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.route("/users/<int:id>")
    async def user(id: int) -> dict[str, int]:
        return {"id": id}

    return app


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def index(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    async def hello_json(request: Request) -> JSONResponse:
        return JSONResponse({"message": "Hello, World!"})

    async def user(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["id"]})

    return Starlette(routes=[Route("/", index), Route("/json", hello_json), Route("/users/{id:int}", user)])


APPS: dict[str, Callable[[], Any]] = {"microflask": microflask_app, "starlette": starlette_app}


def scope_for(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def time_requests(app: Any, path: str, n: int) -> float:
    """Microseconds per request for ``n`` sequential requests to ``path``."""
    base = scope_for(path)
    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    # Warm up (first call freezes microflask; caches fill) and check the answer is a 200.
    for _ in range(50):
        await app(dict(base), receive, send)
    if set(status) != {200}:
        raise SystemExit(f"{path} answered {set(status)}, expected 200")
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(base), receive, send)
    return (time.perf_counter() - start) / n * 1e6


async def run(requests: int, rounds: int) -> dict[str, dict[str, float]]:
    apps = {name: factory() for name, factory in APPS.items()}
    best: dict[str, dict[str, float]] = {name: {} for name in apps}
    for _ in range(rounds):
        for label, path in ENDPOINTS:
            for name, app in apps.items():  # interleaved: each app, each endpoint, each round
                us = await time_requests(app, path, requests)
                best[name][label] = min(best[name].get(label, float("inf")), us)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000, help="requests per app, endpoint and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the best counts")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(run(args.requests, args.rounds))
    else:
        result = asyncio.run(run(args.requests, args.rounds))

    print(f"in-process µs/request, best of {args.rounds} rounds x {args.requests} requests ({args.loop})")
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print(f"{'endpoint':<18}{'microflask':>12}{'starlette':>12}{'ratio':>8}")
    ratios = {}
    for label, _ in ENDPOINTS:
        mf, st = result["microflask"][label], result["starlette"][label]
        ratios[label] = mf / st
        print(f"{label:<18}{mf:>12.2f}{st:>12.2f}{mf / st:>7.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"us_per_request": result, "ratio_microflask_over_starlette": ratios}, f, indent=2)


if __name__ == "__main__":
    main()
