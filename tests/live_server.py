"""A real Uvicorn server in a thread of the test process, and a raw-socket HTTP/1.1 client.

Used by the tests whose subject is what goes over the wire: hostile requests written byte by
byte, connections closed early, slow clients. Every wait has a deadline; nothing sleeps to
synchronise. The server listens on 127.0.0.1 only, on a socket bound before it starts.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

#: The most any single wait may take.
DEADLINE = 15.0


def wait_until(condition: Callable[[], Any], timeout: float = DEADLINE, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.005)


class RecordingHandler(logging.Handler):
    """Keeps every record it sees (thread-safe: ``logging`` locks around ``emit``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(
            record.getMessage()
            + ("\n" + logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
            for record in list(self.records)
        )


class LiveServer:
    """``with LiveServer(app) as server:`` serves ``app`` with Uvicorn on ``server.port``.

    The app's logger and Uvicorn's error logger are recorded in :attr:`log` (so a test can
    check what was logged, and that no request ended in "Exception in ASGI application").
    """

    def __init__(self, app: Any, *, http: str = "auto", **config: Any) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        options = {
            "lifespan": "on",
            "log_config": None,
            "access_log": False,
            "ws": "none",
            "timeout_graceful_shutdown": 5,
        }
        options.update(config)
        self.server = uvicorn.Server(uvicorn.Config(app, http=http, **options))
        self.log = RecordingHandler()
        self._loggers = [logging.getLogger(name) for name in ("uvicorn.error", getattr(app, "name", "app"))]
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as e:  # reported by start()/stop(), not as an unhandled thread error
            self._error = e

    def start(self) -> LiveServer:
        for logger in self._loggers:
            logger.addHandler(self.log)
        self._thread.start()
        wait_until(lambda: self.server.started or self._error or not self._thread.is_alive(), what="server start")
        if not self.server.started:
            self.stop()
            raise AssertionError(f"uvicorn did not start: {self._error!r}\n{self.log.text()}")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(DEADLINE)
        for logger in self._loggers:
            logger.removeHandler(self.log)
        self.sock.close()
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(DEADLINE)
            raise AssertionError("uvicorn did not stop in time")
        if self._error is not None and not isinstance(self._error, SystemExit):
            raise AssertionError(f"uvicorn failed: {self._error!r}")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connect(self, timeout: float = DEADLINE) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def errors(self) -> list[logging.LogRecord]:
        """Records at ERROR or above logged since the last :meth:`clear_log`."""
        return [r for r in list(self.log.records) if r.levelno >= logging.ERROR]

    def clear_log(self) -> None:
        self.log.records.clear()


@dataclass
class RawResponse:
    """A response read off a raw socket: status, headers (lowercased names, in order), body."""

    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: False when the connection closed before the body was complete.
    complete: bool = True
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def recv_all(sock: socket.socket, deadline: float = DEADLINE) -> bytes:
    """Everything the peer sends until it closes the connection (or ``deadline`` s pass)."""
    sock.settimeout(deadline)
    end = time.monotonic() + deadline
    chunks: list[bytes] = []
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response(data: bytes) -> RawResponse | None:
    """Parse one HTTP/1.1 response; None if ``data`` holds no status line at all."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    _version, status, *reason = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    response = RawResponse(int(status), reason[0] if reason else "", headers, raw=data)
    lookup = dict(headers)
    if lookup.get("transfer-encoding", "").lower() == "chunked":
        body, complete = _dechunk(rest)
        response.body, response.complete = body, complete
    elif "content-length" in lookup:
        length = int(lookup["content-length"])
        response.body = rest[:length]
        response.complete = len(rest) >= length
    else:
        response.body = rest
    return response


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    """The body of a chunked message, and whether its terminating zero-size chunk arrived."""
    out: list[bytes] = []
    while True:
        line, sep, data = data.partition(b"\r\n")
        if not sep:
            return b"".join(out), False
        size = int(line.split(b";")[0] or b"0", 16)
        if size == 0:
            return b"".join(out), True
        if len(data) < size + 2:
            out.append(data[:size])
            return b"".join(out), False
        out.append(data[:size])
        data = data[size + 2 :]


def exchange(port: int, request: bytes, *, deadline: float = DEADLINE, shut_write: bool = False) -> bytes:
    """Send ``request`` on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=deadline) as sock:
        try:
            sock.sendall(request)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (and closed) before reading all of it: read what it said
        return recv_all(sock, deadline)


def get(port: int, path: str = "/", host: str = "127.0.0.1") -> RawResponse:
    """A plain ``GET`` with ``Connection: close``."""
    data = exchange(port, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    response = parse_response(data)
    assert response is not None, f"no response to GET {path}: {data!r}"
    return response
