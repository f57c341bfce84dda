"""Run many Python scripts fast: import the heavy modules once, then fork a child per script.

``python snippet_runner.py JOBS RESULTS``: ``JOBS`` is a JSON list of ``{"id", "path", "cwd",
"output"}``; each script runs as ``__main__`` (``runpy.run_path``) in a forked child working in
``cwd``, with warnings as errors (``python -W error``), its stdout and stderr written to
``output``. ``RESULTS``
gets ``{id: {"returncode", "output", "seconds"}}``; ``returncode`` is None for a script killed
after its timeout. Several children run at once (one per CPU); the parent waits for them on
pidfds with ``poll``, so nothing sleeps. Used by tests/test_docs_snippets.py.

Forking a process that has already imported microflask, Starlette, Jinja and httpx saves each
script about half a second of imports; the children share nothing else, since each is a fresh
copy of a parent that never runs an event loop or starts a thread.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import select
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

PRELOAD = [
    "anyio",
    "jinja2",
    "httpx2",
    "starlette.testclient",
    "microflask",
    "microflask.testing",
    "microflask.templating",
    "microflask.sse",
    "microflask.websockets",
]
TIMEOUT = 60.0
OUTPUT_LIMIT = 20_000


def run_child(path: Path, cwd: Path, output: Path) -> None:
    """In the forked child: run ``path`` as ``__main__`` in ``cwd``; never returns."""
    code = 1
    try:
        os.chdir(cwd)
        out = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.argv = [str(path)]
        sys.path.insert(0, str(path.parent))
        warnings.resetwarnings()
        warnings.simplefilter("error")
        runpy.run_path(str(path), run_name="__main__")
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_all(jobs: list[dict[str, Any]], workers: int, timeout: float) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    pending = list(reversed(jobs))
    running: dict[int, tuple[dict[str, Any], int, float]] = {}  # pidfd -> (job, pid, started)
    poller = select.poll()
    while pending or running:
        while pending and len(running) < workers:
            job = pending.pop()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                run_child(Path(job["path"]), Path(job["cwd"]), Path(job["output"]))
            pidfd = os.pidfd_open(pid)
            poller.register(pidfd, select.POLLIN)
            running[pidfd] = (job, pid, time.monotonic())
        now = time.monotonic()
        wait = min(started + timeout for _, _, started in running.values()) - now
        for pidfd, _ in poller.poll(max(wait, 0.0) * 1000):
            job, pid, started = running.pop(pidfd)
            poller.unregister(pidfd)
            os.close(pidfd)
            _, status = os.waitpid(pid, 0)
            returncode: int | None = os.waitstatus_to_exitcode(status)
            if job["id"] in results:  # killed after its timeout (below)
                returncode = None
            output = Path(job["output"]).read_text(errors="replace")
            results[job["id"]] = {
                "returncode": returncode,
                "output": output[-OUTPUT_LIMIT:],
                "seconds": round(time.monotonic() - started, 3),
            }
        now = time.monotonic()
        for job, pid, started in running.values():
            if now >= started + timeout and job["id"] not in results:
                results[job["id"]] = {}  # marks the timeout; filled in when the child is reaped
                os.kill(pid, signal.SIGKILL)
    return results


def main() -> None:
    jobs_file, results_file = sys.argv[1], sys.argv[2]
    jobs = json.loads(Path(jobs_file).read_text())
    for name in PRELOAD:
        importlib.import_module(name)
    workers = max(2, os.cpu_count() or 2)
    results = run_all(jobs, workers, float(os.environ.get("SNIPPET_TIMEOUT", TIMEOUT)))
    Path(results_file).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
