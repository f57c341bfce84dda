"""Flask-Executor, as its README shows: ``Executor(app)`` (a thread pool) whose ``submit`` runs
a function in a worker thread with copies of the app and request contexts
(``EXECUTOR_PUSH_APP_CONTEXT``: ``current_app``, ``request`` and a copy of ``g``, whose changes
stay in the worker), futures stored by name (``submit_stored``, ``executor.futures.done``,
``_state``, ``pop``), ``map``, the ``@executor.job`` decorator, default done callbacks, a named
executor with its own settings, ``teardown_appcontext`` in the worker; from ``def`` and
``async def`` views. Tests wait on the futures (or an event the task waits for), never sleep.

From an ``async def`` view, ``future.result()`` would block the event loop: await the future
with ``asyncio.wrap_future(future)`` (as here)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, current_app, g, jsonify, request
from flask_executor import Executor
from flask_executor.futures import FutureProxy


def describe(tag: str) -> dict[str, Any]:
    """Run in the worker: what it sees of the contexts; it changes its copy of g."""
    seen = {
        "tag": tag,
        "app": current_app.name,
        "path": request.path,
        "arg": request.args.get("who"),
        "user": g.get("user"),
        "thread": threading.current_thread().name,
    }
    g.user = "changed in the worker"
    return seen


def fib(n: int) -> int:
    return 1 if n <= 2 else fib(n - 1) + fib(n - 2)


class State:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.done: list[Any] = []
        self.torn_down: list[str] = []


def make_app(kind: str) -> tuple[Flask, Executor, State]:
    app = Flask(__name__)
    app.config["EXECUTOR_MAX_WORKERS"] = 2
    executor = Executor(app)
    state = State()
    executor.add_default_done_callback(lambda future: state.done.append(future.result()))
    fib_job = executor.job(fib)

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        if threading.current_thread().name.startswith("ThreadPoolExecutor"):
            state.torn_down.append("worker")

    def slow_power(base: int, exp: int) -> int:
        state.release.wait()  # the test lets it finish: no sleep
        return pow(base, exp) % 1000

    if kind == "def":

        @app.get("/submit")
        def submit() -> Any:
            g.user = "ann"
            seen = executor.submit(describe, "submitted").result()
            return jsonify(seen=seen, user_after=g.user)

        @app.get("/map")
        def mapped() -> Any:
            return jsonify(list(executor.map(fib, range(1, 8))), [fib_job.submit(10).result()])

    else:

        @app.get("/submit")
        async def submit() -> Any:  # type: ignore[misc]
            g.user = "ann"
            seen = await asyncio.wrap_future(executor.submit(describe, "submitted"))
            return jsonify(seen=seen, user_after=g.user)

        @app.get("/map")
        async def mapped() -> Any:  # type: ignore[misc]
            results = await asyncio.gather(*(asyncio.wrap_future(executor.submit(fib, n)) for n in range(1, 8)))
            return jsonify(results, [await asyncio.wrap_future(fib_job.submit(10))])

    @app.get("/start-task")
    def start_task() -> Any:
        executor.submit_stored("calc_power", slow_power, 323, 1235)
        return jsonify({"result": "success"})

    @app.get("/get-result")
    def get_result() -> Any:
        if not executor.futures.done("calc_power"):
            return jsonify({"status": executor.futures._state("calc_power")})
        future = executor.futures.pop("calc_power")
        return jsonify({"status": "done", "result": future.result()})

    @app.get("/fire")
    async def fire_and_forget() -> str:
        fib_job.submit_stored("fibonacci", 12)
        return "queued"

    return app, executor, state


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def setup(kind: str) -> Iterator[tuple[Any, Executor, State]]:
    app, executor, state = make_app(kind)
    yield app.test_client(), executor, state
    state.release.set()
    executor.shutdown(wait=True)


def test_submit_copies_the_app_and_request_contexts(setup: Any) -> None:
    client, _, state = setup
    data = client.get("/submit?who=bob").get_json()
    seen = data["seen"]
    assert seen["app"] == "ext_executor" and seen["path"] == "/submit" and seen["arg"] == "bob"
    assert seen["user"] == "ann"  # g copied into the worker
    assert seen["thread"].startswith("ThreadPoolExecutor")
    assert data["user_after"] == "ann"  # the worker changed its copy only
    assert state.torn_down == ["worker"]  # the app context pushed there was torn down
    assert state.done == [seen]  # the default done callback saw the result


def test_map_and_job(setup: Any) -> None:
    client, _, _ = setup
    assert client.get("/map").get_json() == [[1, 1, 2, 3, 5, 8, 13], [55]]


def test_futures_stored_by_name(setup: Any) -> None:
    client, executor, state = setup
    assert client.get("/start-task").get_json() == {"result": "success"}
    assert client.get("/get-result").get_json() == {"status": "RUNNING"}
    state.release.set()
    assert executor.futures.result("calc_power") == pow(323, 1235) % 1000  # waits on the future
    assert client.get("/get-result").get_json() == {"status": "done", "result": pow(323, 1235) % 1000}
    assert len(executor.futures) == 0


def test_fire_and_forget_from_an_async_view(setup: Any) -> None:
    client, executor, _ = setup
    assert client.get("/fire").text == "queued"
    future = executor.futures.pop("fibonacci")
    assert isinstance(future, FutureProxy)
    assert future.result() == 144


def test_named_executor_with_its_settings() -> None:
    app = Flask(__name__)
    app.config.update(CUSTOM_EXECUTOR_MAX_WORKERS=1, CUSTOM_EXECUTOR_PUSH_APP_CONTEXT=True)
    custom = Executor(app, name="custom")
    assert app.extensions["customexecutor"] is custom
    assert custom._max_workers == 1

    @app.get("/")
    def index() -> str:
        return custom.submit(lambda: f"{current_app.name} {request.args['x']}").result()

    try:
        assert app.test_client().get("/?x=1").text == "ext_executor 1"
    finally:
        custom.shutdown(wait=True)


def test_submit_needs_a_request_context() -> None:
    """Its thread pool copies the request context, so ``submit`` needs one (in Flask too):
    outside a request, a test request context stands in."""
    app = Flask(__name__)
    executor = Executor(app)
    app.config["VALUE"] = 42
    try:
        with app.app_context(), pytest.raises(RuntimeError):
            executor.submit(lambda: current_app.config["VALUE"])
        with app.test_request_context("/job"):
            future = executor.submit(lambda: (current_app.config["VALUE"], request.path))
            assert future.result() == (42, "/job")
    finally:
        executor.shutdown(wait=True)
