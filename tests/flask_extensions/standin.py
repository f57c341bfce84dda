"""A stand-in for an outside HTTP service (an OAuth provider) on 127.0.0.1, for the extension
cases that talk to one: a threaded server on a free port, stopped and joined when the block
ends, and a handler base that reads form posts and answers JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class JSONHandler(BaseHTTPRequestHandler):
    """A quiet handler with ``answer(status, document)`` (JSON) and ``form()`` (the posted form)."""

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def answer(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def form(self) -> dict[str, list[str]]:
        length = int(self.headers.get("Content-Length", "0"))
        return parse_qs(self.rfile.read(length).decode())


@contextmanager
def loopback_server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    """``(server, base URL)``: serving until the block ends. Set ``server.RequestHandlerClass``
    (it may need the base URL) before the first request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), JSONHandler)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
