"""Memory and start-up: RSS growth over many requests, RSS of a served process, import time.

* growth: in a fresh process per app, warm up, then send 100k in-process requests (the three
  endpoints in turn) and compare ``VmRSS`` before and after (gc collected at both ends).
* served RSS: serve each app as the over-the-wire benchmark does (uvicorn; Flask under
  gunicorn, its worker is read), send a few requests to each endpoint, read ``VmRSS``.
* import time: ``import microflask`` vs ``import starlette.applications`` (and the peers), each
  in a fresh interpreter, best of N, alternating; everything is byte-compiled first, and both
  sides run with the same interpreter and environment.

    python benchmarks/memory.py [--requests 100000] [--import-runs 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from bench_apps import ASGI_APPS, REQUIRES
from benchutil import ROOT, Receive, byte_compile, http_get, installed, mib, proc_status, scope_for, served

PATHS = ["/", "/json", "/users/42"]
IMPORTS = {
    "microflask": "microflask",
    "starlette": "starlette.applications",
    "fastapi": "fastapi",
    "quart": "quart",
    "flask": "flask",
    "blacksheep": "blacksheep",
    "litestar": "litestar",
}


# -- RSS growth (runs inside a fresh process: ``memory.py --growth-of NAME``) ------------------
class StatusSet:
    """A ``send`` that keeps only the set of statuses seen: nothing here may grow per request."""

    def __init__(self) -> None:
        self.statuses: set[int] = set()

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.statuses.add(message["status"])


async def growth(name: str, requests: int, warmup: int) -> dict[str, float]:
    app = ASGI_APPS[name]()
    scopes = [scope_for(path) for path in PATHS]
    send = StatusSet()

    async def burst(n: int) -> None:
        for i in range(n):
            await app(dict(scopes[i % 3]), Receive(), send)

    await burst(warmup)
    gc.collect()
    before = proc_status(os.getpid(), "VmRSS")
    await burst(requests)
    gc.collect()
    after = proc_status(os.getpid(), "VmRSS")
    if send.statuses != {200}:
        raise SystemExit(f"{name} answered {set(send.statuses)}")
    return {"requests": requests, "rss_before_kib": before, "rss_after_kib": after, "growth_kib": after - before}


def measure_growth(names: list[str], requests: int, warmup: int) -> dict[str, Any]:
    out = {}
    for name in names:
        proc = subprocess.run(
            [sys.executable, __file__, "--growth-of", name, "--requests", str(requests), "--warmup", str(warmup)],
            capture_output=True,
            text=True,
            check=True,
        )
        out[name] = json.loads(proc.stdout)
    return out


# -- RSS of a served process -------------------------------------------------------------------
def measure_served(names: list[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        with served(name) as server:
            for _ in range(10):
                for path in PATHS:
                    status, _ = http_get(server.port, path)
                    if status != 200:
                        raise SystemExit(f"{name} {path} answered {status}")
            out[name] = {"rss_kib": server.status("VmRSS"), "hwm_kib": server.status("VmHWM")}
    return out


# -- import time ------------------------------------------------------------------------------
# Run with -S (no site: no .pth hooks such as the editable install's finder pre-importing modules),
# the project and the venv's site-packages put on sys.path by hand: both sides start equally bare.
_TIMER = (
    "import sys; sys.path[:0] = {paths!r}; import time; t = time.perf_counter(); import {module};"
    " print(time.perf_counter() - t)"
)


def measure_imports(names: list[str], runs: int) -> dict[str, Any]:
    purelib = Path(sysconfig.get_paths()["purelib"])
    byte_compile(ROOT / "microflask", purelib)
    env = dict(os.environ)
    best: dict[str, float] = {name: float("inf") for name in names}
    for _ in range(runs):
        for name in names:  # alternating, so noise hits all alike
            proc = subprocess.run(
                [sys.executable, "-S", "-c", _TIMER.format(paths=[str(ROOT), str(purelib)], module=IMPORTS[name])],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            best[name] = min(best[name], float(proc.stdout))
    return {name: {"module": IMPORTS[name], "best_ms": best[name] * 1e3} for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000, help="in-process requests for the growth test")
    parser.add_argument("--warmup", type=int, default=10_000, help="requests before the first reading")
    parser.add_argument("--import-runs", type=int, default=15, help="fresh interpreters per import; best counts")
    parser.add_argument("--skip-served", action="store_true", help="no served processes (no uvicorn needed)")
    parser.add_argument("--growth-of", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    if args.growth_of:
        print(json.dumps(asyncio.run(growth(args.growth_of, args.requests, args.warmup))))
        return

    asgi = [n for n in ASGI_APPS if installed(REQUIRES.get(n, "asyncio"))]
    result: dict[str, Any] = {}
    result["growth"] = measure_growth([n for n in ("microflask", "starlette") if n in asgi], args.requests, args.warmup)
    print(f"RSS growth over {args.requests} in-process requests (after {args.warmup} warm-up):")
    for name, g in result["growth"].items():
        print(f"  {name:<12}{mib(g['rss_before_kib']):8.1f} MiB -> {mib(g['rss_after_kib']):8.1f} MiB", end="")
        print(f"   growth {g['growth_kib']:+d} KiB")

    if not args.skip_served:
        servable = asgi + (["flask"] if installed("flask") and installed("gunicorn") else [])
        result["served"] = measure_served(servable)
        print("RSS of a served process after start-up and 30 requests (uvicorn; Flask: the gunicorn worker):")
        base = result["served"]["starlette"]["rss_kib"]
        for name, s in result["served"].items():
            print(f"  {name:<12}{mib(s['rss_kib']):8.1f} MiB   vs starlette {mib(s['rss_kib'] - base):+6.1f} MiB")

    import_names = [n for n in IMPORTS if installed(REQUIRES[n])]
    result["imports"] = measure_imports(import_names, args.import_runs)
    print(f"import time, fresh interpreter, byte-compiled, best of {args.import_runs}:")
    st = result["imports"]["starlette"]["best_ms"]
    for i in result["imports"].values():
        print(f"  import {i['module']:<24}{i['best_ms']:8.1f} ms   {i['best_ms'] / st:5.2f}x starlette.applications")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
