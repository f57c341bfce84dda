"""The benchmark scripts still run (tiny counts, no timing assertions): in-process, routing, templates,
the load case, the per-stage profile.

Peers that are not installed (FastAPI, Quart) are skipped by the scripts themselves; only
microflask and Starlette are needed. The whole suite (``make bench``) is never run here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
RATIO = re.compile(r"\d+\.\d+x")


def run_script(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / args[0]), *args[1:]],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"{args[0]} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_inprocess_benchmark_runs_and_prints_ratios(tmp_path: Path) -> None:
    out = run_script("inprocess.py", "--requests", "50", "--rounds", "1", "--json", str(tmp_path / "r.json"))
    assert "ratio microflask/starlette" in out
    assert len(RATIO.findall(out)) >= 3
    assert (tmp_path / "r.json").read_text().count("ratio_microflask_over_starlette") == 1


def test_inprocess_benchmark_without_orjson() -> None:
    out = run_script("inprocess.py", "--requests", "50", "--rounds", "1", "--apps", "microflask", "--no-orjson")
    assert "orjson off" in out
    assert RATIO.search(out)


def test_templates_benchmark_runs_and_prints_its_ratios() -> None:
    pytest.importorskip("jinja2")
    out = run_script("templates.py", "--requests", "50", "--rounds", "1")
    assert re.search(r"^ratio\s+\d+\.\d+x\s+\d+\.\d+x$", out, re.MULTILINE), out  # dict rows, objects


def test_routing_benchmark_runs_and_prints_ratios() -> None:
    out = run_script("routing.py", "--requests", "50", "--rounds", "1", "--counts", "10,100")
    assert len(RATIO.findall(out)) == 2, out


def test_typed_benchmark_runs() -> None:
    pytest.importorskip("pydantic")
    pytest.importorskip("msgspec")
    out = run_script("typed.py", "--requests", "50", "--rounds", "1")
    assert "microflask-pydantic" in out and "microflask-msgspec" in out, out


def test_extensions_benchmark_runs_and_prints_the_ratios(tmp_path: Path) -> None:
    out = run_script("extensions.py", "--requests", "50", "--rounds", "1", "--json", str(tmp_path / "r.json"))
    assert "ratio patched/without" in out
    assert len(RATIO.findall(out)) >= 4, out  # one per endpoint, and the worst
    assert "ratio_patched_over_without" in (tmp_path / "r.json").read_text()


# -- issue 18: BlackSheep and Litestar, the load case, the per-stage profile -------------------
PEERS_18 = ("blacksheep", "litestar")


def _python_with(*modules: str) -> str | None:
    """This interpreter if it has ``modules``, else the benchmark venv's (``run.py`` makes it) if
    that exists and has them; None otherwise."""
    import os

    candidates = [sys.executable]
    venv = Path(os.environ.get("MICROFLASK_BENCH_VENV", BENCHMARKS.parent / ".venv-bench"))
    if (venv / "bin" / "python").exists():
        candidates.append(str(venv / "bin" / "python"))
    check = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) is None for m in sys.argv[1:]))"
    for python in candidates:
        if subprocess.run([python, "-c", check, *modules], capture_output=True, timeout=30).returncode == 0:
            return python
    return None


def test_inprocess_benchmark_runs_against_blacksheep_and_litestar(tmp_path: Path) -> None:
    python = _python_with(*PEERS_18)
    if python is None:
        pytest.skip("BlackSheep and Litestar are not installed here nor in the benchmark venv (.venv-bench)")
    args = ["--apps", "microflask,blacksheep,litestar", "--requests", "50", "--rounds", "1"]
    proc = subprocess.run(
        [python, str(BENCHMARKS / "inprocess.py"), *args, "--json", str(tmp_path / "r.json")],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ratios = json.loads((tmp_path / "r.json").read_text())["ratio_microflask_over"]
    assert set(ratios["blacksheep"]) == set(ratios["litestar"]) == {"/ text", "/json", "/users/<int:id>"}


def test_load_section_runs_in_quick_mode(tmp_path: Path) -> None:
    """run.py --quick --only load: 1000 connections for 1 s against microflask and Starlette
    (BlackSheep too when installed); the targets of issue 18 are computed from it."""
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian's wrk package; run.py installs it with apt-get)")
    out = tmp_path / "quick.json"
    args = ["--quick", "--only", "load", "--no-venv", "--no-compile", "--no-chart", "--output", str(out)]
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), *args],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    load = results["sections"]["load"]
    assert load["connections"] == 1000
    assert {"microflask", "starlette"} <= set(load["summary"])
    names = [t["name"] for t in results["targets"]]
    assert "18 load -c1000: timeouts (all rounds)" in names
    assert "18 load -c1000: p99 vs Starlette" in names


def test_profile_stages_table_adds_up() -> None:
    out = run_script(
        "profile_inprocess.py", "--stages", "--requests", "200", "--rounds", "1", "--compare", "", "--markdown"
    )
    assert out.count("| stage | µs | share |") == 3, out  # one table per endpoint
    for stage in ("ASGI entry", "match:", "request + context", "view:", "response build", "send:"):
        assert stage in out, out
