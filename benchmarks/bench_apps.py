"""The benchmark apps: each framework serving the same three endpoints, written as its docs show.

``/`` answers the text ``Hello, World!``, ``/json`` the JSON ``{"message": "Hello, World!"}`` and
``/users/<int:id>`` the JSON ``{"id": id}``. Each factory returns a fresh app (an ASGI callable,
or a WSGI one for Flask). Servers load them by name, e.g.
``uvicorn --app-dir benchmarks --factory bench_apps:microflask_app``.

Also here: apps with N parameterised routes (the routing benchmark) and the upload app.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

TEXT = "Hello, World!"
#: The three endpoints: (label, path), and what each must answer.
ENDPOINTS = [("/ text", "/"), ("/json", "/json"), ("/users/<int:id>", "/users/42")]
EXPECTED: dict[str, Any] = {"/": TEXT, "/json": {"message": TEXT}, "/users/42": {"id": 42}}


def check_body(name: str, path: str, status: int, body: bytes) -> None:
    """Every app must give the same answers (JSON spacing and key order may differ)."""
    expected = EXPECTED[path]
    got: Any = body.decode() if isinstance(expected, str) else json.loads(body)
    if status != 200 or got != expected:
        raise SystemExit(f"{name} {path} answered {status} {body!r}, expected 200 {expected!r}")


def microflask_app() -> Any:
    from microflask import MicroFlask

    return _with_the_endpoints(MicroFlask(__name__))


def _with_the_endpoints(app: Any) -> Any:
    """The three endpoints as microflask's (and Flask's) docs write them."""

    @app.route("/")
    async def index() -> str:
        return TEXT

    @app.route("/json")
    async def hello_json() -> dict[str, str]:
        return {"message": TEXT}

    @app.route("/users/<int:id>")
    async def user(id: int) -> dict[str, int]:
        return {"id": id}

    return app


def microflask_patched_app() -> Any:
    """The same three async views on an app served with Flask-extension support (issue 15): the
    process imports ``microflask.flask_patch`` first, the app comes from ``from flask import Flask``
    and ``flask_extension_support`` is on (its default while the patch is active)."""
    # isort: off
    import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

    # isort: on
    from flask import Flask

    app = Flask(__name__)
    app.flask_extension_support = True
    return _with_the_endpoints(app)


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def index(request: Request) -> PlainTextResponse:
        return PlainTextResponse(TEXT)

    async def hello_json(request: Request) -> JSONResponse:
        return JSONResponse({"message": TEXT})

    async def user(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["id"]})

    return Starlette(routes=[Route("/", index), Route("/json", hello_json), Route("/users/{id:int}", user)])


def fastapi_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    async def index() -> str:
        return TEXT

    @app.get("/json")
    async def hello_json() -> dict[str, str]:
        return {"message": TEXT}

    @app.get("/users/{id}")
    async def user(id: int) -> dict[str, int]:
        return {"id": id}

    return app


def quart_app() -> Any:
    from quart import Quart

    app = Quart(__name__)

    @app.route("/")
    async def index() -> str:
        return TEXT

    @app.route("/json")
    async def hello_json() -> dict[str, str]:
        return {"message": TEXT}

    @app.route("/users/<int:id>")
    async def user(id: int) -> dict[str, int]:
        return {"id": id}

    return app


def blacksheep_app() -> Any:
    """BlackSheep as its docs show: route decorators and the ``text``/``json`` response functions.
    (The app gets a router of its own rather than the module-wide default one, so that each call
    of this factory makes a fresh app.)"""
    from blacksheep import Application, Router, json, text

    app = Application(router=Router())
    get = app.router.get

    @get("/")
    async def index() -> Any:
        return text(TEXT)

    @get("/json")
    async def hello_json() -> Any:
        return json({"message": TEXT})

    @get("/users/{int:id}")
    async def user(id: int) -> Any:
        return json({"id": id})

    return app


def litestar_app() -> Any:
    """Litestar as its docs show: handlers returning a ``str`` (text/plain) or a ``dict`` (JSON)."""
    from litestar import Litestar, get

    @get("/")
    async def index() -> str:
        return TEXT

    @get("/json")
    async def hello_json() -> dict[str, str]:
        return {"message": TEXT}

    @get("/users/{id:int}")
    async def user(id: int) -> dict[str, int]:
        return {"id": id}

    return Litestar(route_handlers=[index, hello_json, user])


def flask_app() -> Any:
    """A WSGI app (served by gunicorn, one sync worker)."""
    from flask import Flask

    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return TEXT

    @app.route("/json")
    def hello_json() -> dict[str, str]:
        return {"message": TEXT}

    @app.route("/users/<int:id>")
    def user(id: int) -> dict[str, int]:
        return {"id": id}

    return app


def bare_asgi_app() -> Any:
    """The floor: a hand-written ASGI callable with no framework, no request object, no router."""
    text_start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")],
    }
    text_body = {"type": "http.response.body", "body": TEXT.encode()}
    not_found = {"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]}

    async def send_json(send: Callable[..., Any], obj: Any) -> None:
        body = json.dumps(obj, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        if path == "/":
            await send(text_start)
            await send(text_body)
        elif path == "/json":
            await send_json(send, {"message": TEXT})
        elif path.startswith("/users/") and path[7:].isdigit():
            await send_json(send, {"id": int(path[7:])})
        else:
            await send(not_found)
            await send({"type": "http.response.body", "body": b""})

    return app


#: In-process and over-the-wire contenders (name -> factory); Flask is WSGI and served only.
ASGI_APPS: dict[str, Callable[[], Any]] = {
    "bare-asgi": bare_asgi_app,
    "microflask": microflask_app,
    "starlette": starlette_app,
    "fastapi": fastapi_app,
    "quart": quart_app,
    "blacksheep": blacksheep_app,
    "litestar": litestar_app,
}

#: The module each framework needs, to skip frameworks that are not installed.
REQUIRES = {
    "microflask": "microflask",
    "starlette": "starlette",
    "fastapi": "fastapi",
    "quart": "quart",
    "flask": "flask",
    "blacksheep": "blacksheep",
    "litestar": "litestar",
}


# -- routing: N parameterised routes ----------------------------------------------------------
def microflask_routes_app(n: int) -> Any:
    from microflask import MicroFlask

    app = MicroFlask(__name__)
    for i in range(n):

        async def view(id: int, i: int = i) -> dict[str, int]:
            return {"route": i, "id": id}

        app.add_url_rule(f"/r{i}/<int:id>", endpoint=f"r{i}", view_func=view)
    return app


def starlette_routes_app(n: int) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def make(i: int) -> Callable[[Request], Any]:
        async def view(request: Request) -> JSONResponse:
            return JSONResponse({"route": i, "id": request.path_params["id"]})

        return view

    return Starlette(routes=[Route(f"/r{i}/{{id:int}}", make(i)) for i in range(n)])


ROUTES_APPS: dict[str, Callable[[int], Any]] = {"microflask": microflask_routes_app, "starlette": starlette_routes_app}


# -- uploads ---------------------------------------------------------------------------------
def upload_app() -> Any:
    """``POST /upload``: parse a multipart body, save its ``file`` to disk, answer its size."""
    import tempfile

    from microflask import MicroFlask, request

    app = MicroFlask(__name__)

    @app.get("/")
    async def index() -> str:
        return TEXT

    @app.post("/upload")
    async def upload() -> dict[str, Any]:
        files = await request.files
        storage = files["file"]
        fd, path = tempfile.mkstemp(prefix="microflask-bench-upload-")
        os.close(fd)
        try:
            await storage.save(path)
            return {"filename": storage.filename, "size": os.path.getsize(path)}
        finally:
            os.unlink(path)

    return app
