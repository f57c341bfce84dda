"""Over the wire: requests/s and latency of each framework served for real, measured by wrk.

Each ASGI app runs under one Uvicorn worker (httptools + uvloop), Flask under gunicorn with one
sync worker; every server is pinned to CPU 0 (``taskset -c 0``) and wrk to CPU 1, on 127.0.0.1
only. All servers are started first (idle ones cost nothing), then each case (endpoint x app)
runs wrk for a warm-up (discarded) and then the measured duration, apps interleaved per
endpoint. The servers are stopped (their process groups killed) whatever happens.

    python benchmarks/wire.py [--duration 10] [--warmup 2] [--connections 64] [--rounds 1]
                              [--apps microflask,starlette,...] [--json out.json]

wrk comes from Debian's ``wrk`` package: run.py installs it with apt-get when it is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
from typing import Any

from bench_apps import ENDPOINTS, REQUIRES, check_body
from benchutil import HOST, Server, http_get, installed, pinned, served

APPS = ["bare-asgi", "microflask", "starlette", "fastapi", "quart", "blacksheep", "litestar", "flask"]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms), request count and errors from ``wrk --latency``."""
    result: dict[str, Any] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    result["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        result[f"p{pct}_ms"] = float(m.group(1)) * _UNITS[m.group(2)] if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()), strict=True)) if m else {}
    )
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(m.group(1)) if m else 0
    return result


def wrk(port: int, path: str, duration: int, connections: int, threads: int) -> dict[str, Any]:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout=5s"]
    proc = subprocess.run(
        pinned(1, [*args, f"http://{HOST}:{port}{path}"]),
        capture_output=True,
        text=True,
        timeout=duration + 60,  # bounded even if wrk misbehaves
        check=True,
    )
    return parse_wrk(proc.stdout)


def run(
    names: list[str], duration: int, warmup: int, connections: int, threads: int, rounds: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """Per app and endpoint the best round's figures (with every round's req/s); RSS after the load."""
    results: dict[str, dict[str, Any]] = {name: {} for name in names}
    rss: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for name in names:
            servers[name] = server = stack.enter_context(served(name, cpu=0))
            for _, path in ENDPOINTS:
                check_body(name, path, *http_get(server.port, path))
        for round_ in range(rounds):
            order = list(servers.items())
            if round_ % 2:  # every other round in reverse, so no app always follows the same one
                order.reverse()
            for label, path in ENDPOINTS:
                for name, server in order:
                    if warmup > 0:
                        wrk(server.port, path, warmup, connections, threads)
                    figures = wrk(server.port, path, duration, connections, threads)
                    figures["loadavg_1min"] = os.getloadavg()[0]
                    print(
                        f"  [{round_ + 1}/{rounds}] {label:<16} {name:<11} {figures['rps']:>9.0f} req/s"
                        f"  p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms"
                        f"  (load {figures['loadavg_1min']:.1f})",
                        flush=True,
                    )
                    best = results[name].get(label)
                    all_rps = [*(best["rps_all_rounds"] if best else []), figures["rps"]]
                    if best is None or figures["rps"] > best["rps"]:
                        results[name][label] = best = figures
                    best["rps_all_rounds"] = all_rps
        for name, server in servers.items():
            rss[name] = server.status("VmRSS")
    return results, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded load before each case (0: none)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=1, help="rounds; each case's best counts")
    parser.add_argument("--apps", help=f"comma-separated subset of {','.join(APPS)}")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; benchmarks/run.py does it for you)")
    names = []
    for name in args.apps.split(",") if args.apps else APPS:
        needs = [REQUIRES.get(name), "gunicorn" if name == "flask" else "uvicorn"]
        if all(m is None or installed(m) for m in needs):
            names.append(name)
        else:
            print(f"(skipping {name}: not installed)")
    print(
        f"over the wire: wrk -t{args.threads} -c{args.connections}, {args.warmup:g} s warm-up + {args.duration:g} s"
        f" per case, {args.rounds} round(s); servers on CPU 0, wrk on CPU 1"
    )
    results, rss = run(names, args.duration, args.warmup, args.connections, args.threads, args.rounds)

    print(f"{'endpoint':<18}{'app':<12}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, _ in ENDPOINTS:
        for name in names:
            r = results[name][label]
            errors = sum(r["socket_errors"].values()) + r["non_2xx"]
            print(f"{label:<18}{name:<12}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{errors:>8}")
    ratios: dict[str, dict[str, float]] = {}
    for peer in names:
        if peer != "microflask" and "microflask" in results:
            ratios[peer] = {
                label: results["microflask"][label]["rps"] / results[peer][label]["rps"] for label, _ in ENDPOINTS
            }
    for peer, by_label in ratios.items():
        print(f"req/s microflask/{peer}: " + ", ".join(f"{label} {v:.2f}x" for label, v in by_label.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "duration_s": args.duration,
                    "warmup_s": args.warmup,
                    "connections": args.connections,
                    "threads": args.threads,
                    "rounds": args.rounds,
                    "results": results,
                    "rss_after_load_kib": rss,
                    "ratio_rps_microflask_over": ratios,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
