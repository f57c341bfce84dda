"""Profile one app's in-process request path: where do the microseconds of a request go?

Sends N requests to one endpoint, as ``inprocess.py`` does, under pyinstrument (a sampling
profiler: the call tree) or cProfile (deterministic: own time per function; slower, so its
absolute figures are inflated, but the split is what counts). Needs the benchmark venv
(``.venv-bench``, made by ``run.py``) for pyinstrument.

``--stages`` prints the per-stage table of one microflask request (``docs/performance.md``,
"Where the time goes"): cProfile's own time of every function, each function put in a stage
(ASGI entry, match, request + context, dispatch, view, response build, send; anything else,
such as a builtin or a property, goes to the stage of its main caller), and the shares scaled
to the request's real cost, timed without the profiler (best of ``--rounds``). With
``--wire FILE`` (a ``run.py`` results file or a ``wire.py --json`` file) it adds the server's
share over the wire: one request of the bare ASGI app served by uvicorn (1 / its req/s) minus
that app's in-process cost, and the measured 1 / req/s of microflask. ``--compare`` adds other
apps' in-process µs (timed in the same interleaved rounds), e.g. BlackSheep, the target.

    python benchmarks/profile_inprocess.py [--app microflask] [--path /users/42] [--requests 100000]
                                           [--profiler pyinstrument|cprofile] [--no-orjson]
    python benchmarks/profile_inprocess.py --stages [--endpoints all] [--wire results.json]
                                           [--compare bare-asgi,blacksheep] [--markdown] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench_apps import ASGI_APPS, ENDPOINTS, check_body
from benchutil import Collector, Receive, call, installed, lifespan_startup, scope_for

from microflask.wrappers import Request

#: Request.__init__ and Response.__init__ share a file and a name: their line tells them apart.
_REQUEST_INIT_LINE = Request.__init__.__code__.co_firstlineno

#: The stages of one request, in order ("server" only over the wire; "harness" only in process).
STAGES = {
    "server": "server: uvicorn + uvloop + httptools, loopback TCP (over the wire only)",
    "harness": "in-process driver standing in for the server: scope copy, receive, send collector",
    "entry": "ASGI entry: MicroFlask.__call__ (scope type, root path, which path to take)",
    "match": "match: the route index walk, converters",
    "context": "request + context: Request and RequestContext objects, the contextvar set/reset",
    "dispatch": "dispatch: _serve_lean's own code for a lean endpoint (the checks of the result, the two"
    " ASGI messages built); otherwise _dispatch, _handle, _full_dispatch, _finalize, _teardown",
    "view": "view: _call_view and the view function itself",
    "response": "response build: make_response, the JSON provider, Response headers",
    "send": "send: the two ASGI messages (http.response.start, http.response.body)",
}

#: (path suffix, function name or None for any, stage); the first rule that fits wins.
RULES: list[tuple[str, str | None, str]] = [
    ("benchmarks/benchutil.py", None, "harness"),
    ("benchmarks/profile_inprocess.py", None, "harness"),
    ("benchmarks/bench_apps.py", None, "view"),
    ("microflask/app.py", "__call__", "entry"),
    ("microflask/app.py", "_dispatch", "context"),
    ("microflask/app.py", "_call_view", "view"),
    ("microflask/app.py", "make_response", "response"),
    ("microflask/app.py", None, "dispatch"),
    ("microflask/matching.py", None, "match"),
    ("microflask/routing.py", None, "match"),
    ("microflask/rules.py", None, "match"),
    ("microflask/converters.py", None, "match"),
    ("microflask/ctx.py", None, "context"),
    ("microflask/globals.py", None, "context"),
    ("microflask/responses.py", "send", "send"),
    ("microflask/responses.py", None, "response"),
    ("microflask/json/provider.py", None, "response"),
    ("starlette/responses.py", "__call__", "send"),
    ("starlette/responses.py", None, "response"),
]


def _rule_stage(func: tuple[str, int, str]) -> str | None:
    filename, line, name = func
    filename = filename.replace("\\", "/")
    if filename.endswith("microflask/wrappers.py") and name == "__init__":
        return "context" if line == _REQUEST_INIT_LINE else "response"
    for suffix, fname, stage in RULES:
        if filename.endswith(suffix) and (fname is None or fname == name):
            return stage
    return None


def stage_split(stats: dict[Any, Any]) -> dict[str, float]:
    """Seconds of own time per stage; a function with no rule takes its main caller's stage
    (the caller from which most of its own time came)."""
    memo: dict[Any, str] = {}

    def stage_of(func: Any, seen: frozenset[Any] = frozenset()) -> str:
        if func in memo:
            return memo[func]
        stage = _rule_stage(func)
        if stage is None:
            callers = stats[func][4]
            candidates = [c for c in callers if c not in seen and c in stats]
            if candidates:
                main = max(candidates, key=lambda c: callers[c][2])  # edge own time
                stage = stage_of(main, seen | {func})
            else:
                stage = "harness"
        memo[func] = stage
        return stage

    split = dict.fromkeys(STAGES, 0.0)
    for func, (_, _, tottime, _, _) in stats.items():
        split[stage_of(func)] += tottime
    return split


async def requests(app: Any, path: str, n: int) -> None:
    base = scope_for(path)
    send = Collector()
    for _ in range(n):
        await app(dict(base), Receive(), send)


async def timed(app: Any, path: str, n: int) -> float:
    """µs per request, unprofiled (as inprocess.py times them)."""
    await requests(app, path, 50)
    gc.collect()
    start = time.perf_counter()
    await requests(app, path, n)
    return (time.perf_counter() - start) / n * 1e6


def wire_rps(path: str | None) -> dict[str, dict[str, float]]:
    """req/s per app and endpoint label from a run.py results file or a wire.py --json file."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text())
    wire = data.get("sections", {}).get("wire", data)
    return {app: {label: r["rps"] for label, r in by_label.items()} for app, by_label in wire["results"].items()}


async def stages(args: argparse.Namespace) -> dict[str, Any]:
    import cProfile
    import pstats

    names = ["microflask", *[n for n in (args.compare.split(",") if args.compare else []) if n != "microflask"]]
    rps = wire_rps(args.wire)
    if rps and "bare-asgi" not in names:
        names.append("bare-asgi")  # its in-process cost is subtracted from its wire figure
    for name in list(names):
        module = {"blacksheep": "blacksheep", "litestar": "litestar", "fastapi": "fastapi", "quart": "quart"}.get(name)
        if module and not installed(module):
            print(f"(skipping {name}: not installed)")
            names.remove(name)
    apps = {name: ASGI_APPS[name]() for name in names}
    shutdowns = [await lifespan_startup(app) for app in apps.values()]
    labels = ENDPOINTS if args.endpoints == "all" else [e for e in ENDPOINTS if e[1] == args.path]
    if not labels:
        labels = [(args.path, args.path)]
    out: dict[str, Any] = {"requests": args.requests, "rounds": args.rounds, "endpoints": {}}
    try:
        for label, path in labels:
            for name, app in apps.items():
                check_body(name, path, *(await call(app, path)))
            best = dict.fromkeys(apps, float("inf"))
            for _ in range(args.rounds):  # interleaved, the best counts
                for name, app in apps.items():
                    best[name] = min(best[name], await timed(app, path, args.requests))
            profile = cProfile.Profile()
            profile.enable()
            await requests(apps["microflask"], path, args.requests)
            profile.disable()
            split = stage_split(pstats.Stats(profile).stats)  # type: ignore[attr-defined]
            total = sum(split.values())
            us = {stage: seconds / total * best["microflask"] for stage, seconds in split.items()}
            entry: dict[str, Any] = {"path": path, "us_in_process": best, "stages_us": us}
            if rps.get("bare-asgi", {}).get(label) and rps.get("microflask", {}).get(label):
                server = 1e6 / rps["bare-asgi"][label] - best["bare-asgi"]
                us["server"] = server
                entry["wire_us_per_request"] = {app: 1e6 / by[label] for app, by in rps.items() if label in by}
            out["endpoints"][label] = entry
    finally:
        for shutdown in shutdowns:
            await shutdown()
    return out


def print_stages(result: dict[str, Any], markdown: bool) -> None:
    for label, entry in result["endpoints"].items():
        us, best = entry["stages_us"], entry["us_in_process"]
        mf = best["microflask"]
        print(
            f"\n{label} ({entry['path']}): one microflask request, µs (in process: best of {result['rounds']}"
            f" rounds x {result['requests']}; split by cProfile's own time)"
        )
        rows = []
        for stage, what in STAGES.items():
            if stage == "server" and not us.get("server"):
                continue
            share = "" if stage == "server" else f"{us[stage] / mf:.0%}"
            rows.append((what, f"{us[stage]:.2f}", share))
        rows.append(("total in process (measured, unprofiled)", f"{mf:.2f}", "100%"))
        app_only = mf - us["harness"]
        rows.append(("of which microflask (total minus harness)", f"{app_only:.2f}", f"{app_only / mf:.0%}"))
        wire = entry.get("wire_us_per_request", {})
        if wire:
            rows.append(("over the wire: 1 / req/s of microflask (measured)", f"{wire['microflask']:.1f}", ""))
            rows.append(("  server + microflask (estimate)", f"{us['server'] + app_only:.1f}", ""))
        for name, value in best.items():
            if name != "microflask":
                rows.append((f"{name} in process (same rounds)", f"{value:.2f}", f"mf {mf / value:.2f}x"))
                if name in wire:
                    rows.append((f"{name} over the wire: 1 / req/s", f"{wire[name]:.1f}", ""))
        if markdown:
            print("| stage | µs | share |\n| --- | ---: | ---: |")
            for what, value, share in rows:
                print(f"| {what} | {value} | {share} |")
        else:
            for what, value, share in rows:
                print(f"  {what:<92}{value:>9}  {share}")


async def main_async(args: argparse.Namespace) -> None:
    app = ASGI_APPS[args.app]()
    shutdown = await lifespan_startup(app)
    await requests(app, args.path, 1000)  # warm up outside the profile
    if args.profiler == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001, async_mode="disabled")
        profiler.start()
        await requests(app, args.path, args.requests)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        await requests(app, args.path, args.requests)
        profile.disable()
        stats = pstats.Stats(profile).strip_dirs().sort_stats("tottime")
        stats.print_stats(args.top)
    await shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default="microflask", choices=list(ASGI_APPS))
    parser.add_argument("--path", default="/users/42")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--profiler", choices=["pyinstrument", "cprofile"], default="pyinstrument")
    parser.add_argument("--top", type=int, default=30, help="cProfile: functions shown")
    parser.add_argument("--no-orjson", action="store_true", help="run as if orjson were not installed")
    parser.add_argument("--stages", action="store_true", help="the per-stage table of one microflask request")
    parser.add_argument("--endpoints", choices=["all", "path"], default="all", help="--stages: all three or --path")
    parser.add_argument("--rounds", type=int, default=7, help="--stages: timing rounds, the best counts")
    parser.add_argument("--compare", default="blacksheep", help="--stages: other apps timed alongside")
    parser.add_argument("--wire", help="--stages: a run.py results file or wire.py --json file (server share)")
    parser.add_argument("--markdown", action="store_true", help="--stages: Markdown tables")
    parser.add_argument("--json", help="--stages: also write the figures to this JSON file")
    args = parser.parse_args()
    if args.no_orjson:
        sys.modules["orjson"] = None  # type: ignore[assignment]
    if args.stages:
        if args.requests == 100_000:
            args.requests = 5000
        result = asyncio.run(stages(args))
        print_stages(result, args.markdown)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
