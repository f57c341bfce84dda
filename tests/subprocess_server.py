"""A server (uvicorn, ``microflask run``) in a subprocess, for tests.

The test waits on what the server logs (a reader thread feeds a queue) or polls the port,
every wait with a deadline; a hung server fails the test instead of hanging it.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The most any single wait may take.
DEADLINE = 20.0
#: A clean exit after SIGTERM. Uvicorn re-raises the SIGTERM it handled once its graceful
#: shutdown is complete, so a single process ends "killed by SIGTERM" (-15; 143 in a shell),
#: which systemd and Docker count as a clean stop; with --workers (and older Uvicorn) it is 0.
#: The tests check the log and the after_serving marker to know the shutdown really ran.
CLEAN_EXIT = (0, -signal.SIGTERM)


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without MICROFLASK_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROFLASK_")}
    env.update(PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb", COLUMNS="200", MICROFLASK_SKIP_DOTENV="1")
    env.update(extra)
    return env


class ServerProcess:
    """``args`` running in ``cwd``; its stdout and stderr are read line by line into :attr:`log`."""

    def __init__(self, args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*args],
            cwd=cwd,
            env=dict(env) if env is not None else clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.log: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)
            self._lines.put(line)
        self._lines.put(None)  # end of output: the process is gone

    @property
    def output(self) -> str:
        return "".join(self.log)

    def wait_for(self, text: str, timeout: float = DEADLINE) -> str:
        """The first line (not yet consumed) that contains ``text``; fails after ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            try:
                line = self._lines.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout} s; output so far:\n{self.output}") from None
            if line is None:
                raise AssertionError(f"the process ended before printing {text!r}; output:\n{self.output}")
            if text in line:
                return line

    def wait_listening(self, port: int, timeout: float = DEADLINE) -> None:
        """Poll until 127.0.0.1:``port`` accepts connections (for servers whose log does not say:
        a reloader's child, workers). Fails after ``timeout``, or at once if the process ended."""
        end = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
                return
            except ConnectionRefusedError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the process ended; output:\n{self.output}") from None
                if time.monotonic() > end:
                    raise AssertionError(f"nothing listens on {port} after {timeout} s:\n{self.output}") from None
                time.sleep(0.02)  # the poll interval; the deadline above bounds the wait

    def stop(self, sig: int = signal.SIGTERM, timeout: float = DEADLINE) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code (negative: killed by a signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the process did not exit within {timeout} s; output:\n{self.output}") from None
        self._close()
        return code

    def kill(self) -> None:
        """Make sure the process is gone (test teardown): SIGTERM, so a reloader or worker
        supervisor stops its children, then SIGKILL if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(DEADLINE)
        self._close()

    def _close(self) -> None:
        """Read the rest of the output, then close the pipe."""
        self._reader.join(DEADLINE)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path`` from 127.0.0.1:``port``: the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def python(*args: str) -> list[str]:
    """A command line running this interpreter (the test venv's)."""
    return [sys.executable, *args]
