"""Contexts and proxies: request, g, current_app; app/request contexts; sync views on threads."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest

import microflask
from microflask import (
    MicroFlask,
    Request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    url_for,
)
from microflask.exceptions import MethodNotAllowed, NotFound

# -- proxies in a request ----------------------------------------------------------------------


def test_proxies_in_async_view() -> None:
    app = MicroFlask(__name__)

    @app.route("/items/<int:id>", methods=["POST"])
    async def item(id: int) -> Any:
        g.seen = id
        return {
            "is_request": isinstance(request, Request),
            "is_microflask_request": isinstance(request, microflask.Request),
            "real_request": type(request._get_current_object()).__name__,
            "method": request.method,
            "path": request.path,
            "args": request.args.get("q"),
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "app_is_app": current_app._get_current_object() is app,
            "app_name": current_app.name,
            "g": g.seen,
            "g_get": g.get("missing", "default"),
            "has_request": has_request_context(),
            "has_app": has_app_context(),
        }

    with app.test_client() as client:
        r = client.post("/items/3?q=x")
    assert r.json == {
        "is_request": True,
        "is_microflask_request": True,
        "real_request": "Request",
        "method": "POST",
        "path": "/items/3",
        "args": "x",
        "endpoint": "item",
        "view_args": {"id": 3},
        "app_is_app": True,
        "app_name": app.name,
        "g": 3,
        "g_get": "default",
        "has_request": True,
        "has_app": True,
    }


def test_g_helpers() -> None:
    app = MicroFlask(__name__)
    with app.app_context():
        assert "x" not in g
        g.x = 1
        assert "x" in g
        assert g.get("x") == 1
        assert g.setdefault("y", 2) == 2
        assert g.setdefault("y", 3) == 2
        assert sorted(g) == ["x", "y"]
        assert g.pop("x") == 1
        assert g.pop("x", "gone") == "gone"
        assert "x" not in g
        del g.y
        assert "y" not in g


def test_g_is_fresh_for_each_request() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        previous = g.get("value")
        g.value = request.args["v"]
        return {"previous": previous}

    with app.test_client() as client:
        assert client.get("/?v=1").json == {"previous": None}
        assert client.get("/?v=2").json == {"previous": None}


# -- outside any context ------------------------------------------------------------------------


def test_proxies_raise_outside_contexts() -> None:
    assert not has_app_context()
    assert not has_request_context()
    with pytest.raises(RuntimeError, match="request context"):
        _ = request.path
    with pytest.raises(RuntimeError, match="request context"):
        _ = request.args
    with pytest.raises(RuntimeError, match="request context"):
        session.get("x")
    with pytest.raises(RuntimeError, match="application context"):
        _ = g.value
    with pytest.raises(RuntimeError, match="application context"):
        g.value = 1
    with pytest.raises(RuntimeError, match="application context"):
        _ = current_app.config
    assert not bool(request)
    assert not bool(current_app)
    assert not isinstance(request, Request)
    assert "unbound" in repr(request)


def test_request_proxy_raises_in_app_context_without_request() -> None:
    app = MicroFlask(__name__)
    with app.app_context():
        assert has_app_context()
        assert not has_request_context()
        assert current_app.name == app.name
        with pytest.raises(RuntimeError, match="request context"):
            _ = request.method


# -- app_context -------------------------------------------------------------------------------


def test_sync_app_context() -> None:
    app = MicroFlask(__name__)
    torn_down: list[Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn_down.append((exc, g.get("db")))

    with app.app_context() as ctx:
        assert has_app_context()
        assert current_app._get_current_object() is app
        assert ctx.app is app
        g.db = "conn"
        assert g.db == "conn"
        assert torn_down == []
    assert torn_down == [(None, "conn")]
    assert not has_app_context()


@pytest.mark.anyio
async def test_async_app_context_awaits_async_teardown() -> None:
    app = MicroFlask(__name__)
    torn_down: list[Any] = []

    @app.teardown_appcontext
    async def close(exc: BaseException | None) -> None:
        await anyio.lowlevel.checkpoint()
        torn_down.append(("async", exc, g.get("db")))

    @app.teardown_appcontext
    def close_sync(exc: BaseException | None) -> None:
        torn_down.append(("sync", exc, g.get("db")))

    async with app.app_context():
        assert has_app_context()
        assert current_app.name == app.name
        g.db = "conn"
    assert sorted(torn_down) == [("async", None, "conn"), ("sync", None, "conn")]
    assert not has_app_context()


def test_app_context_teardown_gets_exception() -> None:
    app = MicroFlask(__name__)
    torn_down: list[Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    with pytest.raises(ValueError, match="inside"), app.app_context():
        raise ValueError("inside")
    assert len(torn_down) == 1
    assert isinstance(torn_down[0], ValueError)
    assert not has_app_context()


def test_sync_app_context_with_async_teardown_raises_clear_error() -> None:
    app = MicroFlask(__name__)

    @app.teardown_appcontext
    async def close(exc: BaseException | None) -> None:
        pass

    with pytest.raises(RuntimeError, match="async with"), app.app_context():
        pass
    assert not has_app_context()


def test_nested_app_contexts_have_their_own_g() -> None:
    app = MicroFlask(__name__)
    other = MicroFlask("other_app")
    with app.app_context():
        g.value = "outer"
        with other.app_context():
            assert current_app.name == "other_app"
            assert g.get("value") is None
            g.value = "inner"
        assert current_app.name == app.name
        assert g.value == "outer"


def test_app_context_gives_url_for_with_server_name() -> None:
    app = MicroFlask(__name__)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/users/<int:id>")
    async def user(id: int) -> str:
        return ""

    with app.app_context():
        assert url_for("user", id=3) == "http://example.com/users/3"


# -- test_request_context -----------------------------------------------------------------------


def test_test_request_context_sync() -> None:
    app = MicroFlask(__name__)

    @app.route("/path", methods=["GET", "POST"])
    async def view() -> str:
        return ""

    with app.test_request_context(
        "/path?a=1&a=2&b=x", method="POST", headers={"X-Token": "abc", "Accept": "application/json"}
    ):
        assert has_request_context()
        assert has_app_context()
        assert isinstance(request, Request)
        assert request.method == "POST"
        assert request.path == "/path"
        assert request.full_path == "/path?a=1&a=2&b=x"
        assert request.args["a"] == "1"
        assert request.args.getlist("a") == ["1", "2"]
        assert request.args["b"] == "x"
        assert request.headers["x-token"] == "abc"
        assert request.host == "localhost"
        assert request.url == "http://localhost/path?a=1&a=2&b=x"
        assert request.base_url == "http://localhost/path"
        assert request.endpoint == "view"
        assert request.url_rule is not None and request.url_rule.rule == "/path"
        assert current_app.name == app.name
        assert url_for("view", q=1) == "/path?q=1"
        g.inside = True
    assert not has_request_context()


@pytest.mark.anyio
async def test_test_request_context_async_body() -> None:
    app = MicroFlask(__name__)

    async with app.test_request_context("/submit", method="POST", json={"name": "ann"}):
        assert request.is_json
        assert await request.get_json() == {"name": "ann"}

    async with app.test_request_context("/submit", method="POST", data={"field": "value"}):
        assert request.mimetype == "application/x-www-form-urlencoded"
        form = await request.form
        assert form["field"] == "value"

    async with app.test_request_context("/submit", method="PUT", data=b"raw bytes", content_type="text/plain"):
        assert await request.get_data() == b"raw bytes"
        assert request.content_length == 9


def test_test_request_context_sync_body_flask_style() -> None:
    app = MicroFlask(__name__)

    with app.test_request_context("/submit", method="POST", data={"field": "value"}):
        assert request.form["field"] == "value"
        assert request.values["field"] == "value"

    with app.test_request_context("/submit", method="POST", json={"name": "ann"}):
        assert request.get_json() == {"name": "ann"}
        assert request.json == {"name": "ann"}

    with app.test_request_context("/submit", method="POST", data=b"raw", content_type="text/plain"):
        assert request.get_data() == b"raw"
        assert request.data == b"raw"


def test_test_request_context_options() -> None:
    app = MicroFlask(__name__)
    with app.test_request_context("/x", base_url="https://example.org:8443", query_string={"k": "v"}):
        assert request.scheme == "https"
        assert request.is_secure
        assert request.host == "example.org:8443"
        assert request.args["k"] == "v"
        assert request.url_root == "https://example.org:8443/"


def test_test_request_context_routing_errors_are_kept() -> None:
    app = MicroFlask(__name__)

    @app.route("/only-get")
    async def only_get() -> str:
        return ""

    with app.test_request_context("/nowhere"):
        assert isinstance(request.routing_exception, NotFound)
        assert request.endpoint is None
    with app.test_request_context("/only-get", method="DELETE"):
        assert isinstance(request.routing_exception, MethodNotAllowed)


def test_test_request_context_runs_teardown_appcontext() -> None:
    app = MicroFlask(__name__)
    torn_down: list[Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    with app.test_request_context("/somewhere"):
        pass
    assert torn_down == ["/somewhere"]


# -- copy_current_request_context ---------------------------------------------------------------


@pytest.mark.anyio
async def test_copy_current_request_context_after_the_view() -> None:
    app = MicroFlask(__name__)
    jobs: list[Any] = []

    @app.route("/work")
    async def work() -> str:
        g.user = request.args["user"]

        @copy_current_request_context
        async def async_job(suffix: str) -> tuple[str, str, str, bool]:
            await anyio.lowlevel.checkpoint()
            return request.path, g.user + suffix, current_app.name, has_request_context()

        @copy_current_request_context
        def sync_job(suffix: str) -> tuple[str, str, str, bool]:
            return request.path, g.user + suffix, current_app.name, has_request_context()

        jobs.extend([async_job, sync_job])
        return "queued"

    async with app.async_test_client() as client:
        assert (await client.get("/work?user=ann")).text == "queued"

    async_job, sync_job = jobs
    # The view has returned and its context is gone from here.
    assert not has_request_context()

    results: list[Any] = []

    async def run_async_job() -> None:
        results.append(await async_job("!"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run_async_job)
    assert results == [("/work", "ann!", app.name, True)]

    assert await anyio.to_thread.run_sync(sync_job, "?") == ("/work", "ann?", app.name, True)

    thread_result: list[Any] = []
    thread = threading.Thread(target=lambda: thread_result.append(sync_job("#")))
    thread.start()
    thread.join()
    assert thread_result == [("/work", "ann#", app.name, True)]
    # still nothing leaked into the caller
    assert not has_request_context()


def test_copy_current_request_context_in_a_thread_spawned_by_sync_view() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> str:
        out: list[str] = []

        @copy_current_request_context
        def job() -> None:
            out.append(f"{request.args['x']}-{current_app.name}")

        thread = threading.Thread(target=job)
        thread.start()
        thread.join()
        return out[0]

    with app.test_client() as client:
        assert client.get("/?x=7").text == f"7-{app.name}"


def test_copy_current_request_context_needs_a_request() -> None:
    def job() -> None:
        pass

    with pytest.raises(RuntimeError):
        copy_current_request_context(job)

    app = MicroFlask(__name__)
    with app.app_context(), pytest.raises(RuntimeError):
        copy_current_request_context(job)


def test_copy_current_request_context_keeps_function_metadata() -> None:
    app = MicroFlask(__name__)

    async def documented() -> None:
        """Docs."""

    with app.test_request_context("/"):
        wrapped = copy_current_request_context(documented)
    assert wrapped.__name__ == "documented"
    assert wrapped.__doc__ == "Docs."


# -- concurrency: g and request never leak ------------------------------------------------------


@pytest.mark.anyio
async def test_g_does_not_leak_between_concurrent_async_requests() -> None:
    app = MicroFlask(__name__)
    n = 50
    arrived = 0
    all_arrived = anyio.Event()

    @app.before_request
    async def before() -> None:
        g.before = request.args["i"]

    @app.route("/value/<int:i>")
    async def value(i: int) -> Any:
        nonlocal arrived
        g.value = i
        await anyio.sleep(0)
        # hold every request here until all are in flight at once
        arrived += 1
        if arrived == n:
            all_arrived.set()
        await all_arrived.wait()
        await anyio.sleep(0)
        return {"g": g.value, "before": g.before, "path": request.path, "arg": request.args["i"]}

    results: dict[int, Any] = {}

    async def fetch(client: Any, i: int) -> None:
        r = await client.get(f"/value/{i}?i={i}")
        results[i] = r.json

    with anyio.fail_after(30):  # a hang guard only
        async with app.async_test_client() as client, anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(fetch, client, i)

    assert len(results) == n
    for i, body in results.items():
        assert body == {"g": i, "before": str(i), "path": f"/value/{i}", "arg": str(i)}


@pytest.mark.anyio
async def test_g_does_not_leak_between_concurrent_sync_requests() -> None:
    app = MicroFlask(__name__)
    n = 10
    barrier = threading.Barrier(n, timeout=30)  # all views are running at once on their threads

    @app.before_request
    def before() -> None:
        g.value = request.args["i"]

    @app.route("/value/<int:i>")
    def value(i: int) -> Any:
        barrier.wait()
        return {"g": g.value, "path": request.path, "i": i}

    results: dict[int, Any] = {}

    async def fetch(client: Any, i: int) -> None:
        results[i] = (await client.get(f"/value/{i}?i={i}")).json

    async with app.async_test_client() as client, anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(fetch, client, i)

    assert results == {i: {"g": str(i), "path": f"/value/{i}", "i": i} for i in range(n)}


# -- sync views ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_sync_view_runs_in_worker_thread_with_contexts() -> None:
    app = MicroFlask(__name__)
    loop_thread = threading.get_ident()
    seen: dict[str, Any] = {}

    @app.before_request
    async def async_before() -> None:
        g.from_async_hook = "yes"

    @app.route("/sync", methods=["POST"])
    def sync_view() -> Any:
        seen["thread"] = threading.get_ident()
        return {
            "path": request.path,
            "arg": request.args["a"],
            "json": request.json,
            "app": current_app.name,
            "g": g.from_async_hook,
            "isinstance": isinstance(request, Request),
            "has_request": has_request_context(),
        }

    @app.route("/async")
    async def async_view() -> str:
        seen["async_thread"] = threading.get_ident()
        return "ok"

    async with app.async_test_client() as client:
        r = await client.post("/sync?a=1", json={"k": "v"})
        await client.get("/async")
    assert r.json == {
        "path": "/sync",
        "arg": "1",
        "json": {"k": "v"},
        "app": app.name,
        "g": "yes",
        "isinstance": True,
        "has_request": True,
    }
    assert seen["thread"] != loop_thread
    assert seen["async_thread"] == loop_thread


def test_sync_view_reads_form_and_data() -> None:
    app = MicroFlask(__name__)

    @app.route("/form", methods=["POST"])
    def form() -> Any:
        return {"form": dict(request.form), "values": request.values.get("q")}

    @app.route("/data", methods=["POST"])
    def data() -> Any:
        return {"data": request.get_data(as_text=True), "raw": request.data.decode()}

    with app.test_client() as client:
        assert client.post("/form?q=1", data={"name": "ann"}).json == {"form": {"name": "ann"}, "values": "1"}
        r = client.post("/data", content=b"hello", headers={"Content-Type": "text/plain"})
        assert r.json == {"data": "hello", "raw": "hello"}


@pytest.mark.anyio
async def test_sync_hooks_view_and_teardown_share_one_thread() -> None:
    app = MicroFlask(__name__)
    loop_thread = threading.get_ident()
    threads: dict[str, dict[str, int]] = {}

    def record(step: str) -> None:
        threads.setdefault(request.args["n"], {})[step] = threading.get_ident()

    @app.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, Any] | None) -> None:
        record("url_value_preprocessor")

    @app.before_request
    def before() -> None:
        record("before_request")

    @app.after_request
    def after(response: Any) -> Any:
        record("after_request")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        record("teardown_request")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        if has_request_context():
            record("teardown_appcontext")

    @app.route("/")
    def view() -> str:
        record("view")

        @microflask.after_this_request
        def atr(response: Any) -> Any:
            record("after_this_request")
            return response

        return "ok"

    async with app.async_test_client() as client, anyio.create_task_group() as tg:
        for n in range(5):
            tg.start_soon(client.get, f"/?n={n}")

    assert len(threads) == 5
    steps = {
        "url_value_preprocessor",
        "before_request",
        "view",
        "after_this_request",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
    }
    for per_request in threads.values():
        assert set(per_request) == steps
        assert len(set(per_request.values())) == 1, per_request
        assert per_request["view"] != loop_thread


def test_sync_hooks_and_view_share_one_thread_sync_client() -> None:
    app = MicroFlask(__name__)
    threads: dict[str, int] = {}

    @app.before_request
    def before() -> None:
        threads["before"] = threading.get_ident()
        g.local = threading.local()
        g.local.value = "set in before_request"

    @app.route("/")
    def view() -> str:
        threads["view"] = threading.get_ident()
        # a thread-local made in the hook is visible: same thread
        return g.local.value

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        threads["teardown"] = threading.get_ident()

    with app.test_client() as client:
        assert client.get("/").text == "set in before_request"
    assert threads["before"] == threads["view"] == threads["teardown"]
