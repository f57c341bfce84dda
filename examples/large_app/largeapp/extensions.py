"""The app's own extension: an audit log with request timing, written the Flask way.

An extension object is created once, at import time, without an app::

    audit = AuditLog()

and bound to each app in the factory with ``audit.init_app(app)``. It keeps nothing about an
app on itself: the per-app state goes into ``app.extensions["audit"]`` and is found again
through ``current_app``, so one ``audit`` serves any number of apps (the tests make many).

What it does for an app:

- ``before_request`` / ``after_request`` hooks time every request and add a
  ``Server-Timing: app;dur=<ms>`` header (browsers show it in their network panel);
- ``audit.record("note.create", id=3)`` in a view adds an entry (time, user, path, details);
  the entry is written by a background task (``app.add_background_task``) after the
  response is sent, so the client never waits for the log;
- ``@app.before_serving`` opens the JSON-lines file (``AUDIT_LOG_PATH``) once at startup and
  ``@app.after_serving`` closes it at shutdown, after pending background writes finished.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from microflask import MicroFlask, Response, current_app, g, has_request_context, request

__all__ = ["AuditLog", "AuditState", "audit"]


@dataclass
class AuditState:
    """What the extension keeps per app, in ``app.extensions["audit"]``."""

    path: str | None
    entries: deque[dict[str, Any]] = field(default_factory=deque)
    file: Any = None  # the open log file while the app serves (an anyio AsyncFile)
    requests: int = 0
    total_ms: float = 0.0

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.requests if self.requests else 0.0


class AuditLog:
    """``audit = AuditLog()``, then ``audit.init_app(app)`` in the app factory."""

    def __init__(self, app: MicroFlask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: MicroFlask) -> None:
        app.config.setdefault("AUDIT_LOG_PATH", None)
        app.config.setdefault("AUDIT_KEEP", 500)  # entries kept in memory, for the admin page
        app.config.setdefault("AUDIT_TIMING_HEADER", True)
        app.extensions["audit"] = AuditState(
            path=app.config["AUDIT_LOG_PATH"], entries=deque(maxlen=app.config["AUDIT_KEEP"])
        )
        app.before_request(self._start_timer)
        app.after_request(self._stop_timer)
        app.before_serving(self._open)
        app.after_serving(self._close)

    @staticmethod
    def state() -> AuditState:
        """This extension's state for the current app."""
        return current_app.extensions["audit"]  # type: ignore[no-any-return]

    # -- the public API ------------------------------------------------------------------
    def record(self, action: str, **details: Any) -> dict[str, Any]:
        """Add an entry for ``action``; it is written after the current response is sent."""
        entry: dict[str, Any] = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "action": action}
        if has_request_context():
            user = g.get("user")
            entry["user"] = user.username if user is not None else None
            entry["path"] = request.path
        entry.update(details)
        current_app.add_background_task(self._write, entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """The entries kept in memory, oldest first."""
        return list(self.state().entries)

    # -- hooks ---------------------------------------------------------------------------
    @staticmethod
    def _start_timer() -> None:
        g.audit_started = time.perf_counter()

    def _stop_timer(self, response: Response) -> Response:
        started = g.get("audit_started")
        if started is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            state = self.state()
            state.requests += 1
            state.total_ms += elapsed_ms
            if current_app.config["AUDIT_TIMING_HEADER"]:
                response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        return response

    async def _open(self) -> None:
        state = self.state()
        if state.path:
            os.makedirs(os.path.dirname(os.path.abspath(state.path)), exist_ok=True)
            state.file = await anyio.open_file(state.path, "a", encoding="utf-8")
        await self._write({"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "action": "app.start"})

    async def _close(self) -> None:
        # after_serving runs once the pending background tasks are done (or timed out).
        state = self.state()
        await self._write({"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "action": "app.stop"})
        if state.file is not None:
            await state.file.aclose()
            state.file = None

    async def _write(self, entry: dict[str, Any]) -> None:
        # Runs as a background task: in its own app context, after the response went out.
        state = self.state()
        state.entries.append(entry)
        if state.file is not None:
            await state.file.write(json.dumps(entry, default=str) + "\n")
            await state.file.flush()


audit = AuditLog()
