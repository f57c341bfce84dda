"""Background tasks: ``app.add_background_task`` after the response, in an app context,
awaited (bounded) at shutdown; Starlette background tasks on returned responses."""

from __future__ import annotations

import logging
import threading
from typing import Any

import anyio
import pytest
from starlette.background import BackgroundTask
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microflask import MicroFlask, current_app, g, has_app_context, has_request_context, request

# A bound on waits that normally end at once: a safety net against hanging, not a timing check.
SAFETY_TIMEOUT = 10


class Holder:
    """Module-level holder for an anyio.Event made on the app's event loop."""

    gate: anyio.Event | None = None


@pytest.fixture(autouse=True)
def _reset_holder() -> None:
    Holder.gate = None


def _records(caplog: pytest.LogCaptureFixture, app: MicroFlask, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == app.logger.name and r.levelno >= level]


class ShutdownSignal:
    """ASGI middleware calling ``on_shutdown()`` as soon as the lifespan shutdown message arrives."""

    def __init__(self, app: ASGIApp, on_shutdown: Any) -> None:
        self.app = app
        self.on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def watching_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self.on_shutdown()
            return message

        await self.app(scope, watching_receive, send)


# -- after the response -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_task_runs_after_the_response() -> None:
    app = MicroFlask(__name__)
    events: list[Any] = []

    async def task(value: int, *, extra: str) -> None:
        events.append(("task started", value, extra))
        assert Holder.gate is not None
        await Holder.gate.wait()
        events.append("task done")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(task, 1, extra="x")
        events.append("view")
        return "response"

    async with app.async_test_client() as client:
        Holder.gate = anyio.Event()
        r = await client.get("/")
        assert r.text == "response"
        assert "task done" not in events
        Holder.gate.set()
    assert events == ["view", ("task started", 1, "x"), "task done"]


def test_async_task_runs_after_the_response_with_sync_client() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    @app.before_serving
    async def make_gate() -> None:
        Holder.gate = anyio.Event()

    async def task() -> None:
        assert Holder.gate is not None
        await Holder.gate.wait()
        events.append("task done")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(task)
        return "response"

    with app.test_client() as client:
        assert client.get("/").text == "response"
        assert events == []
        assert Holder.gate is not None
        client.portal.call(Holder.gate.set)  # type: ignore[union-attr]
    assert events == ["task done"]


def test_sync_task_runs_after_the_response_on_a_worker_thread() -> None:
    app = MicroFlask(__name__)
    events: list[Any] = []
    gate = threading.Event()
    threads: dict[str, int] = {}

    def task(name: str) -> None:
        threads["task"] = threading.get_ident()
        assert gate.wait(SAFETY_TIMEOUT)
        events.append(f"sync task {name} in {current_app.name}")

    @app.route("/")
    async def index() -> str:
        threads["loop"] = threading.get_ident()
        app.add_background_task(task, "one")
        return "response"

    @app.route("/sync-view")
    def sync_view() -> str:
        app.add_background_task(task, "two")
        return "sync response"

    with app.test_client() as client:
        assert client.get("/").text == "response"
        assert client.get("/sync-view").text == "sync response"
        assert events == []
        gate.set()
    assert sorted(events) == [f"sync task one in {app.name}", f"sync task two in {app.name}"]
    assert threads["task"] != threads["loop"]


def test_task_runs_in_an_app_context_without_the_request() -> None:
    app = MicroFlask(__name__)
    app.config["NAME"] = "configured"
    seen: dict[str, Any] = {}

    async def task() -> None:
        seen["has_app_context"] = has_app_context()
        seen["has_request_context"] = has_request_context()
        seen["config"] = current_app.config["NAME"]
        seen["g_from_request"] = g.get("from_request")
        try:
            request.path  # noqa: B018
        except RuntimeError:
            seen["request"] = "RuntimeError"

    def sync_task() -> None:
        seen["sync_config"] = current_app.config["NAME"]
        seen["sync_has_request_context"] = has_request_context()

    @app.route("/")
    async def index() -> str:
        g.from_request = "leaked"
        app.add_background_task(task)
        app.add_background_task(sync_task)
        return "ok"

    with app.test_client() as client:
        assert client.get("/").text == "ok"
    assert seen == {
        "has_app_context": True,
        "has_request_context": False,
        "config": "configured",
        "g_from_request": None,
        "request": "RuntimeError",
        "sync_config": "configured",
        "sync_has_request_context": False,
    }


def test_error_in_a_task_is_logged_and_does_not_affect_the_response(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    async def failing() -> None:
        raise ValueError("task failed")

    def failing_sync() -> None:
        raise KeyError("sync task failed")

    async def fine() -> None:
        events.append("fine")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(failing)
        app.add_background_task(failing_sync)
        app.add_background_task(fine)
        return "ok"

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text) == (200, "ok")
        assert client.get("/").status_code == 200
    assert events == ["fine", "fine"]
    errors = _records(caplog, app, logging.ERROR)
    assert len(errors) == 4
    kinds = sorted(type(r.exc_info[1]).__name__ for r in errors if r.exc_info)
    assert kinds == ["KeyError", "KeyError", "ValueError", "ValueError"]
    assert all("failing" in r.getMessage() for r in errors)


def test_task_added_in_a_failing_request_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    async def task() -> None:
        events.append("ran")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(task)
        raise RuntimeError("view failed")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/").status_code == 500
    assert events == ["ran"]


# -- shutdown -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_pending_tasks_are_awaited_at_shutdown_before_after_serving() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    def shutdown_begins() -> None:
        events.append("shutdown begins")
        assert Holder.gate is not None
        Holder.gate.set()

    app.add_middleware(ShutdownSignal, on_shutdown=shutdown_begins)

    async def slow_task() -> None:
        assert Holder.gate is not None
        await Holder.gate.wait()  # set only once shutdown has begun
        await anyio.lowlevel.checkpoint()
        events.append("task done")

    @app.after_serving
    async def stop() -> None:
        events.append("after_serving")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(slow_task)
        return "ok"

    async with app.async_test_client() as client:
        Holder.gate = anyio.Event()
        assert (await client.get("/")).text == "ok"
        assert events == []
    assert events == ["shutdown begins", "task done", "after_serving"]


def test_shutdown_timeout_cancels_a_task_that_never_ends(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.2
    events: list[str] = []

    async def forever() -> None:
        events.append("started")
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            events.append("cancelled")
            raise

    @app.after_serving
    async def stop() -> None:
        events.append("after_serving")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(forever)
        return "ok"

    with caplog.at_level(logging.WARNING), app.test_client() as client:
        assert client.get("/").text == "ok"
    # The client's exit returned: the wait was bounded and the task was cancelled.
    assert events[0] == "started"
    assert sorted(events[1:]) == ["after_serving", "cancelled"]
    warnings = [r for r in _records(caplog, app, logging.WARNING) if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cancelled" in warnings[0].getMessage()


def test_add_background_task_in_before_serving_starts_at_once() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    async def opener(gate: anyio.Event) -> None:
        events.append("task started")
        gate.set()

    @app.before_serving
    async def start() -> None:
        gate = anyio.Event()
        app.add_background_task(opener, gate)
        # Waiting here only ends if the task already runs, during startup.
        with anyio.fail_after(SAFETY_TIMEOUT):
            await gate.wait()
        events.append("before_serving done")

    with app.test_client() as client:
        assert events == ["task started", "before_serving done"]
        client.get("/")
    assert events == ["task started", "before_serving done"]


def test_add_background_task_outside_serving_and_requests_is_an_error() -> None:
    app = MicroFlask(__name__)

    async def task() -> None:
        pass

    with app.app_context(), pytest.raises(RuntimeError, match="serving"):
        app.add_background_task(task)


# -- Starlette background tasks ---------------------------------------------------------------------


def test_starlette_background_task_on_a_returned_response_runs() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    async def record(value: str) -> None:
        events.append(value)

    def record_sync(value: str) -> None:
        events.append(value)

    @app.route("/")
    async def index() -> Any:
        return PlainTextResponse("ok", background=BackgroundTask(record, "async ran"))

    @app.route("/sync")
    def sync_view() -> Any:
        return PlainTextResponse("sync ok", background=BackgroundTask(record_sync, "sync ran"))

    with app.test_client() as client:
        assert client.get("/").text == "ok"
        assert client.get("/sync").text == "sync ok"
    assert events == ["async ran", "sync ran"]


@pytest.mark.anyio
async def test_starlette_background_task_with_async_client() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    async def record() -> None:
        events.append("ran")

    @app.route("/")
    async def index() -> Any:
        return PlainTextResponse("ok", background=BackgroundTask(record))

    async with app.async_test_client() as client:
        assert (await client.get("/")).text == "ok"
    assert events == ["ran"]
