"""The test client and test response with Flask's API: open(), EnvironBuilder, environ_base,
base URLs from the config, redirects' history, Werkzeug's header names, session_transaction."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from microflask import MicroFlask, Response, g, redirect, request, session
from microflask.datastructures import HeaderSet, MultiDict, UserAgent
from microflask.testing import EnvironBuilder, FlaskClient, FlaskCliRunner, TestResponse, default_user_agent


def echo_app(**config: Any) -> MicroFlask:
    app = MicroFlask("flask_testing")
    app.config.update(TESTING=True, SECRET_KEY="k", **config)

    @app.route("/", methods=["GET", "POST", "PUT"])
    @app.route("/<path:rest>", methods=["GET", "POST", "PUT"])
    def echo(rest: str = "") -> dict[str, Any]:
        return {
            "method": request.method,
            "url": str(request.url),
            "path": request.path,
            "root_path": request.root_path,
            "host": request.host,
            "scheme": request.scheme,
            "remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string,
            "args": request.args.to_dict(flat=False),
            "content_type": request.content_type,
            "body": request.get_data(as_text=True),
            "errors": type(request.scope.get("wsgi.errors")).__name__,
        }

    return app


# -- open() and the verbs -----------------------------------------------------------------


def test_open_takes_the_method_and_the_verbs_default_to_the_root() -> None:
    client = echo_app().test_client()
    assert client.open("/x", method="PUT").json["method"] == "PUT"
    assert client.open().json["path"] == "/"
    assert client.get().json["path"] == "/"
    assert client.post(data={"a": "1"}).json["body"] == "a=1"
    assert client.open("/x", method="propfind").status_code == 405


def test_second_positional_argument_is_the_base_url() -> None:
    client = echo_app().test_client()
    data = client.get("/a", "https://example.com:8443/mount").json
    assert data["url"] == "https://example.com:8443/mount/a"
    assert (data["host"], data["scheme"], data["root_path"], data["path"]) == (
        "example.com:8443",
        "https",
        "/mount",
        "/a",
    )
    assert client.get(base_url="http://other.test").json["host"] == "other.test"


def test_default_base_url_comes_from_the_config() -> None:
    app = echo_app(SERVER_NAME="example.com:1234", APPLICATION_ROOT="/foo", PREFERRED_URL_SCHEME="https")
    assert app.test_client().get("/").json["url"] == "https://example.com:1234/foo/"
    with app.test_request_context() as ctx:
        assert str(ctx.request.url) == "https://example.com:1234/foo/"
    assert app.test_client().get("/", subdomain="api", url_scheme="http").json["url"] == (
        "http://api.example.com:1234/foo/"
    )
    with app.test_request_context("/x", subdomain="api") as ctx:
        assert ctx.request.host == "api.example.com:1234"


def test_full_url_as_path_and_the_query() -> None:
    client = echo_app().test_client()
    data = client.post("http://domain.test/act?vodka=42", data={"gin": "43"}).json
    assert (data["host"], data["args"], data["body"]) == ("domain.test", {"vodka": ["42"]}, "gin=43")
    assert client.get("/q", query_string={"a": ["1", "2"]}).json["args"] == {"a": ["1", "2"]}
    multi = MultiDict([("a", "1"), ("a", "2")])
    assert client.post("/q", data=multi).json["body"] == "a=1&a=2"
    assert client.get("/q?x=1", params={"y": "2"}).json["args"] == {"x": ["1"], "y": ["2"]}


def test_a_constructor_base_url_is_the_default_for_relative_paths() -> None:
    client = echo_app().test_client(base_url="https://secure.test")
    assert client.get("/a").json["url"] == "https://secure.test/a"
    assert client.get("/a", url_scheme="http").json["url"] == "http://localhost/a"


def test_json_bodies_use_the_apps_json_provider() -> None:
    app = echo_app()
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    data = app.test_client().post("/", json={"at": when}).json
    assert data["content_type"] == "application/json"
    assert data["body"] == app.json.dumps({"at": when})


# -- environ_base and the environ --------------------------------------------------------


def test_environ_base_defaults_and_changes() -> None:
    client = echo_app().test_client()
    data = client.get("/").json
    assert data["remote_addr"] == "127.0.0.1"
    assert data["user_agent"] == default_user_agent()
    client.environ_base["REMOTE_ADDR"] = "192.168.0.22"
    client.environ_base["HTTP_USER_AGENT"] = "Foo"
    data = client.get("/").json
    assert (data["remote_addr"], data["user_agent"]) == ("192.168.0.22", "Foo")
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).json["remote_addr"] == "10.0.0.1"
    assert client.get("/", headers={"User-Agent": "Bar"}).json["user_agent"] == "Bar"
    assert client.get("/", environ_overrides={"REMOTE_ADDR": "10.0.0.2"}).json["remote_addr"] == "10.0.0.2"


def test_default_user_agent_is_flasks() -> None:
    assert default_user_agent().split("/")[0] in ("Werkzeug", "microflask")


def test_open_takes_a_builder_or_an_environ() -> None:
    app = echo_app()
    client = app.test_client()
    builder = EnvironBuilder(app, path="/b", method="POST", data=b"raw", content_type="text/plain")
    data = client.open(builder).json
    assert (data["method"], data["path"], data["body"], data["remote_addr"]) == ("POST", "/b", "raw", "127.0.0.1")
    environ = builder.get_environ()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    data = client.open(environ).json
    assert (data["body"], data["remote_addr"]) == ("raw", "127.0.0.2")


def test_environ_builder() -> None:
    app = echo_app()
    builder = EnvironBuilder(app, "https://example.com/a%20b?x=1")
    assert (builder.url_scheme, builder.host, builder.script_root, builder.path) == (
        "https",
        "example.com",
        "",
        "/a%20b",
    )
    assert builder.args.getlist("x") == ["1"]
    environ = builder.get_environ()
    assert environ["PATH_INFO"] == "/a b"
    assert environ["QUERY_STRING"] == "x=1"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"], environ["wsgi.url_scheme"]) == (
        "example.com",
        "443",
        "https",
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    builder = EnvironBuilder(app, json="\u20ac")
    assert builder.input_stream is not None
    assert builder.input_stream.read().decode() == '"\u20ac"'
    assert builder.get_environ()["CONTENT_TYPE"] == "application/json"
    with pytest.raises(ValueError):
        EnvironBuilder(app, base_url="http://x.test", subdomain="a")


def test_environ_builder_forms_and_uploads() -> None:
    app = MicroFlask("uploads")

    @app.post("/")
    def upload() -> dict[str, Any]:
        files = request.files
        return {"name": request.form["name"], "file": files["doc"].filename, "size": len(files["doc"].read())}

    rv = app.test_client().post(data={"name": "a", "doc": (io.BytesIO(b"12345"), "doc.txt")})
    assert rv.json == {"name": "a", "file": "doc.txt", "size": 5}


def test_errors_stream_reaches_the_scope() -> None:
    client = echo_app().test_client()
    assert client.get("/", errors_stream=io.StringIO()).json["errors"] == "StringIO"


# -- responses ----------------------------------------------------------------------------


def test_follow_redirects_history_and_request() -> None:
    app = MicroFlask("redirects")
    app.config["SECRET_KEY"] = "k"

    @app.route("/start")
    def start() -> Any:
        session["started"] = True
        return redirect("/middle?x=1")

    @app.route("/middle")
    def middle() -> Any:
        return redirect("/end")

    @app.route("/end")
    def end() -> str:
        return "started" if session.get("started") else "no session"

    client = app.test_client()
    rv = client.get("/start", follow_redirects=True)
    assert rv.data == b"started"
    assert [r.status_code for r in rv.history] == [302, 302]
    assert all(isinstance(r, TestResponse) for r in rv.history)
    assert rv.history[1].request.path == "/middle"
    assert rv.history[1].request.args["x"] == "1"
    assert rv.request.path == "/end"
    assert client.get("/start").status_code == 302


def test_response_headers_allow_vary_and_context_manager() -> None:
    app = MicroFlask("headers")

    @app.route("/", methods=["GET", "POST"])
    def index() -> Response:
        response = Response("x", headers=[("X-Foo", "1"), ("X-Foo", "2")])
        response.vary.add("Accept-Encoding")
        response.vary.add("accept-encoding")
        response.vary.update(["Cookie"])
        return response

    client = app.test_client()
    with client.get() as rv:
        assert rv.headers.getlist("X-Foo") == ["1", "2"]
        assert rv.headers.getlist("X-Foo", type=int) == [1, 2]
        assert rv.headers.get_all("x-foo") == ["1", "2"]
        assert rv.headers["Vary"] == "Accept-Encoding, Cookie"
        assert "cookie" in rv.vary and "accept" not in rv.vary
    rv = client.open("/", method="OPTIONS")
    assert sorted(rv.allow) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert rv.allow == {"GET", "HEAD", "OPTIONS", "POST"}
    assert rv.status == "200 OK"
    assert rv.get_json(silent=True) is None


def test_header_set() -> None:
    values = HeaderSet("gzip, Br,  ")
    changes: list[str] = []
    values.on_update = lambda s: changes.append(s.to_header())
    assert list(values) == ["gzip", "Br"] and "br" in values and len(values) == 2
    values.add("GZIP")
    assert changes == []
    values.add("deflate")
    values.discard("br")
    assert changes == ["gzip, Br, deflate", "gzip, deflate"]
    assert str(values) == "gzip, deflate"
    response = Response("x")
    response.vary = ["Cookie", "cookie"]
    assert response.headers["vary"] == "Cookie"
    response.vary.discard("Cookie")
    assert "vary" not in response.headers
    assert UserAgent("Foo/1").string == "Foo/1"


# -- cookies, sessions, contexts ---------------------------------------------------------


def test_session_transaction_opens_and_saves_in_its_own_context() -> None:
    app = echo_app()

    @app.get("/session")
    def read() -> str:
        return str(session.get("foo"))

    client = app.test_client()
    with app.test_request_context("/outer"):
        outer = request._get_current_object()  # type: ignore[attr-defined]
        with client.session_transaction() as sess:
            assert request._get_current_object() is outer  # type: ignore[attr-defined]
            sess["foo"] = [42]
    assert client.get("/session").data == b"[42]"
    with client.session_transaction() as sess:
        assert sess["foo"] == [42]


def test_session_transaction_needs_a_session_and_cookies() -> None:
    with pytest.raises(RuntimeError, match="Session backend did not open a session"):
        with MicroFlask("nokey").test_client().session_transaction():
            pass
    client = echo_app().test_client(use_cookies=False)
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with client.session_transaction():
            pass
    with pytest.raises(TypeError, match="Cookies are disabled"):
        client.get_cookie("x")


def test_use_cookies_false_keeps_no_cookies() -> None:
    app = MicroFlask("cookies")

    @app.route("/set")
    def set_cookie() -> Response:
        response = Response("set")
        response.set_cookie("a", "1")
        return response

    @app.route("/read")
    def read() -> str:
        return request.cookies.get("a", "none")

    with_cookies, without = app.test_client(), app.test_client(use_cookies=False)
    for client in (with_cookies, without):
        client.get("/set")
    assert with_cookies.get("/read").data == b"1"
    assert without.get("/read").data == b"none"


def test_with_client_keeps_the_last_context_and_errors_propagate() -> None:
    app = echo_app()

    @app.route("/boom")
    def boom() -> str:
        g.value = 1
        raise ZeroDivisionError

    client = app.test_client()
    with client:
        client.get("/", query_string="a=1")
        assert request.args["a"] == "1"
        with pytest.raises(ZeroDivisionError):
            client.get("/boom")


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_reach_the_test(error: type[BaseException]) -> None:
    app = MicroFlask("interrupted")

    @app.route("/sync")
    def sync_view() -> str:
        raise error()

    @app.route("/async")
    async def async_view() -> str:
        raise error()

    client = app.test_client()
    for path in ("/sync", "/async"):
        with pytest.raises(error):
            client.get(path)
    assert client.get("/nowhere").status_code == 404  # the client still works

    async def main() -> None:
        async with app.async_test_client() as async_client:
            with pytest.raises(error):
                await async_client.get("/async")

    anyio.run(main)


def test_client_and_runner_classes_on_the_app() -> None:
    app = MicroFlask("classes")

    class Client(FlaskClient):
        def __init__(self, *args: Any, token: str = "", **kwargs: Any) -> None:
            self.token = token
            super().__init__(*args, **kwargs)

    class Runner(FlaskCliRunner):
        pass

    assert isinstance(app.test_client(), FlaskClient)
    app.test_client_class = Client
    app.test_cli_runner_class = Runner
    client = app.test_client(token="t")
    assert isinstance(client, Client) and client.token == "t" and client.application is app
    assert isinstance(app.test_cli_runner(), Runner)


# -- the async client ---------------------------------------------------------------------


def test_async_client_speaks_the_same_api() -> None:
    app = echo_app(SERVER_NAME="example.com", APPLICATION_ROOT="/root")

    async def main() -> None:
        async with app.async_test_client() as client:
            client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
            data = (await client.get()).json
            assert (data["url"], data["remote_addr"], data["root_path"]) == (
                "http://example.com/root/",
                "10.1.1.1",
                "/root",
            )
            data = (await client.open(EnvironBuilder(app, "/b", method="PUT", json=[1]))).json
            assert (data["method"], data["body"]) == ("PUT", "[1]")

            async def chunks() -> Any:
                yield b"ab"
                yield b"cd"

            assert (await client.post("/s", content=chunks())).json["body"] == "abcd"

    anyio.run(main)
