"""More of Flask's and Werkzeug's surface that extensions use: a context variable set by a hook
stays set for the view and the later hooks (one thread per request in Flask), ``request.environ``,
settable request attributes that Starlette also names, a status set as a string, Werkzeug's body
attributes on responses, ``flask.views.http_method_funcs``."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest

from microflask import MicroFlask, Response, request
from microflask.views import http_method_funcs

CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("current")


@pytest.mark.parametrize("kind", ["def", "async"])
def test_a_context_variable_set_by_a_hook_stays_set_for_the_request(kind: str) -> None:
    app = MicroFlask(__name__)
    seen: list[str] = []

    @app.before_request
    def start() -> None:
        CURRENT.set(f"set for {request.path}")

    @app.after_request
    def finish(response: Response) -> Response:
        seen.append(CURRENT.get("lost"))
        return response

    if kind == "def":

        @app.get("/page")
        def page() -> str:
            return CURRENT.get("lost")

    else:

        @app.get("/page")
        async def page() -> str:
            return CURRENT.get("lost")

    assert app.test_client().get("/page").text == "set for /page"
    assert seen == ["set for /page"]


def test_request_environ_describes_the_request_as_wsgi_would() -> None:
    app = MicroFlask(__name__)

    @app.get("/items/<int:n>")
    def item(n: int) -> dict[str, Any]:
        environ = request.environ
        keys = ["REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "HTTP_X_TOKEN", "HTTP_X_MULTI", "wsgi.url_scheme"]
        return {key: environ.get(key) for key in keys} | {"scope": environ["asgi.scope"] is request.scope}

    answer = app.test_client().get("/items/3?a=1&b=2", headers={"X-Token": "t", "X-Multi": "1"})
    assert answer.json == {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/items/3",
        "QUERY_STRING": "a=1&b=2",
        "HTTP_X_TOKEN": "t",
        "HTTP_X_MULTI": "1",
        "wsgi.url_scheme": "http",
        "scope": True,
    }


def test_repeated_header_lines_are_joined_in_the_environ() -> None:
    from microflask.httputil import wsgi_environ

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x",
        "headers": [
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"3"),
        ],
        "client": ("10.0.0.1", 5000),
        "server": ("example.test", 8000),
    }
    environ = wsgi_environ(scope)
    assert (environ["HTTP_X_MULTI"], environ["HTTP_COOKIE"]) == ("1, 2", "a=1; b=2")
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("text/plain", "3")
    assert (environ["REMOTE_ADDR"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "10.0.0.1",
        "example.test",
        "8000",
    )


def test_request_attributes_that_starlette_names_can_be_set() -> None:
    app = MicroFlask(__name__)

    @app.get("/")
    def index() -> str:
        assert request.query_params["q"] == "x"  # Starlette's parsed query until set
        request.query_params = {"validated": True}  # what Flask-Pydantic does
        return str(request.query_params)

    assert app.test_client().get("/?q=x").text == "{'validated': True}"


def test_a_status_set_as_a_string_is_sent_as_its_number() -> None:
    app = MicroFlask(__name__)

    @app.get("/")
    def index() -> Response:
        response = Response("invalid")
        response.status_code = "422"  # type: ignore[assignment]  # Werkzeug takes it; extensions do it
        return response

    assert app.test_client().get("/").status_code == 422


def test_werkzeugs_body_attributes_on_responses() -> None:
    response = Response("<p>hi</p>", headers={"Location": "/next"})
    assert response.is_sequence and response.response == [b"<p>hi</p>"]
    response.response = ["<p>", "changed</p>"]
    assert (response.get_data(), response.content_length) == (b"<p>changed</p>", 14)
    del response.location
    assert response.location is None and "location" not in response.headers
    response.location = "/elsewhere"
    assert response.headers["location"] == "/elsewhere"
    response.content_length = None
    assert "content-length" not in response.headers


def test_http_method_funcs_is_flasks() -> None:
    assert {"get", "post", "put", "patch", "delete", "head", "options", "trace"} == set(http_method_funcs)


@pytest.mark.parametrize("kind", ["def", "async"])
def test_entering_the_current_context_again_tears_down_once(kind: str) -> None:
    from microflask import appcontext_pushed
    from microflask.globals import app_ctx

    app = MicroFlask(__name__)
    called: list[str] = []
    pushed: list[object] = []

    @app.teardown_request
    def teardown_request(error: BaseException | None) -> None:
        called.append("request")

    @app.teardown_appcontext
    def teardown_app(error: BaseException | None) -> None:
        called.append("app")

    if kind == "def":

        @app.get("/")
        def index() -> str:
            with app_ctx:  # the current context, entered again: its exit is not the end
                pass
            return str(request.environ["werkzeug.request"] is request._get_current_object())

    else:

        @app.get("/")
        async def index() -> str:
            async with app_ctx:
                pass
            return str(request.environ["werkzeug.request"] is request._get_current_object())

    with appcontext_pushed.connected_to(lambda sender, **kw: pushed.append(sender), app):
        assert app.test_client().get("/").text == "True"
    assert called == ["request", "app"]
    assert pushed == [app]  # by the request path; entering it again sends nothing


def test_the_contexts_session_object_tells_access_and_change() -> None:
    from microflask import session
    from microflask.globals import app_ctx

    app = MicroFlask(__name__)
    app.secret_key = "k"

    @app.post("/")
    def store() -> str:
        session["value"] = request.form["value"]
        return "stored"

    @app.get("/")
    def read() -> str:
        return session.get("value", "none")

    @app.get("/nothing")
    def nothing() -> str:
        return ""

    client = app.test_client()
    seen = []
    cases = [
        ("get", "/nothing", {}),
        ("post", "/", {"data": {"value": "42"}}),
        ("get", "/", {}),
        ("get", "/nothing", {}),
    ]
    for method, path, kwargs in cases:
        with client:
            getattr(client, method)(path, **kwargs)
            seen.append((app_ctx._session.accessed, app_ctx._session.modified))
    assert seen == [(False, False), (True, True), (True, False), (False, False)]


def gzipped_app() -> MicroFlask:
    from starlette.middleware.gzip import GZipMiddleware

    app = MicroFlask(__name__)
    app.add_middleware(GZipMiddleware, minimum_size=10)

    @app.get("/")
    async def index() -> str:
        return "compress me " * 50

    return app


def test_the_test_clients_data_is_the_body_as_sent_as_flasks() -> None:
    import gzip

    answer = gzipped_app().test_client().get("/", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(answer.data).decode() == "compress me " * 50  # as Flask's client: compressed
    assert answer.get_data() == answer.data and answer.text == "compress me " * 50  # httpx's text: decoded
    plain = gzipped_app().test_client().get("/", headers={"Accept-Encoding": "identity"})
    assert plain.data == ("compress me " * 50).encode()


@pytest.mark.anyio
async def test_the_async_test_clients_data_is_the_body_as_sent_too() -> None:
    import gzip

    async with gzipped_app().async_test_client() as client:
        answer = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(answer.data).decode() == "compress me " * 50
