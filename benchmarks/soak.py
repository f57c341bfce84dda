"""Soak test: many concurrent keep-alive connections, mixed endpoints, for a bounded time,
against microflask served by a real Uvicorn process on 127.0.0.1. Not part of the test suite.

Each of ``--connections`` workers owns one keep-alive connection (raw asyncio streams,
hand-written HTTP/1.1) and its own session cookie, and cycles through the endpoints: JSON, a
form post, a rendered template, a static file, the session counter. Every answer is checked
(status and body; the session counter must go up by exactly one). The run stops after
``--duration`` seconds or ``--max-requests`` requests, whichever comes first.

The server's RSS is sampled every second; growth is measured from the end of the warm-up to
the end of the run (a leak shows as steady growth; the budget is ``--rss-budget`` MiB).
Exits 1 if any request failed or the RSS grew past the budget.

    .venv/bin/python benchmarks/soak.py [--duration 60] [--connections 200] [--max-requests 2000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # loopback only
CSS = b"body { font-family: sans-serif; }\n" * 40
TEMPLATE = """<!doctype html>
<title>{{ title }}</title>
<ul>{% for item in items %}
<li class="{{ loop.cycle('odd', 'even') }}">{{ item.name }}: {{ item.value }}</li>
{% endfor %}</ul>
<p>rendered for {{ request.path }}</p>
"""


# -- the app (the server process imports this module: uvicorn --factory soak:create_app) --------------


def create_app() -> Any:
    from microflask import MicroFlask, render_template, request, session

    root = os.environ["SOAK_ROOT"]
    app = MicroFlask("soak", root_path=root)
    app.config["SECRET_KEY"] = "soak-secret"

    @app.route("/json")
    async def json_view() -> Any:
        n = int(request.args.get("n", "0"))
        return {"n": n, "items": [{"id": i, "name": f"item {i}"} for i in range(10)]}

    @app.post("/form")
    async def form() -> Any:
        fields = await request.form
        return {"sum": sum(int(v) for v in fields.getlist("v")), "name": fields["name"]}

    @app.route("/page")
    async def page() -> str:
        items = [{"name": f"row {i}", "value": i * i} for i in range(20)]
        return await render_template("page.html", title="soak", items=items)

    @app.route("/session")
    async def counter() -> Any:
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"]}

    return app


# -- the load ---------------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)

    def ok(self, name: str, seconds: float) -> None:
        self.latencies.setdefault(name, []).append(seconds)

    def error(self, name: str, message: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1
        if len(self.first_errors) < 10:
            self.first_errors.append(f"{name}: {message}")

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())


class Connection:
    """One keep-alive HTTP/1.1 connection with its own cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def request(self, method: str, target: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {target} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if self.cookie:
            head += f"Cookie: session={self.cookie}\r\n"
        if body or method == "POST":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split(b" ", 2)[1])
        length = None
        chunked = close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and value.lower() == "chunked":
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length or 0)
        if close:
            await self.close()
        return status, data


async def worker(index: int, port: int, stop_at: float, budget: list[int], stats: Stats, timeout: float) -> None:
    conn = Connection(port)
    session_n = 0
    step = index  # workers start at different endpoints
    try:
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            kind = ENDPOINTS[step % len(ENDPOINTS)]
            step += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(timeout):
                    if kind == "json":
                        status, body = await conn.request("GET", f"/json?n={step}")
                        good = status == 200 and json.loads(body)["n"] == step
                    elif kind == "form":
                        form = f"name=w{index}&v=1&v=2&v={step}".encode()
                        status, body = await conn.request("POST", "/form", form, "application/x-www-form-urlencoded")
                        good = status == 200 and json.loads(body) == {"sum": 3 + step, "name": f"w{index}"}
                    elif kind == "page":
                        status, body = await conn.request("GET", "/page")
                        good = status == 200 and b"row 19: 361" in body and b"rendered for /page" in body
                    elif kind == "static":
                        status, body = await conn.request("GET", "/static/app.css")
                        good = status == 200 and body == CSS
                    else:
                        status, body = await conn.request("GET", "/session")
                        session_n += 1
                        good = status == 200 and json.loads(body) == {"n": session_n}
            except Exception as e:  # a failure of this request: count it, start a fresh connection
                stats.error(kind, f"{type(e).__name__}: {e}")
                await conn.close()
                continue
            if good:
                stats.ok(kind, time.perf_counter() - started)
            else:
                stats.error(kind, f"status {status}: {body[:200]!r}")
    finally:
        await conn.close()


ENDPOINTS = ["json", "form", "page", "static", "session"]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def sample_rss(pid: int, samples: list[tuple[float, int]], start: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append((time.monotonic() - start, rss_kib(pid)))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass
    samples.append((time.monotonic() - start, rss_kib(pid)))


async def drive(args: argparse.Namespace, port: int, pid: int) -> tuple[Stats, list[tuple[float, int]], float]:
    stats = Stats()
    samples: list[tuple[float, int]] = []
    start = time.monotonic()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, samples, start, stop))
    budget = [args.max_requests]
    stop_at = start + args.duration
    await asyncio.gather(
        *(worker(i, port, stop_at, budget, stats, args.timeout) for i in range(args.connections)),
    )
    elapsed = time.monotonic() - start
    stop.set()
    await sampler
    return stats, samples, elapsed


# -- the run ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start listening")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(args: argparse.Namespace, stats: Stats, samples: list[tuple[float, int]], elapsed: float) -> bool:
    rows = []
    for name in ENDPOINTS:
        lat = stats.latencies.get(name, [])
        rows.append(
            (
                name,
                len(lat) + stats.errors.get(name, 0),
                stats.errors.get(name, 0),
                statistics.median(lat) * 1000 if lat else float("nan"),
                percentile(lat, 0.99) * 1000,
                max(lat) * 1000 if lat else float("nan"),
            )
        )
    total = stats.total
    errors = sum(stats.errors.values())
    warm = [kib for t, kib in samples if t >= args.warmup]
    baseline = warm[0] if warm else samples[0][1]
    end = samples[-1][1]
    growth_mib = (end - baseline) / 1024
    peak = max(kib for _, kib in samples)

    print("| endpoint | requests | errors | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, errs, p50, p99, worst in rows:
        print(f"| {name} | {count} | {errs} | {p50:.1f} | {p99:.1f} | {worst:.1f} |")
    print(f"| **all** | **{total}** | **{errors}** | | | |")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| connections | {args.connections} |")
    print(f"| duration | {elapsed:.1f} s |")
    print(f"| throughput | {total / elapsed:.0f} req/s |")
    print(f"| server RSS at start | {samples[0][1] / 1024:.1f} MiB |")
    print(f"| server RSS after {args.warmup:.0f} s warm-up | {baseline / 1024:.1f} MiB |")
    print(f"| server RSS at end | {end / 1024:.1f} MiB |")
    print(f"| server RSS peak | {peak / 1024:.1f} MiB |")
    print(f"| RSS growth after warm-up | {growth_mib:+.2f} MiB (budget {args.rss_budget:.0f} MiB) |")
    if stats.first_errors:
        print("\nfirst errors:")
        for line in stats.first_errors:
            print("  " + line)
    ok = errors == 0 and growth_mib <= args.rss_budget
    print(f"\nresult: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--connections", type=int, default=200, help="concurrent connections (default 200)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="stop after this many requests")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before the RSS baseline (default 10)")
    parser.add_argument("--rss-budget", type=float, default=5.0, help="allowed RSS growth in MiB (default 5)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    args = parser.parse_args()
    if args.duration > 600 or args.connections > 1000:
        parser.error("keep the soak bounded: --duration <= 600, --connections <= 1000")

    import uvicorn

    import microflask

    print(
        f"soak: {args.connections} connections, {args.duration:.0f} s, Python {platform.python_version()},"
        f" uvicorn {uvicorn.__version__}, microflask {microflask.__version__}, {os.cpu_count()} CPUs,"
        f" {platform.machine()} {platform.system()} {platform.release()}"
    )
    with tempfile.TemporaryDirectory(prefix="microflask-soak-") as root:
        (Path(root) / "templates").mkdir()
        (Path(root) / "templates" / "page.html").write_text(TEMPLATE)
        (Path(root) / "static").mkdir()
        (Path(root) / "static" / "app.css").write_bytes(CSS)
        port = free_port()
        env = {**os.environ, "SOAK_ROOT": root}
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "soak:create_app",
            "--app-dir", str(Path(__file__).parent), "--host", HOST, "--port", str(port),
            "--log-level", "warning", "--no-access-log", "--backlog", "2048",
        ]  # fmt: skip
        proc = subprocess.Popen(command, env=env)
        try:
            wait_listening(port, proc)
            stats, samples, elapsed = asyncio.run(drive(args, port, proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 0 if report(args, stats, samples, elapsed) else 1


if __name__ == "__main__":
    sys.exit(main())
