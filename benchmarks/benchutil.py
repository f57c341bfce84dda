"""Shared helpers of the benchmark scripts: in-process ASGI calls, served processes, /proc readings.

Every server is started here on 127.0.0.1 and a free port, in its own process group, and is
always stopped (``served`` is a context manager that kills the group on the way out).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"
#: The longest a server may take to answer its first request.
START_TIMEOUT = 30.0


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- in-process ASGI ------------------------------------------------------------------------
def scope_for(path: str, method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


class Receive:
    """A server's ``receive`` for one bodiless request: the request once, then (as a real
    server does) it waits until the response is done; apps that listen for a disconnect
    (Quart does, in a task) are cancelled there instead of spinning."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = False

    async def __call__(self) -> dict[str, Any]:
        if not self.sent:
            self.sent = True
            return _REQUEST
        import asyncio

        await asyncio.get_running_loop().create_future()  # until cancelled
        raise AssertionError("unreachable")


class Collector:
    """A ``send`` that keeps the status and body of the last response."""

    __slots__ = ("body", "statuses")

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.body = b""

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.statuses.append(message["status"])
            self.body = b""
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def call(app: Any, path: str) -> tuple[int, bytes]:
    """One in-process request: the status and body."""
    out = Collector()
    await app(scope_for(path), Receive(), out)
    return out.statuses[-1], out.body


async def lifespan_startup(app: Any) -> Callable[[], Any]:
    """Run the app's lifespan startup (Quart and FastAPI want it); returns the shutdown coroutine function."""
    import asyncio

    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await asyncio.wait_for(outbox.get(), 10)
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"lifespan startup failed: {message}")

    async def shutdown() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(outbox.get(), 10)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 10)

    return shutdown


# -- served processes -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int | None, args: Sequence[str]) -> list[str]:
    """``args`` run on one CPU (``taskset -c``) when taskset exists and the CPU is there."""
    if cpu is None or shutil.which("taskset") is None or cpu >= (os.cpu_count() or 1):
        return list(args)
    return ["taskset", "-c", str(cpu), *args]


def server_command(framework: str, port: int, factory: str | None = None, module: str = "bench_apps") -> list[str]:
    """The command that serves ``framework``'s benchmark app (``module:<framework>_app``, or
    ``factory``): uvicorn (httptools + uvloop, one worker) for the ASGI apps, gunicorn with one
    sync worker for Flask."""
    if framework == "flask":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=1",
            "--worker-class=sync",
            f"--bind={HOST}:{port}",
            f"--chdir={HERE}",
            "--log-level=warning",
            "bench_apps:flask_app()",
        ]
    name = factory or f"{framework.replace('-', '_')}_app"
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:{name}",
        "--factory",
        f"--app-dir={HERE}",
        f"--host={HOST}",
        f"--port={port}",
        "--loop=uvloop",
        "--http=httptools",
        "--no-access-log",
        "--log-level=warning",
    ]


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A running server process: its port, its pid and the pid that serves (gunicorn's worker)."""

    def __init__(self, framework: str, proc: subprocess.Popen[bytes], port: int) -> None:
        self.framework = framework
        self.proc = proc
        self.port = port

    @property
    def serving_pid(self) -> int:
        """The process that handles requests: the server itself, or gunicorn's one worker."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if self.framework == "flask" and children.exists():
            kids = children.read_text().split()
            if kids:
                return int(kids[0])
        return self.proc.pid

    def status(self, key: str) -> int:
        """A ``/proc/PID/status`` figure in KiB (``VmRSS``, ``VmHWM``) of the serving process."""
        return proc_status(self.serving_pid, key)


@contextlib.contextmanager
def served(framework: str, cpu: int | None = 0, factory: str | None = None) -> Iterator[Server]:
    """Serve ``framework``'s app on a free port (pinned to ``cpu``); always stopped on exit."""
    port = free_port()
    log = open(os.devnull, "wb")
    proc = subprocess.Popen(
        pinned(cpu, server_command(framework, port, factory)),
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stop() kills the server and its workers
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"{framework} server exited with {proc.returncode}:\n{err}")
            try:
                status, _ = http_get(port, "/", timeout=1.0)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{framework} server did not answer within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)
        if proc.stderr:  # from now on nobody reads it: a chatty server must not block on a full pipe
            proc.stderr.close()
        yield Server(framework, proc, port)
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started with ``start_new_session``: TERM its group, then KILL it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group, if any
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    if proc.stderr and not proc.stderr.closed:
        proc.stderr.close()


def proc_status(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def mib(kib: float) -> float:
    return kib / 1024


def byte_compile(*paths: Path) -> None:
    """Write .pyc files (PYTHONDONTWRITEBYTECODE=1 would otherwise compile every import from source)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *map(str, paths)], check=False)


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
