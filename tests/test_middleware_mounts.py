"""ASGI middleware (Starlette's and plain ASGI classes) and mounted ASGI apps."""

from __future__ import annotations

import gzip
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketDisconnect

from microflask import MicroFlask, current_app, request, url_for, websocket
from microflask.exceptions import BuildError


class HeaderMiddleware:
    """A plain ASGI middleware: adds ``X-<name>: <name>`` and records the order it ran in."""

    def __init__(self, app: ASGIApp, name: str = "plain", log: list[str] | None = None) -> None:
        self.app = app
        self.name = name
        self.log = log if log is not None else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.log.append(f"enter {self.name}")

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((f"x-{self.name}".encode(), self.name.encode()))
                headers.append((b"x-order", self.name.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)
        self.log.append(f"exit {self.name}")


def _hello_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "hello"

    @app.route("/big")
    async def big() -> str:
        return "microflask " * 500

    return app


# -- middleware -----------------------------------------------------------------------------------


def test_plain_asgi_middleware_adds_a_header() -> None:
    app = _hello_app()
    log: list[str] = []
    app.add_middleware(HeaderMiddleware, log=log)
    with app.test_client() as client:
        r = client.get("/")
    assert (r.text, r.headers["x-plain"]) == ("hello", "plain")
    assert log == ["enter plain", "exit plain"]


@pytest.mark.anyio
async def test_plain_asgi_middleware_with_async_client() -> None:
    app = _hello_app()
    app.add_middleware(HeaderMiddleware, name="asyncmw")
    async with app.async_test_client() as client:
        r = await client.get("/")
    assert r.headers["x-asyncmw"] == "asyncmw"


@pytest.mark.parametrize("trusted_hosts", [None, ["localhost"]])
def test_middleware_is_handed_an_asgi3_coroutine_function(trusted_hosts: list[str] | None) -> None:
    """Middleware that tells ASGI 3 apps from ASGI 2 ones by looking for a coroutine function
    (Sentry's, as Uvicorn's check) must see ASGI 3 in what it wraps."""
    handed: list[bool] = []

    class Detecting:
        def __init__(self, app: ASGIApp) -> None:
            handed.append(inspect.isfunction(app) and inspect.iscoroutinefunction(app))
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    app = MicroFlask(__name__)
    app.config["TRUSTED_HOSTS"] = trusted_hosts
    app.add_middleware(Detecting)

    @app.get("/")
    async def index() -> str:
        return "through"

    assert app.test_client().get("/").text == "through"
    assert handed == [True]


def test_first_added_middleware_is_outermost() -> None:
    app = _hello_app()
    log: list[str] = []
    app.add_middleware(HeaderMiddleware, name="first", log=log)
    app.add_middleware(HeaderMiddleware, name="second", log=log)
    with app.test_client() as client:
        r = client.get("/")
    assert log == ["enter first", "enter second", "exit second", "exit first"]
    # The inner middleware sees the response start first, so its header comes first.
    assert r.headers.get_list("x-order") == ["second", "first"]


def test_middleware_also_wraps_error_responses() -> None:
    app = _hello_app()
    app.add_middleware(HeaderMiddleware)
    with app.test_client() as client:
        r = client.get("/missing")
    assert (r.status_code, r.headers["x-plain"]) == (404, "plain")


def test_cors_middleware_preflight_and_simple_request() -> None:
    app = _hello_app()

    @app.post("/api")
    async def api() -> Any:
        return {"ok": True}

    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://example.com"],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Custom"],
    )
    with app.test_client() as client:
        preflight = client.options(
            "/api",
            headers={
                "Origin": "https://example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "X-Custom",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://example.com"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "x-custom" in preflight.headers["access-control-allow-headers"].lower()

        simple = client.get("/", headers={"Origin": "https://example.com"})
        assert simple.text == "hello"
        assert simple.headers["access-control-allow-origin"] == "https://example.com"

        posted = client.post("/api", headers={"Origin": "https://example.com"})
        assert posted.json == {"ok": True}
        assert posted.headers["access-control-allow-origin"] == "https://example.com"

        denied = client.options(
            "/api", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert denied.status_code == 400
        other = client.get("/", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_gzip_middleware_compresses_large_responses() -> None:
    app = _hello_app()
    app.add_middleware(GZipMiddleware, minimum_size=500)
    expected = "microflask " * 500
    with app.test_client() as client:
        # Ask httpx not to decode, to see the bytes on the wire.
        with client.stream("GET", "/big", headers={"Accept-Encoding": "gzip"}) as r:
            raw = b"".join(r.iter_raw())
            assert r.headers["content-encoding"] == "gzip"
            assert "accept-encoding" in r.headers["vary"].lower()
        assert gzip.decompress(raw).decode() == expected
        assert len(raw) < len(expected)

        decoded = client.get("/big", headers={"Accept-Encoding": "gzip"})
        assert decoded.text == expected

        plain = client.get("/big", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.text == expected

        small = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers
        assert small.text == "hello"


def test_trusted_host_middleware() -> None:
    app = _hello_app()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"])
    with app.test_client() as client:
        bad = client.get("/", headers={"Host": "evil.test"})
        assert bad.status_code == 400
        assert client.get("/", headers={"Host": "example.com"}).text == "hello"
        assert client.get("/", headers={"Host": "api.example.com"}).text == "hello"
    with app.test_client(base_url="http://example.com") as client:
        assert client.get("/").text == "hello"


def test_add_middleware_after_serving_started_is_an_error() -> None:
    app = _hello_app()
    with app.test_client() as client:
        client.get("/")
        with pytest.raises(RuntimeError, match="add_middleware"):
            app.add_middleware(HeaderMiddleware)


# -- mounting a Starlette app ----------------------------------------------------------------------


def _starlette_app(events: list[str] | None = None) -> Starlette:
    async def hello(req: StarletteRequest) -> JSONResponse:
        return JSONResponse(
            {
                "url_path": req.url.path,
                "root_path": req.scope.get("root_path"),
                "query": req.query_params.get("q"),
            }
        )

    async def own(req: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("starlette own")

    async def ws_echo(ws: StarletteWebSocket) -> None:
        await ws.accept()
        await ws.send_text("starlette ws")
        try:
            await ws.send_text("echo " + await ws.receive_text())
        except WebSocketDisconnect:
            return
        await ws.close()

    lifespan = None
    if events is not None:

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            events.append("starlette startup")
            yield
            events.append("starlette shutdown")

    return Starlette(
        routes=[Route("/hello", hello), Route("/own", own), WebSocketRoute("/ws", ws_echo)], lifespan=lifespan
    )


def test_mount_starlette_app_below_a_prefix() -> None:
    app = _hello_app()
    app.mount("/sub", _starlette_app())
    with app.test_client() as client:
        assert client.get("/sub/hello?q=1").json == {"url_path": "/sub/hello", "root_path": "/sub", "query": "1"}
        assert client.get("/").text == "hello"
        assert client.get("/sub/missing").status_code == 404
        assert client.get("/hello").status_code == 404
        assert client.get("/subhello").status_code == 404


@pytest.mark.anyio
async def test_mount_starlette_app_with_async_client() -> None:
    app = _hello_app()
    app.mount("/sub", _starlette_app())
    async with app.async_test_client() as client:
        r = await client.get("/sub/hello")
    assert r.json == {"url_path": "/sub/hello", "root_path": "/sub", "query": None}


def test_parent_routes_win_over_the_mount_prefix() -> None:
    app = _hello_app()

    @app.route("/sub/own")
    async def parent_own() -> str:
        return "parent own"

    app.mount("/sub", _starlette_app())
    with app.test_client() as client:
        assert client.get("/sub/own").text == "parent own"
        assert client.get("/sub/hello").json["url_path"] == "/sub/hello"


def test_mount_at_root_is_a_fallback_for_unrouted_paths() -> None:
    app = _hello_app()
    app.mount("/", _starlette_app())
    with app.test_client() as client:
        assert client.get("/").text == "hello"
        assert client.get("/own").text == "starlette own"
        assert client.get("/hello").json == {"url_path": "/hello", "root_path": "", "query": None}


def test_websocket_into_a_mounted_starlette_app() -> None:
    app = _hello_app()
    app.mount("/sub", _starlette_app())
    with app.test_client() as client, client.websocket_connect("/sub/ws") as ws:
        assert ws.receive_text() == "starlette ws"
        ws.send_text("hi")
        assert ws.receive_text() == "echo hi"


def test_parent_websocket_routes_win_over_the_mount_prefix() -> None:
    app = _hello_app()

    @app.websocket("/sub/ws")
    async def parent_ws() -> None:
        await websocket.send("parent ws")

    app.mount("/sub", _starlette_app())
    with app.test_client() as client, client.websocket_connect("/sub/ws") as ws:
        assert ws.receive_text() == "parent ws"


def test_mount_path_must_start_with_a_slash() -> None:
    app = _hello_app()
    with pytest.raises(ValueError):
        app.mount("sub", _starlette_app())


def test_mount_after_serving_started_is_an_error() -> None:
    app = _hello_app()
    with app.test_client():
        with pytest.raises(RuntimeError):
            app.mount("/late", _starlette_app())


# -- mounting another MicroFlask app ----------------------------------------------------------------


def _child_app(events: list[str] | None = None) -> MicroFlask:
    child = MicroFlask("child_app")

    @child.route("/page/<int:n>")
    async def page(n: int) -> Any:
        return {
            "n": n,
            "path": request.path,
            "root_path": request.root_path,
            "url": url_for("page", n=n + 1),
            "external": url_for("page", n=n, _external=True),
            "app": current_app.name,
        }

    @child.route("/sync")
    def sync_view() -> str:
        return url_for("sync_view")

    if events is not None:

        @child.before_serving
        async def child_start() -> None:
            events.append("child before_serving")

        @child.after_serving
        def child_stop() -> None:
            events.append("child after_serving")

    return child


def test_mount_microflask_app_url_for_inside_uses_the_prefix() -> None:
    app = _hello_app()
    app.mount("/child", _child_app(), name="kid")
    with app.test_client() as client:
        assert client.get("/child/page/3").json == {
            "n": 3,
            "path": "/page/3",
            "root_path": "/child",
            "url": "/child/page/4",
            "external": "http://localhost/child/page/3",
            "app": "child_app",
        }
        assert client.get("/child/sync").text == "/child/sync"
        assert client.get("/child/missing").status_code == 404


def test_url_for_name_colon_endpoint_builds_into_the_mounted_app() -> None:
    app = _hello_app()
    app.mount("/child", _child_app(), name="kid")
    app.mount("/sub", _starlette_app(), name="starlette")

    @app.route("/links")
    async def links() -> Any:
        return {
            "page": url_for("kid:page", n=2),
            "query": url_for("kid:page", n=2, q="x"),
            "external": url_for("kid:page", n=5, _external=True),
        }

    @app.route("/bad/<which>")
    async def bad(which: str) -> str:
        try:
            url_for("starlette:hello" if which == "starlette" else "nobody:page", n=1)
        except BuildError as e:
            return f"BuildError {e}"
        return "built?"

    with app.test_client() as client:
        assert client.get("/links").json == {
            "page": "/child/page/2",
            "query": "/child/page/2?q=x",
            "external": "http://localhost/child/page/5",
        }
        assert client.get("/bad/starlette").text.startswith("BuildError")
        assert client.get("/bad/nobody").text.startswith("BuildError")

    app.config["SERVER_NAME"] = "example.com"
    with app.app_context():
        assert url_for("kid:page", n=1) == "http://example.com/child/page/1"


def test_mounted_lifespans_run_once_at_enter_and_exit() -> None:
    events: list[str] = []
    app = _hello_app()
    app.mount("/sub", _starlette_app(events))
    app.mount("/child", _child_app(events), name="kid")

    @app.before_serving
    async def parent_start() -> None:
        events.append("parent before_serving")

    @app.after_serving
    async def parent_stop() -> None:
        events.append("parent after_serving")

    with app.test_client() as client:
        assert events == ["starlette startup", "child before_serving", "parent before_serving"]
        assert client.get("/child/page/1").json["n"] == 1
        assert client.get("/sub/hello").status_code == 200
        assert len(events) == 3
    assert events == [
        "starlette startup",
        "child before_serving",
        "parent before_serving",
        "parent after_serving",
        "child after_serving",
        "starlette shutdown",
    ]


@pytest.mark.anyio
async def test_mounted_lifespans_run_with_async_client() -> None:
    events: list[str] = []
    app = _hello_app()
    app.mount("/sub", _starlette_app(events))
    app.mount("/child", _child_app(events), name="kid")
    async with app.async_test_client() as client:
        assert events == ["starlette startup", "child before_serving"]
        assert (await client.get("/child/page/1")).json["url"] == "/child/page/2"
    assert events == ["starlette startup", "child before_serving", "child after_serving", "starlette shutdown"]


def test_mounted_app_without_lifespan_support_does_not_break_startup() -> None:
    async def http_only(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError("this app only speaks HTTP")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": f"raw {scope['path']} {scope['root_path']}".encode()})

    events: list[str] = []
    app = _hello_app()
    app.mount("/raw", http_only)

    @app.before_serving
    async def start() -> None:
        events.append("started")

    @app.after_serving
    async def stop() -> None:
        events.append("stopped")

    with app.test_client() as client:
        assert events == ["started"]
        assert client.get("/raw/thing").text == "raw /raw/thing /raw"
        assert client.get("/").text == "hello"
    assert events == ["started", "stopped"]


def test_mounted_app_whose_startup_fails_fails_the_parents_startup() -> None:
    @asynccontextmanager
    async def failing(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("db down")
        yield  # pragma: no cover

    app = _hello_app()
    app.mount("/sub", Starlette(lifespan=failing))
    started: list[str] = []

    @app.before_serving
    async def start() -> None:
        started.append("started")

    with pytest.raises(RuntimeError, match="db down"), app.test_client():
        pass
    assert started == []


def test_mounted_microflask_app_hooks_and_errors_stay_its_own() -> None:
    parent = _hello_app()
    child = MicroFlask("child_app")
    seen: list[str] = []

    @parent.before_request
    async def parent_before() -> None:
        seen.append("parent")

    @child.before_request
    async def child_before() -> None:
        seen.append("child")

    @child.errorhandler(404)
    async def child_404(e: Any) -> Any:
        return "child 404", 404

    @child.route("/")
    async def child_index() -> str:
        return "child index"

    parent.mount("/child", child)
    with parent.test_client() as client:
        assert client.get("/child/").text == "child index"
        assert client.get("/child/nope").text == "child 404"
    assert seen == ["child", "child"]


def test_mounted_denial_for_unknown_websocket_in_mounted_microflask() -> None:
    app = _hello_app()
    child = MicroFlask("child_app")

    @child.websocket("/ws")
    async def child_ws() -> None:
        await websocket.send(f"child {url_for('child_ws')}")

    app.mount("/child", child)
    with app.test_client() as client:
        with client.websocket_connect("/child/ws") as ws:
            assert ws.receive_text() == "child /child/ws"
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/child/nope"):
                pass
        assert info.value.status_code == 404
