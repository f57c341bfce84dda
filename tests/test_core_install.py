"""The test client is part of the core install, as Flask's is (issue 17, point 3).

One fresh virtual environment gets ``pip install microflask`` with no extra (plus pytest, the
user's own test runner), through the package index configuration pip already has here, and
runs the quickstart's ```python blocks with its ``python``, and its pytest block with its
``pytest``: they use ``app.test_client()`` and ``app.async_test_client()``.

It installs packages (about 20 seconds with pip's cache warm), so it is marked ``slow``; the
marker is informative only, ``make test`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from subprocess_server import clean_env
from test_docs_snippets import blocks_of

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "docs" / "quickstart.md"
INSTALL_TIMEOUT = 600


def copy_project(dest: Path) -> Path:
    """What ``pip install`` needs of the repository, copied so the build leaves no files in it."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "microflask", dest / "microflask", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def venv_env() -> dict[str, str]:
    """The test's environment (pip's index configuration included) without anything that would
    let the venv see the project's or the test runner's packages."""
    env = clean_env()
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    return env


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=venv_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding microflask's core install and pytest; its ``bin`` folder."""
    work = tmp_path_factory.mktemp("core-install")
    venv = work / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    assert made.returncode == 0, made.stderr
    project = copy_project(work / "microflask-src")
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    installed = run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(project), "pytest"],
        cwd=work,
        timeout=INSTALL_TIMEOUT,
    )
    assert installed.returncode == 0, f"pip install failed:\n{installed.stdout}\n{installed.stderr}"
    return bin_dir


@pytest.mark.slow
def test_the_core_install_has_no_extra_and_a_lazy_test_transport(core_venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib.metadata as m, sys, microflask\n"
        "print('httpx2' in sys.modules)\n"
        "print(sorted(d.metadata['Name'].lower() for d in m.distributions()))\n"
    )
    done = run([str(core_venv / "python"), "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lazy, names = done.stdout.splitlines()
    assert lazy == "False"  # `import microflask` does not load the transport
    assert "httpx2" in names  # a dependency of the core install ...
    assert "orjson" not in names and "ruff" not in names  # ... and no extra came with it


@pytest.mark.slow
def test_the_quickstart_runs_in_a_venv_with_only_the_core_install(core_venv: Path, tmp_path: Path) -> None:
    blocks = [block for block in blocks_of(QUICKSTART) if block.marker is None]
    assert any("test_client()" in b.code for b in blocks) and any("async_test_client()" in b.code for b in blocks)
    with_pytest = [block for block in blocks if "import pytest" in block.code]
    assert len(with_pytest) == 1, "the quickstart's pytest example"
    for block in blocks:
        folder = tmp_path / f"line-{block.line}"
        folder.mkdir()
        if block in with_pytest:
            (folder / "test_app.py").write_text(block.code, encoding="utf-8")
            args = [str(core_venv / "pytest"), "-q", "-p", "no:cacheprovider", "-W", "error", "test_app.py"]
        else:
            (folder / "app.py").write_text(block.code, encoding="utf-8")
            args = [str(core_venv / "python"), "-W", "error", "app.py"]
        done = run(args, cwd=folder)
        assert done.returncode == 0, f"quickstart.md:{block.line} failed:\n{done.stdout}\n{done.stderr}"
        if block in with_pytest:
            assert " passed" in done.stdout and "failed" not in done.stdout, done.stdout
        else:
            assert done.stdout.strip().endswith("ok") or "__main__" not in block.code, done.stdout
