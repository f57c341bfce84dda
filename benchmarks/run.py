"""The whole benchmark suite in one command (``make bench``): microflask side by side with
Starlette, FastAPI, Quart, BlackSheep, Litestar and Flask + gunicorn, checked against the targets
of issue #6 and issue 18 (and a validated endpoint against FastAPI and Litestar, issue #16).

The peers live in their own virtualenv (``.venv-bench`` at the repository root, or
``$MICROFLASK_BENCH_VENV``), never in microflask's dependencies: this script creates it on first
use (microflask installed editable, plus uvicorn[standard], starlette, fastapi, quart, flask,
gunicorn, orjson, matplotlib, the profilers, litestar, blacksheep, pydantic and msgspec) and
re-runs itself there. wrk comes from Debian's ``wrk`` package, installed with apt-get when it is
missing (as root).

Sections (each a script of its own in this folder, run in a fresh process):
  inprocess  cost per request of the ASGI apps called directly (no server)
  json       microflask's JSON endpoints with orjson and as if it were not installed
  routing    the last of 10 / 100 / 1000 parameterised routes
  templates  a 50-row page: render_template vs raw Jinja
  memory     RSS growth over 100k requests, RSS of a served process, import time
  upload     peak RSS of the server while a 200 MiB multipart upload is parsed
  wire       uvicorn (and gunicorn) servers under wrk: req/s and latency
  load       1000 concurrent connections for 10 s on one worker: timeouts and p99 (issue 18)
  typed      a validated POST /items (pydantic, msgspec) vs FastAPI and Litestar: in process,
             then over the wire (wrk)
  extensions the three endpoints (async views) with Flask-extension support on
             (microflask.flask_patch) vs without, in process (issue 15)

It prints every section, then a table of the targets, writes ``benchmarks/results/latest.json``
and redraws ``docs/img/performance.png`` (``chart.py``).

    python benchmarks/run.py [--quick] [--only wire,routing] [--output FILE] [--no-chart] [--no-venv]
                             [--no-compile]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_VENV = Path(os.environ.get("MICROFLASK_BENCH_VENV", ROOT / ".venv-bench"))
PEERS = [
    "uvicorn[standard]",
    "starlette",
    "fastapi",
    "quart",
    "flask",
    "gunicorn",
    "orjson",
    "matplotlib",
    "pyinstrument",
    "py-spy",
    "httpx2",  # microflask's test transport: templates.py renders in app.test_request_context()
    "litestar",
    "blacksheep",
    "pydantic",  # microflask.schema's libraries (the api extra)
    "msgspec",
]
SECTIONS = ["inprocess", "json", "routing", "templates", "memory", "upload", "wire", "load", "typed", "extensions"]
VERSIONS_OF = [
    "microflask",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "fastapi",
    "quart",
    "flask",
    "gunicorn",
    "orjson",
    "jinja2",
    "litestar",
    "blacksheep",
    "pydantic",
    "msgspec",
]

#: Arguments of each section's script: the full run, and --quick (checks the machinery only).
FULL = {
    # Many short interleaved rounds, the best counting: on a shared machine a burst of load then
    # spoils a few rounds of one contender, not its figure.
    "inprocess": ["inprocess.py", "--requests", "2000", "--rounds", "15"],
    "json": ["inprocess.py", "--apps", "microflask,starlette", "--requests", "3000", "--rounds", "15"],
    "routing": ["routing.py", "--requests", "2000", "--rounds", "10"],
    "templates": ["templates.py", "--renders", "200", "--rounds", "30"],
    "memory": ["memory.py", "--requests", "100000", "--import-runs", "15"],
    "upload": ["upload.py", "--mib", "200"],
    # 8 servers x 3 endpoints: more, shorter rounds rather than fewer long ones (noise, see above).
    "wire": ["wire.py", "--duration", "3", "--warmup", "1", "--rounds", "5"],
    "load": ["load.py", "--duration", "10", "--rounds", "3"],
    "typed": ["typed.py", "--requests", "3000", "--rounds", "10", "--wire", "--duration", "5"],
    "extensions": ["extensions.py", "--requests", "2000", "--rounds", "15"],
}
QUICK = {
    "inprocess": ["inprocess.py", "--requests", "300", "--rounds", "1"],
    "json": ["inprocess.py", "--apps", "microflask,starlette", "--requests", "300", "--rounds", "1"],
    "routing": ["routing.py", "--requests", "300", "--rounds", "1"],
    "templates": ["templates.py", "--renders", "50", "--rounds", "1"],
    "memory": ["memory.py", "--requests", "5000", "--warmup", "1000", "--import-runs", "2"],
    "upload": ["upload.py", "--mib", "20"],
    "wire": ["wire.py", "--duration", "1", "--warmup", "1", "--rounds", "1"],
    "load": ["load.py", "--duration", "1", "--warmup", "0", "--rounds", "1"],
    "typed": ["typed.py", "--requests", "300", "--rounds", "1"],
    "extensions": ["extensions.py", "--requests", "300", "--rounds", "1"],
}
#: Sections timed in-process run pinned to CPU 0, as the servers are.
PINNED = {"inprocess", "json", "routing", "templates", "memory", "typed", "extensions"}


# -- the benchmark virtualenv -------------------------------------------------------------------
def venv_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == BENCH_VENV.resolve()


def ensure_venv() -> None:
    """Create or update the benchmark venv; the stamp records what it was installed for."""
    stamp_file = BENCH_VENV / ".microflask-bench"
    stamp = hashlib.sha256(((ROOT / "pyproject.toml").read_text() + "\n".join(PEERS)).encode()).hexdigest()
    if stamp_file.exists() and stamp_file.read_text() == stamp and venv_python().exists():
        return
    print(f"setting up the benchmark venv {BENCH_VENV} (microflask + {', '.join(PEERS)})", flush=True)
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", str(ROOT), *PEERS], check=True)
    stamp_file.write_text(stamp)


def ensure_wrk() -> bool:
    """wrk on PATH, installing Debian's package when missing (needs root). False if unavailable."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("wrk is missing and cannot be installed here (needs root and apt-get): skipping 'wire'")
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    print("installing wrk (apt-get install wrk)", flush=True)
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    if shutil.which("wrk") is None:
        print("could not install wrk: skipping 'wire'")
        return False
    return True


# -- machine and versions ---------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in VERSIONS_OF:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    if shutil.which("wrk"):
        proc = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        out["wrk"] = (proc.stdout or proc.stderr).split("[")[0].replace("wrk", "").strip()
    return out


# -- running the sections -----------------------------------------------------------------------
def run_section(name: str, args: list[str], workdir: Path) -> dict[str, Any] | None:
    out = workdir / f"{name}.json"
    cmd = [sys.executable, *args, "--json", str(out)]
    if name == "json":
        results = {}
        for mode, extra in (("orjson", []), ("stdlib", ["--no-orjson"])):
            print(f"--- json ({'orjson installed' if mode == 'orjson' else 'as if orjson were not installed'})")
            if not _run(name, [*cmd, *extra]):
                return None
            results[mode] = json.loads(out.read_text())
        return results
    if not _run(name, cmd):
        return None
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _run(name: str, cmd: list[str]) -> bool:
    if name in PINNED and shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", "0", *cmd]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=HERE)
    print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    if proc.returncode != 0:
        print(f"!!! section {name} failed with exit code {proc.returncode}")
        return False
    return True


# -- the targets --------------------------------------------------------------------------------
def target(
    name: str, measured: float | None, limit: float, kind: str, shown: str, note: str = "", limit_text: str = ""
) -> dict[str, Any]:
    """``kind`` is "max" (measured must be <= limit) or "min" (>= limit)."""
    if measured is None:
        met = None
    else:
        met = measured <= limit if kind == "max" else measured >= limit
    limit_text = limit_text or f"{'<=' if kind == 'max' else '>='} {limit:g}"
    return {
        "name": name,
        "measured": measured,
        "limit": limit,
        "kind": kind,
        "limit_text": limit_text,
        "shown": shown,
        "met": met,
        "note": note,
    }


def targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    s = sections.get("inprocess")
    if s:
        for label, ratio in s["ratio_microflask_over_starlette"].items():
            out.append(target(f"1 in-process {label} vs Starlette", ratio, 1.0, "max", f"{ratio:.2f}x"))
    s = sections.get("inprocess")
    if s:  # issue 18: at most 0.9x BlackSheep's µs per request
        for label, ratio in s["ratio_microflask_over"].get("blacksheep", {}).items():
            out.append(target(f"18 in-process {label} vs BlackSheep", ratio, 0.9, "max", f"{ratio:.2f}x"))
    s = sections.get("wire")
    if s:  # issue 18: at least BlackSheep's requests/s
        for label, ratio in s["ratio_rps_microflask_over"].get("blacksheep", {}).items():
            out.append(target(f"18 wire req/s {label} vs BlackSheep", ratio, 1.0, "min", f"{ratio:.2f}x"))
    s = sections.get("load")
    if s:  # issue 18: 1000 connections on one worker: no timeouts, p99 at most Starlette's
        mf = s["summary"].get("microflask")
        if mf:
            out.append(
                target(
                    f"18 load -c{s['connections']}: timeouts (all rounds)",
                    float(mf["total_timeouts"]),
                    0.0,
                    "max",
                    f"{mf['total_timeouts']}",
                    ", ".join(f"{p} {v['total_timeouts']}" for p, v in s["summary"].items() if p != "microflask"),
                )
            )
        r = s["ratio_p99_microflask_over"].get("starlette")
        if r:
            note = f"median of rounds {r['median_p99']:.2f}x"
            out.append(
                target(
                    f"18 load -c{s['connections']}: p99 vs Starlette",
                    r["best_p99"],
                    1.0,
                    "max",
                    f"{r['best_p99']:.2f}x",
                    note,
                )
            )
    s = sections.get("wire")
    if s:
        ratios = s["ratio_rps_microflask_over"]
        for label, ratio in ratios.get("starlette", {}).items():
            out.append(target(f"2 wire req/s {label} vs Starlette", ratio, 0.95, "min", f"{ratio:.2f}x"))
        for label, ratio in ratios.get("quart", {}).items():
            out.append(target(f"2 wire req/s {label} vs Quart", ratio, 3.0, "min", f"{ratio:.2f}x"))
    s = sections.get("routing")
    if s:
        n1, n2 = s["first"], s["last"]
        mf, st = s["ratio_last_over_first"]["microflask"], s["ratio_last_over_first"].get("starlette")
        note = f"Starlette {st:.1f}x" if st else ""
        out.append(target(f"3 routing last of {n2} / last of {n1}", mf, 1.5, "max", f"{mf:.2f}x", note))
    s = sections.get("templates")
    if s:
        r = s["ratio_microflask_over_jinja"]
        out.append(target("4 templates 50 rows vs raw Jinja", r, 1.15, "max", f"{r:.2f}x"))
        out.append(target("18 templates 50 rows vs raw Jinja", r, 1.05, "max", f"{r:.2f}x"))
    s = sections.get("json")
    if s:
        on, off = s["orjson"], s["stdlib"]
        same = on["bodies"]["microflask"] == off["bodies"]["microflask"]
        for label in ("/json", "/users/<int:id>"):
            a, b = on["us_per_request"]["microflask"][label], off["us_per_request"]["microflask"][label]
            out.append(
                target(
                    f"5 JSON {label}: orjson vs stdlib",
                    1.0 if same else 0.0,
                    1.0,
                    "min",
                    f"{a:.1f} vs {b:.1f} µs",
                    "bodies identical" if same else "BODIES DIFFER",
                    "same bytes",
                )
            )
    s = sections.get("memory")
    if s:
        g = s["growth"]["microflask"]["growth_kib"]
        out.append(target("6 RSS growth over 100k requests", g / 1024, 1.0, "max", f"{g / 1024:+.2f} MiB"))
        if "served" in s:
            d = (s["served"]["microflask"]["rss_kib"] - s["served"]["starlette"]["rss_kib"]) / 1024
            out.append(target("6 served RSS minus Starlette's", d, 5.0, "max", f"{d:+.1f} MiB"))
        imp = s["imports"]["microflask"]["best_ms"] / s["imports"]["starlette"]["best_ms"]
        out.append(target("6 import vs starlette.applications", imp, 1.3, "max", f"{imp:.2f}x"))
        out.append(target("18 import vs starlette.applications", imp, 1.0, "max", f"{imp:.2f}x"))
    s = sections.get("upload")
    if s:
        peak_mb = s["hwm_after_kib"] * 1024 / 1e6
        out.append(target(f"7 peak RSS, {s['mib']} MiB upload (MB)", peak_mb, 64.0, "max", f"{peak_mb:.1f} MB"))
    s = sections.get("typed")
    if s:  # issue #16: a validated endpoint, per request in process
        for peer, limit, what in (("fastapi", 0.5, "pydantic vs FastAPI"), ("litestar", 1.0, "msgspec vs Litestar")):
            r = s["ratio_over"].get(peer, {}).get("valid")
            if r is not None:
                out.append(target(f"16 typed POST {what}", r, limit, "max", f"{r:.2f}x"))
        r = s.get("ratio_rps_over", {}).get("fastapi")
        if r is not None:
            out.append(target("16 typed POST wire req/s vs FastAPI", r, 2.0, "min", f"{r:.2f}x"))
    s = sections.get("extensions")
    if s:  # issue 15: Flask-extension support (microflask.flask_patch) vs without, async views
        for label, ratio in s["ratio_patched_over_without"].items():
            out.append(target(f"15 flask_patch {label} vs without", ratio, s["target"], "max", f"{ratio:.2f}x"))
    return out


def print_targets(rows: list[dict[str, Any]]) -> None:
    print()
    print(f"{'target':<46}{'measured':>18}{'limit':>12}  verdict")
    for r in rows:
        verdict = {True: "met", False: "MISSED", None: "-"}[r["met"]]
        note = f"  ({r['note']})" if r["note"] else ""
        print(f"{r['name']:<46}{r['shown']:>18}{r['limit_text']:>12}  {verdict}{note}")
    met = sum(1 for r in rows if r["met"])
    print(f"{met} of {len(rows)} checks met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks that everything runs, no figures")
    parser.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--output", help="results file (default benchmarks/results/latest.json; --quick: a temp file)")
    parser.add_argument("--no-chart", action="store_true", help="do not redraw docs/img/performance.png")
    parser.add_argument("--no-venv", action="store_true", help="run in this interpreter, peers or not")
    parser.add_argument("--no-compile", action="store_true", help="do not byte-compile microflask and site-packages")
    args = parser.parse_args()

    if not args.no_venv and not in_bench_venv():
        ensure_venv()
        python = str(venv_python())
        os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])

    chosen = args.only.split(",") if args.only else SECTIONS
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    if ("wire" in chosen or "load" in chosen) and not ensure_wrk():
        chosen = [name for name in chosen if name not in ("wire", "load")]
    if "typed" in chosen and "wire" not in chosen:
        ensure_wrk()  # typed.py skips its wire part without wrk
    # Import-time and server start-up figures must not include compiling from source
    # (PYTHONDONTWRITEBYTECODE=1 is common here): byte-compile microflask and the venv first.
    import sysconfig

    if not args.no_compile:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "microflask"), sysconfig.get_paths()["purelib"]],
            check=False,
        )

    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "machine": machine(),
        "versions": versions(),
    }
    print(f"microflask benchmark suite, {info['date']}{' (QUICK: figures mean nothing)' if args.quick else ''}")
    m = info["machine"]
    print(f"{m['nproc']} x {m['cpu_model']}, {m['memory_gib']} GiB, Python {m['python']}, load {m['loadavg_at_start']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    if m["loadavg_at_start"][0] > 1.0:
        print(f"WARNING: the machine is busy (load {m['loadavg_at_start'][0]:.1f}): figures will be noisy")
    plan = QUICK if args.quick else FULL
    sections: dict[str, Any] = {}
    failed = []
    with tempfile.TemporaryDirectory(prefix="microflask-bench-") as workdir:
        for name in chosen:
            print(f"\n=== {name}", flush=True)
            result = run_section(name, plan[name], Path(workdir))
            if result is None:
                failed.append(name)
            else:
                sections[name] = result
    info["machine"]["loadavg_at_end"] = list(os.getloadavg())
    info["sections"] = sections
    info["targets"] = rows = targets(sections)
    print_targets(rows)

    if args.output:
        output = Path(args.output)
    elif args.quick:
        output = Path(tempfile.gettempdir()) / "microflask-bench-quick.json"
    else:
        output = HERE / "results" / "latest.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults written to {output}")
    if not args.no_chart and not args.quick and not args.only:
        proc = subprocess.run([sys.executable, str(HERE / "chart.py"), str(output)], cwd=ROOT)
        if proc.returncode != 0:
            print("!!! chart.py failed")
    if failed:
        raise SystemExit(f"sections failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
