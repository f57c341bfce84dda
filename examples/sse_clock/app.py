"""A server clock in the browser: Server-Sent Events from ``microflask.sse.EventStream``.

Run it from this folder (after ``make install`` at the repository root) and open
http://127.0.0.1:8000/ ::

    ../../.venv/bin/uvicorn app:app --reload

``/clock`` streams one ``tick`` event per ``TICK_SECONDS`` (1 by default) for as long as the
browser listens; ``/clock?count=N`` stops after N events (the tests use it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio

from microflask import MicroFlask, abort, current_app, render_template, request
from microflask.sse import EventStream, ServerSentEvent


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config["TICK_SECONDS"] = 1.0
    app.config.from_mapping(config)

    @app.route("/")
    async def index() -> str:
        page: str = await render_template("index.html")
        return page

    @app.route("/clock")
    async def clock() -> EventStream:
        count = request.args.get("count", type=int)
        if "count" in request.args and (count is None or count < 1):
            abort(400, "count must be a positive whole number.")
        return EventStream(ticks(current_app.config["TICK_SECONDS"], count), keep_alive=15)

    return app


async def ticks(interval: float, count: int | None) -> AsyncIterator[ServerSentEvent]:
    """A ``tick`` event every ``interval`` seconds, ``count`` times (None: until the client leaves).

    The browser's EventSource reconnects by itself if the connection drops; ``retry`` tells
    it to wait 2 seconds first, and ``id`` is the tick's number.
    """
    sent = 0
    while count is None or sent < count:
        if sent:
            await anyio.sleep(interval)
        sent += 1
        now = datetime.now(UTC)
        yield ServerSentEvent(
            {"time": now.isoformat(timespec="seconds"), "epoch": now.timestamp()}, event="tick", id=sent, retry=2000
        )


app = create_app()
