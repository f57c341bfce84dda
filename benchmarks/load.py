"""Under load: 1000 concurrent connections on one worker, for 10 s: timeouts and tail latency.

Each app (microflask, Starlette, BlackSheep when installed) is served by one Uvicorn worker
(httptools + uvloop) pinned to CPU 0; wrk (``-t2 -c1000``, its two threads pinned to CPU 1)
holds 1000 connections open and sends requests on each as fast as they are answered, for the
measured duration, on 127.0.0.1 only. A request not answered within ``--timeout`` (wrk's
default, 2 s) counts as a timeout. Rounds interleave the apps (every other round in reverse);
each round's figures are kept, the summary gives per app the best p99, the worst and the total
timeouts over the rounds. The servers are stopped (their process groups killed) whatever happens.

Target (issue 18): no timeouts, p99 latency at most Starlette's.

    python benchmarks/load.py [--duration 10] [--connections 1000] [--threads 2] [--rounds 3]
                              [--path /users/42] [--apps microflask,starlette,blacksheep] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
from typing import Any

from bench_apps import REQUIRES, check_body
from benchutil import HOST, Server, http_get, installed, pinned, served
from wire import parse_wrk

APPS = ["microflask", "starlette", "blacksheep"]


def wrk(port: int, path: str, duration: int, connections: int, threads: int, timeout: float) -> dict[str, Any]:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", f"--timeout={timeout:g}s"]
    proc = subprocess.run(
        pinned(1, [*args, f"http://{HOST}:{port}{path}"]),
        capture_output=True,
        text=True,
        timeout=duration + 60,  # bounded even if wrk misbehaves
        check=True,
    )
    figures = parse_wrk(proc.stdout)
    figures["errors"] = sum(figures["socket_errors"].values()) + figures["non_2xx"]
    figures["timeouts"] = figures["socket_errors"].get("timeout", 0)
    return figures


def run(names: list[str], args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for name in names:
            servers[name] = server = stack.enter_context(served(name, cpu=0))
            check_body(name, args.path, *http_get(server.port, args.path))
        for round_ in range(args.rounds):
            order = list(servers.items())
            if round_ % 2:
                order.reverse()
            for name, server in order:
                if args.warmup > 0:  # a short light warm-up: caches, the first connections
                    wrk(server.port, args.path, args.warmup, 64, 1, args.timeout)
                figures = wrk(server.port, args.path, args.duration, args.connections, args.threads, args.timeout)
                figures["loadavg_1min"] = os.getloadavg()[0]
                rounds[name].append(figures)
                print(
                    f"  [{round_ + 1}/{args.rounds}] {name:<11} {figures['rps']:>8.0f} req/s"
                    f"  p50 {figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms"
                    f"  timeouts {figures['timeouts']}  other errors {figures['errors'] - figures['timeouts']}"
                    f"  (load {figures['loadavg_1min']:.1f})",
                    flush=True,
                )
    return rounds


def summarise(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, figures in rounds.items():
        p99 = [f["p99_ms"] for f in figures]
        out[name] = {
            "best_p99_ms": min(p99),
            "median_p99_ms": statistics.median(p99),
            "p99_ms_all_rounds": p99,
            "best_rps": max(f["rps"] for f in figures),
            "rps_all_rounds": [f["rps"] for f in figures],
            "timeouts_all_rounds": [f["timeouts"] for f in figures],
            "max_timeouts": max(f["timeouts"] for f in figures),
            "total_timeouts": sum(f["timeouts"] for f in figures),
            "total_errors": sum(f["errors"] for f in figures),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of light load (64 connections) first; 0: none")
    parser.add_argument("--connections", type=int, default=1000, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=2.0, help="wrk: seconds before a request counts as timed out")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--path", default="/users/42", help="the endpoint loaded")
    parser.add_argument("--apps", help=f"comma-separated subset of {','.join(APPS)}")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; benchmarks/run.py does it for you)")
    names = []
    for name in args.apps.split(",") if args.apps else APPS:
        if all(installed(m) for m in (REQUIRES.get(name, name), "uvicorn")):
            names.append(name)
        else:
            print(f"(skipping {name}: not installed)")
    print(
        f"under load: wrk -t{args.threads} -c{args.connections} --timeout {args.timeout:g}s, {args.duration} s on"
        f" GET {args.path} per case, {args.rounds} interleaved round(s); one uvicorn worker on CPU 0, wrk on CPU 1"
    )
    rounds = run(names, args)
    summary = summarise(rounds)
    print(f"{'app':<12}{'best p99 ms':>12}{'median p99':>12}{'best req/s':>11}{'timeouts per round':>24}")
    for name, s in summary.items():
        per_round = ",".join(map(str, s["timeouts_all_rounds"]))
        print(f"{name:<12}{s['best_p99_ms']:>12.1f}{s['median_p99_ms']:>12.1f}{s['best_rps']:>11.0f}{per_round:>24}")
    ratios = {}
    if "microflask" in summary:
        for peer in summary:
            if peer != "microflask":
                ratios[peer] = {
                    "best_p99": summary["microflask"]["best_p99_ms"] / summary[peer]["best_p99_ms"],
                    "median_p99": summary["microflask"]["median_p99_ms"] / summary[peer]["median_p99_ms"],
                }
                print(
                    f"p99 microflask/{peer}: best {ratios[peer]['best_p99']:.2f}x,"
                    f" median {ratios[peer]['median_p99']:.2f}x"
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "duration_s": args.duration,
                    "connections": args.connections,
                    "threads": args.threads,
                    "timeout_s": args.timeout,
                    "rounds": args.rounds,
                    "path": args.path,
                    "per_round": rounds,
                    "summary": summary,
                    "ratio_p99_microflask_over": ratios,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
