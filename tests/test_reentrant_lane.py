"""Sync code on a request's worker thread that waits for the event loop, where what it waits for
runs sync code on that same thread: the thread runs it meanwhile (``ThreadLane`` is
re-entrant). In Flask every step runs on the one thread, so a ``def`` view may call the app's
public steps (``preprocess_request``, ``handle_user_exception``, ``process_response``...) whose
sync hooks and handlers then run on the request's thread; here that once deadlocked."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from microflask import MicroFlask, Response, g, request
from microflask.concurrency import ThreadLane, call_async_from_sync

TRACE: contextvars.ContextVar[str] = contextvars.ContextVar("TRACE", default="")


def without_deadlock(work: Callable[[], Any]) -> Any:
    """``work()`` on a daemon thread; a deadlock fails the test instead of hanging the run."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    thread.start()
    thread.join(30)  # only a deadlock gets near this: the whole test takes milliseconds
    assert not thread.is_alive(), "deadlocked"
    return outcome[0]


def steps_app() -> MicroFlask:
    app = MicroFlask(__name__)
    app.config["THREADS"] = threads = set()

    @app.before_request
    def count() -> None:
        threads.add((request.path, threading.get_ident()))
        g.hooks = g.get("hooks", 0) + 1

    @app.after_request
    def stamp(response: Response) -> Response:
        threads.add((request.path, threading.get_ident()))
        response.headers["X-After"] = str(int(response.headers.get("X-After", "0")) + 1)
        return response

    @app.errorhandler(KeyError)
    def missing(e: KeyError) -> tuple[str, int]:
        threads.add((request.path, threading.get_ident()))
        return f"missing {e.args[0]}", 409

    @app.get("/preprocess")
    def preprocess() -> str:
        app.preprocess_request()  # the hooks again, on this thread
        return f"hooks {g.hooks}"

    @app.get("/handled")
    def handled() -> Any:
        return app.handle_user_exception(KeyError("k"))

    @app.get("/processed")
    def processed() -> Any:
        response = app.process_response(app.make_response("made"))  # after_request now, then again
        return response

    return app


def test_a_def_view_calls_the_apps_steps_and_their_sync_hooks_run_on_its_thread() -> None:
    app = steps_app()

    def requests() -> list[Any]:
        client = app.test_client()
        return [client.get("/preprocess"), client.get("/handled"), client.get("/processed")]

    preprocessed, handled, processed = without_deadlock(requests)
    assert (preprocessed.status_code, preprocessed.text) == (200, "hooks 2")
    assert (handled.status_code, handled.text) == (409, "missing k")
    assert (processed.text, processed.headers["X-After"]) == ("made", "2")
    # Each request's sync code (hooks and the handler, called by the view) ran on one thread, as in Flask.
    paths = [path for path, _ in app.config["THREADS"]]
    assert sorted(paths) == ["/handled", "/preprocess", "/processed"]


@pytest.mark.anyio
async def test_nested_waits_on_one_lane_each_get_their_own_answer() -> None:
    """A job that waits for the loop, whose coroutine runs a job that waits again: each wait
    returns its own result, in any order the answers arrive, with the caller's context."""
    async with ThreadLane() as lane:

        async def inner_on_loop() -> str:
            return "inner:" + await lane.run(lambda: TRACE.get())

        def inner_job() -> str:
            return call_async_from_sync(inner_on_loop)

        async def outer_on_loop() -> str:
            first = await lane.run(inner_job)
            second = await lane.run(lambda: "plain")
            return f"{first}|{second}"

        def outer_job() -> str:
            TRACE.set("set on the lane")
            return call_async_from_sync(outer_on_loop)

        with anyio.fail_after(30):  # a deadlock fails instead of hanging the run
            assert await lane.run(outer_job) == "inner:set on the lane|plain"


@pytest.mark.anyio
async def test_an_error_in_the_awaited_coroutine_is_raised_on_the_thread() -> None:
    async with ThreadLane() as lane:

        async def fails() -> None:
            await lane.run(lambda: None)
            raise LookupError("from the loop")

        def job() -> str:
            try:
                call_async_from_sync(fails)
            except LookupError as e:
                return f"caught {e}"
            return "not raised"

        with anyio.fail_after(30):
            assert await lane.run(job) == "caught from the loop"


def test_request_data_read_from_a_def_view_still_works() -> None:
    app = MicroFlask(__name__)

    @app.post("/echo")
    def echo() -> Any:
        return {"json": request.get_json(), "path": request.path}

    answer = without_deadlock(lambda: app.test_client().post("/echo", json={"a": 1}))
    assert answer.json == {"json": {"a": 1}, "path": "/echo"}
