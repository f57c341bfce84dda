"""The benchmark scripts still run (tiny counts, no timing assertions): in-process, routing, templates.

Peers that are not installed (FastAPI, Quart) are skipped by the scripts themselves; only
microflask and Starlette are needed. The whole suite (``make bench``) is never run here.
"""

from __future__ import annotations

import re
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


def test_templates_benchmark_runs_and_prints_a_ratio() -> None:
    pytest.importorskip("jinja2")
    out = run_script("templates.py", "--requests", "50", "--rounds", "1")
    assert re.search(r"^ratio\s+\d+\.\d+x$", out, re.MULTILINE), out


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
