"""Request hooks, teardown, after_this_request, URL value hooks, lifespan hooks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from microflask import (
    MicroFlask,
    Response,
    abort,
    after_this_request,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    url_for,
)

SYNC_ASYNC = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])


def hook(use_async: bool, func: Any) -> Any:
    """``func`` itself (sync) or an ``async def`` wrapper around it, keeping its name."""
    if not use_async:
        return func

    async def wrapper(*args: Any) -> Any:
        return func(*args)

    wrapper.__name__ = wrapper.__qualname__ = f"async_{func.__name__}"
    return wrapper


# -- before_request ------------------------------------------------------------------------------


@SYNC_ASYNC
def test_before_request_runs_before_view_and_sets_g(use_async: bool) -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    def load_user() -> None:
        events.append("before")
        g.user = request.args.get("user", "anonymous")

    app.before_request(hook(use_async, load_user))

    @app.route("/")
    async def index() -> str:
        events.append("view")
        return f"hello {g.user}"

    with app.test_client() as client:
        assert client.get("/?user=ann").text == "hello ann"
        assert client.get("/").text == "hello anonymous"
    assert events == ["before", "view", "before", "view"]


@SYNC_ASYNC
def test_before_request_return_value_short_circuits(use_async: bool) -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    def first() -> Any:
        events.append("first")
        if request.args.get("block"):
            return "blocked", 403
        return None

    def second() -> None:
        events.append("second")

    def after(response: Response) -> Response:
        events.append("after")
        response.headers["X-After"] = "yes"
        return response

    app.before_request(hook(use_async, first))
    app.before_request(hook(use_async, second))
    app.after_request(hook(use_async, after))

    @app.route("/")
    async def index() -> str:
        events.append("view")
        return "view"

    with app.test_client() as client:
        r = client.get("/?block=1")
        assert (r.status_code, r.text) == (403, "blocked")
        assert r.headers["x-after"] == "yes"
        assert events == ["first", "after"]
        events.clear()
        r = client.get("/")
        assert (r.status_code, r.text) == (200, "view")
        assert events == ["first", "second", "view", "after"]


def test_before_request_short_circuits_sync_view() -> None:
    app = MicroFlask(__name__)
    called: list[str] = []

    @app.before_request
    def deny() -> Any:
        return {"error": "denied"}, 401

    @app.route("/")
    def index() -> str:
        called.append("view")
        return "view"

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.json) == (401, {"error": "denied"})
    assert called == []


def test_before_request_runs_for_unrouted_requests() -> None:
    app = MicroFlask(__name__)
    seen: list[str] = []

    @app.before_request
    async def record() -> None:
        seen.append(request.path)

    with app.test_client() as client:
        assert client.get("/missing").status_code == 404
    assert seen == ["/missing"]


def test_before_request_abort_still_runs_after_request() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    async def guard() -> None:
        abort(403)

    @app.after_request
    async def tag(response: Response) -> Response:
        response.headers["X-Tag"] = "1"
        return response

    @app.route("/")
    async def index() -> str:
        return "never"

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 403
    assert r.headers["x-tag"] == "1"


# -- after_request -------------------------------------------------------------------------------


@SYNC_ASYNC
def test_after_request_receives_and_returns_the_response(use_async: bool) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    def add_header(response: Response) -> Response:
        seen.append((response.status_code, bytes(response.body)))
        response.headers["X-Powered-By"] = "microflask"
        return response

    app.after_request(hook(use_async, add_header))

    @app.route("/")
    async def index() -> Any:
        return "created", 201

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (201, "created")
    assert r.headers["x-powered-by"] == "microflask"
    assert seen == [(201, b"created")]


@SYNC_ASYNC
def test_after_request_can_replace_the_response(use_async: bool) -> None:
    app = MicroFlask(__name__)

    def replace(response: Response) -> Response:
        return Response("replaced", 202)

    app.after_request(hook(use_async, replace))

    @app.route("/")
    async def index() -> str:
        return "original"

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (202, "replaced")


@SYNC_ASYNC
def test_after_request_runs_in_reverse_registration_order(use_async: bool) -> None:
    app = MicroFlask(__name__)
    order: list[str] = []

    def make(name: str) -> Any:
        def after(response: Response) -> Response:
            order.append(name)
            response.headers.append("X-Order", name)
            return response

        after.__name__ = f"after_{name}"
        return hook(use_async, after)

    for name in ("a", "b", "c"):
        app.after_request(make(name))

    @app.route("/")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        r = client.get("/")
    assert order == ["c", "b", "a"]
    assert r.headers.get_list("x-order") == ["c", "b", "a"]


def test_after_request_runs_for_error_pages_and_handled_errors() -> None:
    app = MicroFlask(__name__)

    @app.after_request
    async def tag(response: Response) -> Response:
        response.headers["X-Tag"] = str(response.status_code)
        return response

    @app.errorhandler(ValueError)
    async def handled(e: ValueError) -> Any:
        return "handled", 400

    @app.route("/value")
    async def value() -> str:
        raise ValueError()

    with app.test_client() as client:
        assert client.get("/missing").headers["x-tag"] == "404"
        assert client.get("/value").headers["x-tag"] == "400"


def test_after_request_runs_for_default_500_page(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.after_request
    async def tag(response: Response) -> Response:
        response.headers["X-Tag"] = str(response.status_code)
        return response

    @app.route("/")
    async def index() -> str:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 500
    assert r.headers.get("x-tag") == "500"


def test_after_request_runs_for_500_handler_response(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.after_request
    async def tag(response: Response) -> Response:
        response.headers["X-Tag"] = str(response.status_code)
        return response

    @app.errorhandler(500)
    async def server_error(e: Any) -> Any:
        return "sorry", 500

    @app.route("/")
    async def index() -> str:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (500, "sorry")
    assert r.headers["x-tag"] == "500"


# -- teardown_request -------------------------------------------------------------------------


@SYNC_ASYNC
def test_teardown_request_gets_none_on_success(use_async: bool) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", exc, request.path))

    app.teardown_request(hook(use_async, teardown))

    @app.route("/")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        assert client.get("/").text == "ok"
    assert seen == [("teardown", None, "/")]


@SYNC_ASYNC
def test_teardown_request_gets_unhandled_exception(use_async: bool, caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    app.teardown_request(hook(use_async, teardown))

    @app.route("/boom")
    async def boom() -> str:
        raise ZeroDivisionError("boom")

    @app.route("/sync-boom")
    def sync_boom() -> str:
        raise KeyError("sync boom")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/boom").status_code == 500
        assert client.get("/sync-boom").status_code == 500
    assert len(seen) == 2
    assert isinstance(seen[0], ZeroDivisionError)
    assert isinstance(seen[1], KeyError)


def test_teardown_request_gets_none_for_handled_and_http_errors() -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.errorhandler(ValueError)
    async def handled(e: ValueError) -> Any:
        return "handled", 400

    @app.route("/value")
    async def value() -> str:
        raise ValueError()

    @app.route("/abort")
    async def aborted() -> str:
        abort(403)

    with app.test_client() as client:
        assert client.get("/value").status_code == 400
        assert client.get("/abort").status_code == 403
        assert client.get("/missing").status_code == 404
    assert seen == [None, None, None]


def test_teardown_request_runs_after_response_is_produced() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    @app.after_request
    def after(response: Response) -> Response:
        events.append("after_request")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/")
    async def index() -> Any:
        events.append("view")

        async def body() -> AsyncIterator[str]:
            events.append("body start")
            yield "a"
            yield "b"
            events.append("body end")

        return body()

    with app.test_client() as client:
        assert client.get("/").text == "ab"
    assert events == ["view", "after_request", "body start", "body end", "teardown"]


def test_teardown_request_runs_in_reverse_registration_order() -> None:
    app = MicroFlask(__name__)
    order: list[str] = []

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        order.append("first")

    @app.teardown_request
    async def second(exc: BaseException | None) -> None:
        order.append("second")

    @app.route("/")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        client.get("/")
    assert order == ["second", "first"]


@SYNC_ASYNC
def test_exception_in_teardown_is_logged_and_response_still_sent(
    use_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = MicroFlask(__name__)
    later: list[Any] = []

    def broken(exc: BaseException | None) -> None:
        raise RuntimeError("teardown failed")

    app.teardown_request(hook(use_async, broken))

    @app.teardown_appcontext
    def other(exc: BaseException | None) -> None:
        later.append(exc)

    @app.route("/")
    async def index() -> str:
        return "still here"

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text) == (200, "still here")
        # the app keeps working
        assert client.get("/").text == "still here"
        # the other teardown functions still ran
        assert later == [None, None]
    records = [rec for rec in caplog.records if rec.name == app.logger.name and rec.levelno >= logging.ERROR]
    assert len(records) == 2
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is RuntimeError
    assert "teardown failed" in caplog.text


def test_teardown_request_runs_when_exception_propagates() -> None:
    app = MicroFlask(__name__)
    app.config["TESTING"] = True
    seen: list[Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    async def index() -> str:
        raise ZeroDivisionError("boom")

    with app.test_client() as client, pytest.raises(ZeroDivisionError):
        client.get("/")
    assert len(seen) == 1
    assert isinstance(seen[0], ZeroDivisionError)


# -- teardown_appcontext ----------------------------------------------------------------------


@SYNC_ASYNC
def test_teardown_appcontext_runs_after_each_request(use_async: bool, caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    events: list[Any] = []

    def close_db(exc: BaseException | None) -> None:
        events.append(("appcontext", g.get("db"), type(exc).__name__ if exc else None))

    app.teardown_appcontext(hook(use_async, close_db))

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        events.append(("request", g.get("db"), type(exc).__name__ if exc else None))

    @app.route("/")
    async def index() -> str:
        g.db = "connection"
        return "ok"

    @app.route("/boom")
    async def boom() -> str:
        g.db = "connection"
        raise ValueError()

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        client.get("/")
        client.get("/boom")
        assert events == [
            ("request", "connection", None),
            ("appcontext", "connection", None),
            ("request", "connection", "ValueError"),
            ("appcontext", "connection", "ValueError"),
        ]


# -- after_this_request ------------------------------------------------------------------------


@SYNC_ASYNC
def test_after_this_request(use_async: bool) -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    @app.after_request
    def app_after(response: Response) -> Response:
        events.append("after_request")
        return response

    @app.route("/with")
    async def with_hook() -> str:
        def set_cookie(response: Response) -> Response:
            events.append("after_this_request")
            response.set_cookie("flavour", "chocolate")
            return response

        after_this_request(hook(use_async, set_cookie))
        return "with"

    @app.route("/without")
    async def without_hook() -> str:
        return "without"

    with app.test_client() as client:
        r = client.get("/with")
        assert "flavour=chocolate" in r.headers["set-cookie"]
        assert events == ["after_this_request", "after_request"]
        events.clear()
        r = client.get("/without")
        assert "set-cookie" not in r.headers
        assert events == ["after_request"]


def test_after_this_request_in_sync_view_and_before_request() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    def before() -> None:
        @after_this_request
        def from_before(response: Response) -> Response:
            response.headers["X-From-Before"] = "1"
            return response

    @app.route("/")
    def index() -> str:
        @after_this_request
        async def from_view(response: Response) -> Response:
            response.headers["X-From-View"] = "1"
            return response

        return "ok"

    with app.test_client() as client:
        r = client.get("/")
    assert r.headers["x-from-before"] == "1"
    assert r.headers["x-from-view"] == "1"


def test_after_this_request_outside_request_raises() -> None:
    with pytest.raises(RuntimeError):

        @after_this_request
        def nope(response: Response) -> Response:
            return response


# -- url_value_preprocessor / url_defaults ---------------------------------------------------------


@SYNC_ASYNC
def test_url_value_preprocessor(use_async: bool) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append((endpoint, dict(values or {})))
        if values is not None:
            g.lang = values.pop("lang", "en")

    app.url_value_preprocessor(hook(use_async, pull_lang))

    @app.before_request
    async def before() -> None:
        seen.append(("before", g.lang))

    @app.route("/<lang>/page/<int:n>")
    async def page(n: int) -> str:
        return f"{g.lang}:{n}"

    @app.route("/<lang>/sync")
    def sync_page() -> str:
        return f"sync {g.lang}"

    with app.test_client() as client:
        assert client.get("/fr/page/3").text == "fr:3"
        assert client.get("/de/sync").text == "sync de"
    assert seen == [
        ("page", {"lang": "fr", "n": 3}),
        ("before", "fr"),
        ("sync_page", {"lang": "de"}),
        ("before", "de"),
    ]


def test_url_defaults_fill_values_for_url_for() -> None:
    app = MicroFlask(__name__)

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang", None)

    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint in ("page", "about") and "lang" not in values:
            values["lang"] = g.lang

    @app.route("/<lang>/page/<int:n>")
    async def page(n: int) -> Any:
        return {"next": url_for("page", n=n + 1), "about": url_for("about"), "other": url_for("page", lang="it", n=1)}

    @app.route("/<lang>/about")
    async def about() -> str:
        return "about"

    with app.test_client() as client:
        r = client.get("/fr/page/1")
    assert r.json == {"next": "/fr/page/2", "about": "/fr/about", "other": "/it/page/1"}


def test_url_defaults_see_endpoint_and_can_add_query_values() -> None:
    app = MicroFlask(__name__)
    calls: list[Any] = []

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        calls.append((endpoint, dict(values)))
        values.setdefault("v", "2")

    @app.route("/item/<int:id>")
    async def item(id: int) -> str:
        return url_for("item", id=id)

    with app.test_client() as client:
        assert client.get("/item/5").text == "/item/5?v=2"
    assert calls == [("item", {"id": 5})]


# -- before_serving / after_serving --------------------------------------------------------------


def _serving_app(use_async: bool, events: list[Any]) -> MicroFlask:
    app = MicroFlask(__name__)

    def startup() -> None:
        events.append(("before_serving", current_app.name, has_app_context(), has_request_context()))
        g.started = True

    def shutdown() -> None:
        events.append(("after_serving", current_app.name, has_app_context(), g.get("started")))

    app.before_serving(hook(use_async, startup))
    app.after_serving(hook(use_async, shutdown))

    @app.route("/")
    async def index() -> str:
        events.append("request")
        return "ok"

    return app


@SYNC_ASYNC
def test_before_and_after_serving_sync_client(use_async: bool) -> None:
    events: list[Any] = []
    app = _serving_app(use_async, events)
    with app.test_client() as client:
        assert events == [("before_serving", app.name, True, False)]
        client.get("/")
        client.get("/")
        assert len(events) == 3
    assert events == [
        ("before_serving", app.name, True, False),
        "request",
        "request",
        ("after_serving", app.name, True, True),
    ]


@pytest.mark.anyio
@SYNC_ASYNC
async def test_before_and_after_serving_async_client(use_async: bool) -> None:
    events: list[Any] = []
    app = _serving_app(use_async, events)
    async with app.async_test_client() as client:
        assert events == [("before_serving", app.name, True, False)]
        await client.get("/")
        assert len(events) == 2
    assert events == [("before_serving", app.name, True, False), "request", ("after_serving", app.name, True, True)]


def test_before_serving_runs_in_registration_order() -> None:
    app = MicroFlask(__name__)
    order: list[str] = []

    @app.before_serving
    async def one() -> None:
        order.append("one")

    @app.before_serving
    def two() -> None:
        order.append("two")

    with app.test_client():
        pass
    assert order == ["one", "two"]


def test_failing_before_serving_makes_sync_client_enter_raise(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    reached: list[str] = []

    @app.before_serving
    async def broken() -> None:
        raise ValueError("cannot connect to the database")

    with caplog.at_level(logging.ERROR), pytest.raises(Exception, match="cannot connect to the database"):
        with app.test_client():
            reached.append("inside")
    assert reached == []
    assert "cannot connect to the database" in caplog.text


@pytest.mark.anyio
async def test_failing_before_serving_makes_async_client_enter_raise(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    reached: list[str] = []

    @app.before_serving
    def broken() -> None:
        raise ValueError("cannot connect to the database")

    with caplog.at_level(logging.ERROR), pytest.raises(Exception, match="cannot connect to the database"):
        async with app.async_test_client():
            reached.append("inside")
    assert reached == []


# -- lifespan ---------------------------------------------------------------------------------


def _lifespan_app(kind: str, events: list[str]) -> MicroFlask:
    app = MicroFlask(__name__)

    if kind == "contextmanager":

        @app.lifespan
        @asynccontextmanager
        async def lifespan(the_app: MicroFlask) -> AsyncIterator[dict[str, Any]]:
            assert the_app is app
            events.append("startup")
            yield {"db": f"db-of-{the_app.name}", "counter": [0]}
            events.append("shutdown")

    else:

        @app.lifespan
        async def lifespan(the_app: MicroFlask) -> AsyncIterator[dict[str, Any]]:
            assert the_app is app
            events.append("startup")
            yield {"db": f"db-of-{the_app.name}", "counter": [0]}
            events.append("shutdown")

    @app.route("/")
    async def index() -> Any:
        request.state.counter[0] += 1
        return {"db": request.state.db, "count": request.state.counter[0]}

    @app.route("/sync")
    def sync_index() -> Any:
        return {"db": request.state.db}

    return app


LIFESPAN_KINDS = pytest.mark.parametrize("kind", ["contextmanager", "asyncgen"])


@LIFESPAN_KINDS
def test_lifespan_state_sync_client(kind: str) -> None:
    events: list[str] = []
    app = _lifespan_app(kind, events)
    with app.test_client() as client:
        assert events == ["startup"]
        assert client.get("/").json == {"db": f"db-of-{app.name}", "count": 1}
        assert client.get("/").json == {"db": f"db-of-{app.name}", "count": 2}
        assert client.get("/sync").json == {"db": f"db-of-{app.name}"}
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


@pytest.mark.anyio
@LIFESPAN_KINDS
async def test_lifespan_state_async_client(kind: str) -> None:
    events: list[str] = []
    app = _lifespan_app(kind, events)
    async with app.async_test_client() as client:
        assert events == ["startup"]
        assert (await client.get("/")).json == {"db": f"db-of-{app.name}", "count": 1}
        assert (await client.get("/")).json == {"db": f"db-of-{app.name}", "count": 2}
        assert (await client.get("/sync")).json == {"db": f"db-of-{app.name}"}
    assert events == ["startup", "shutdown"]


def test_lifespan_and_serving_hooks_together() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    @app.lifespan
    async def lifespan(the_app: MicroFlask) -> AsyncIterator[None]:
        events.append("lifespan start")
        yield
        events.append("lifespan end")

    @app.before_serving
    async def before() -> None:
        events.append("before_serving")

    @app.after_serving
    async def after() -> None:
        events.append("after_serving")

    with app.test_client():
        assert set(events) == {"lifespan start", "before_serving"}
    assert set(events) == {"lifespan start", "before_serving", "after_serving", "lifespan end"}
    assert events.index("after_serving") > events.index("before_serving")
    assert events.index("lifespan end") > events.index("lifespan start")


def test_failing_lifespan_makes_client_enter_raise(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.lifespan
    @asynccontextmanager
    async def lifespan(the_app: MicroFlask) -> AsyncIterator[None]:
        raise ConnectionError("redis is down")
        yield

    with caplog.at_level(logging.ERROR), pytest.raises(Exception, match="redis is down"), app.test_client():
        pass


# -- frozen after serving --------------------------------------------------------------------------


def test_registering_hooks_after_serving_raises() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        client.get("/")

    def late(*args: Any) -> None:
        return None

    for register in (app.before_request, app.after_request, app.teardown_request, app.teardown_appcontext):
        with pytest.raises(RuntimeError, match="already started serving"):
            register(late)
