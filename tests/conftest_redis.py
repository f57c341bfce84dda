"""A real ``redis-server`` for the Redis tests: on 127.0.0.1, a free port, a temporary directory.

Test modules import the fixtures: ``from conftest_redis import redis_server, redis_url  # noqa: F401``.
``redis_server`` (one per test module) is flushed before each test that uses ``redis_url``;
``fresh_redis_server`` starts one for a single test (to kill and restart it). Without a
``redis-server`` binary (``scripts/install-redis.sh`` installs it) the tests are skipped, and
pytest prints why. Every wait has a deadline; every server started is stopped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from subprocess_server import free_port

#: The most a start, stop or ping may take.
DEADLINE = 10.0


def _ping(port: int, timeout: float = 0.5) -> bool:
    """True if a Redis on 127.0.0.1:``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Send one command (RESP) and return the raw first reply."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(payload)
        return sock.recv(65536)


class RedisServer:
    """One ``redis-server`` process: :meth:`start`, :meth:`kill` (SIGKILL), :meth:`stop`."""

    def __init__(self, binary: str, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="microflask-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on :attr:`port` and wait (bounded) until it answers PING."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with open(self.dir / "redis.log", "ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + DEADLINE
        while not _ping(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited ({self.proc.returncode}):\n{self.log()}")
            if time.monotonic() > end:
                self.kill()
                raise RuntimeError(f"redis-server did not answer within {DEADLINE} s:\n{self.log()}")
            time.sleep(0.02)  # poll interval; the deadline bounds the wait

    def log(self) -> str:
        path = self.dir / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, connections dropped."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(DEADLINE)

    def stop(self) -> None:
        """Stop (SIGTERM, SIGKILL if it lingers) and remove the directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def flushall(self) -> None:
        reply = _command(self.port, "FLUSHALL")
        assert reply.startswith(b"+OK"), reply

    def command(self, *args: str) -> bytes:
        """A raw command's first reply (for checks: ``server.command("EXISTS", key)``)."""
        return _command(self.port, *args)


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/install-redis.sh installs it); skipping the Redis tests")
    return binary


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server for the test module (each module that imports it gets its own)."""
    server = RedisServer(redis_binary())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The shared server's URL, emptied for this test."""
    redis_server.flushall()
    return redis_server.url


@pytest.fixture
def fresh_redis_server() -> Iterator[RedisServer]:
    """A redis-server of this test's own (to kill and restart)."""
    server = RedisServer(redis_binary())
    try:
        server.start()
        yield server
    finally:
        server.stop()
