"""Profile one app's in-process request path: where do the microseconds of a request go?

Sends N requests to one endpoint, as ``inprocess.py`` does, under pyinstrument (a sampling
profiler: the call tree) or cProfile (deterministic: own time per function; slower, so its
absolute figures are inflated, but the split is what counts). Needs the benchmark venv
(``.venv-bench``, made by ``run.py``) for pyinstrument.

    python benchmarks/profile_inprocess.py [--app microflask] [--path /users/42] [--requests 100000]
                                           [--profiler pyinstrument|cprofile] [--no-orjson]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bench_apps import ASGI_APPS
from benchutil import Collector, Receive, lifespan_startup, scope_for


async def requests(app: Any, path: str, n: int) -> None:
    base = scope_for(path)
    send = Collector()
    for _ in range(n):
        await app(dict(base), Receive(), send)


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
    args = parser.parse_args()
    if args.no_orjson:
        sys.modules["orjson"] = None  # type: ignore[assignment]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
