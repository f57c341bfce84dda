"""A validated endpoint in process: ``POST /items`` with a 5-field model, echoed back.

microflask (``microflask.schema``) with a pydantic model and with a msgspec Struct, against
FastAPI (pydantic) and Litestar (msgspec) serving the same endpoint as their docs show. Every
app is an ASGI callable called directly (no server, no sockets), after its lifespan startup;
the rounds interleave the apps and the best round counts. Also times a body that fails
validation (the 422 path). Peers that are not installed are skipped.

With ``--wire``, each app is also served by Uvicorn (one worker, httptools + uvloop, pinned to
CPU 0) and loaded by wrk (on CPU 1) posting the same body: requests/s and latency.

Targets (issue #16): with pydantic, microflask at most 0.5x FastAPI's µs per request and at
least 2x its requests/s; with msgspec, at most Litestar's µs per request.

    python benchmarks/typed.py [--requests 5000] [--rounds 7] [--wire [--duration 5]] [--json out.json]
"""

# No `from __future__ import annotations`: FastAPI and Litestar read the local models' annotations.
import argparse
import asyncio
import contextlib
import gc
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchutil import HOST, Collector, free_port, installed, lifespan_startup, pinned, scope_for, server_command, stop
from wire import parse_wrk

HERE = Path(__file__).resolve().parent

BODY = b'{"name":"widget","price":9.99,"quantity":3,"tags":["a","b"],"active":true}'
BAD_BODY = b'{"name":"widget","price":"cheap","quantity":3,"tags":["a","b"],"active":true}'


def pydantic_model() -> Any:
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        price: float
        quantity: int
        tags: list[str]
        active: bool

    return Item


def msgspec_model() -> Any:
    import msgspec

    class Item(msgspec.Struct):
        name: str
        price: float
        quantity: int
        tags: list[str]
        active: bool

    return Item


def microflask_app(model: Any) -> Any:
    from microflask import MicroFlask
    from microflask.schema import OpenAPI, validate_request, validate_response

    app = MicroFlask(__name__)
    OpenAPI(app, title="bench", version="1")

    @app.post("/items")
    @validate_request(model)
    @validate_response(model)
    async def create(data: Any) -> Any:
        return data

    return app


def fastapi_app() -> Any:
    from fastapi import FastAPI

    Item = pydantic_model()
    app = FastAPI()

    @app.post("/items")
    async def create(item: Item) -> Item:  # type: ignore[valid-type]
        return item

    return app


def litestar_app() -> Any:
    from litestar import Litestar, post

    Item = msgspec_model()

    @post("/items", status_code=200)
    async def create(data: Item) -> Item:  # type: ignore[valid-type]
        return data

    return Litestar([create], openapi_config=None)


def microflask_pydantic_app() -> Any:
    return microflask_app(pydantic_model())


def microflask_msgspec_app() -> Any:
    return microflask_app(msgspec_model())


APPS: dict[str, tuple[str | None, Callable[[], Any]]] = {
    "microflask-pydantic": ("pydantic", lambda: microflask_app(pydantic_model())),
    "fastapi": ("fastapi", fastapi_app),
    "microflask-msgspec": ("msgspec", lambda: microflask_app(msgspec_model())),
    "litestar": ("litestar", litestar_app),
}


def post_scope() -> dict[str, Any]:
    scope = scope_for("/items", "POST")
    scope["headers"] = [
        *scope["headers"],
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    return scope


class BodyReceive:
    """A server's ``receive`` for one request with ``body``, then a wait until cancelled."""

    __slots__ = ("body", "sent")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent = False

    async def __call__(self) -> dict[str, Any]:
        if not self.sent:
            self.sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")


async def time_requests(app: Any, body: bytes, n: int, expected: set[int]) -> float:
    base = post_scope()
    send = Collector()
    for _ in range(50):
        await app(dict(base), BodyReceive(body), send)
    if not set(send.statuses) <= expected:
        raise SystemExit(f"answered {set(send.statuses)}, expected {expected}: {send.body[:200]!r}")
    send.statuses.clear()
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(base), BodyReceive(body), send)
    elapsed = time.perf_counter() - start
    if len(send.statuses) != n:
        raise SystemExit(f"{len(send.statuses)} responses for {n} requests")
    return elapsed / n * 1e6


async def run(names: list[str], requests: int, rounds: int) -> dict[str, dict[str, float]]:
    apps = {name: APPS[name][1]() for name in names}
    shutdowns = [await lifespan_startup(app) for app in apps.values()]
    try:
        for name, app in apps.items():  # every app echoes the same item
            send = Collector()
            await app(post_scope(), BodyReceive(BODY), send)
            if send.statuses != [200] or json.loads(send.body) != json.loads(BODY):
                raise SystemExit(f"{name} answered {send.statuses} {send.body[:200]!r}")
        best: dict[str, dict[str, float]] = {name: {} for name in apps}
        for _ in range(rounds):
            # Litestar answers a body that does not validate with 400, the others with 422.
            for label, body, status in (("valid", BODY, {200}), ("invalid (422)", BAD_BODY, {400, 422})):
                for name, app in apps.items():
                    us = await time_requests(app, body, requests, status)
                    best[name][label] = min(best[name].get(label, float("inf")), us)
        return best
    finally:
        for shutdown in shutdowns:
            await shutdown()


# -- over the wire ---------------------------------------------------------------------
def post(port: int, body: bytes = BODY, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/items", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def serve(name: str) -> Iterator[int]:
    """Serve ``name``'s app with Uvicorn on a free port pinned to CPU 0; stopped on exit."""
    port = free_port()
    command = server_command(name, port, module="typed")
    proc = subprocess.Popen(
        pinned(0, command), cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} server exited with {proc.returncode}")
            with contextlib.suppress(OSError):
                if post(port, timeout=1.0)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} server did not answer within 30 s")
            time.sleep(0.05)
        yield port
    finally:
        stop(proc)


def wrk_post(port: int, script: str, duration: int, connections: int) -> dict[str, Any]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout=5s", "-s", script]
    proc = subprocess.run(
        pinned(1, [*args, f"http://{HOST}:{port}/items"]),
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    return parse_wrk(proc.stdout)


def run_wire(names: list[str], duration: int, warmup: int, connections: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        script = os.path.join(tmp, "post.lua")
        with open(script, "w") as f:
            f.write(
                'wrk.method = "POST"\n'
                f"wrk.body = '{BODY.decode()}'\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
        ports = {name: stack.enter_context(serve(name)) for name in names}
        for name, port in ports.items():
            if warmup > 0:
                wrk_post(port, script, warmup, connections)
            results[name] = figures = wrk_post(port, script, duration, connections)
            print(
                f"  {name:<22}{figures['rps']:>9.0f} req/s  p50 {figures['p50_ms']:.2f} ms"
                f"  p99 {figures['p99_ms']:.2f} ms  non-2xx {figures['non_2xx']}",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000, help="requests per app, case and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the best counts")
    parser.add_argument("--wire", action="store_true", help="also serve each app and load it with wrk")
    parser.add_argument("--duration", type=int, default=5, help="--wire: seconds measured per app")
    parser.add_argument("--warmup", type=int, default=1, help="--wire: seconds of discarded load first")
    parser.add_argument("--connections", type=int, default=64, help="--wire: wrk connections")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    names = []
    for name, (module, _) in APPS.items():
        if module is None or installed(module):
            names.append(name)
        else:
            print(f"(skipping {name}: {module} is not installed)")
    if not any(name.startswith("microflask") for name in names):
        raise SystemExit("microflask.schema needs pydantic or msgspec: pip install 'microflask[api]'")
    result = asyncio.run(run(names, args.requests, args.rounds))

    print(f"validated POST /items in process, µs/request, best of {args.rounds} rounds x {args.requests}")
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    labels = ["valid", "invalid (422)"]
    print(f"{'app':<22}" + "".join(f"{label:>16}" for label in labels))
    for name in names:
        print(f"{name:<22}" + "".join(f"{result[name][label]:>16.2f}" for label in labels))
    ratios = {}
    for ours, peer in (("microflask-pydantic", "fastapi"), ("microflask-msgspec", "litestar")):
        if ours in result and peer in result:
            ratios[peer] = {label: result[ours][label] / result[peer][label] for label in labels}
            print(f"{ours} / {peer}: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios[peer].items()))
    wire: dict[str, Any] = {}
    wire_ratios: dict[str, float] = {}
    if args.wire:
        if shutil.which("wrk") is None or not installed("uvicorn"):
            print("(skipping --wire: wrk or uvicorn is not installed)")
        else:
            print(f"over the wire: wrk -c{args.connections}, {args.warmup} s warm-up + {args.duration} s per app")
            wire = run_wire(names, args.duration, args.warmup, args.connections)
            for ours, peer in (("microflask-pydantic", "fastapi"), ("microflask-msgspec", "litestar")):
                if ours in wire and peer in wire:
                    wire_ratios[peer] = wire[ours]["rps"] / wire[peer]["rps"]
                    print(f"req/s {ours} / {peer}: {wire_ratios[peer]:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "requests": args.requests,
                    "rounds": args.rounds,
                    "us_per_request": result,
                    "ratio_over": ratios,
                    "wire": wire,
                    "ratio_rps_over": wire_ratios,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
