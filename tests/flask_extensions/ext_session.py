"""Flask-Session's quick start: server-side sessions (``SESSION_TYPE = "cachelib"`` with a
``FileSystemCache``): the cookie carries only the session id, the data lives on the server;
``session.clear()`` ends it; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from pathlib import Path
from typing import Any

import pytest
from cachelib.file import FileSystemCache
from flask import Flask, session
from flask_session import Session


def make_app(kind: str, folder: Path) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="k", SESSION_TYPE="cachelib", SESSION_CACHELIB=FileSystemCache(str(folder), threshold=100)
    )
    Session(app)

    if kind == "def":

        @app.post("/cart/<item>")
        def add(item: str) -> str:
            session["cart"] = [*session.get("cart", []), item]
            return ",".join(session["cart"])

        @app.get("/cart")
        def show() -> str:
            return ",".join(session.get("cart", []))

        @app.post("/logout")
        def logout() -> str:
            session.clear()
            return "bye"

    else:

        @app.post("/cart/<item>")
        async def add(item: str) -> str:
            session["cart"] = [*session.get("cart", []), item]
            return ",".join(session["cart"])

        @app.get("/cart")
        async def show() -> str:
            return ",".join(session.get("cart", []))

        @app.post("/logout")
        async def logout() -> str:
            session.clear()
            return "bye"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return make_app(request.param, tmp_path).test_client()


def test_the_data_stays_on_the_server(client: Any) -> None:
    client.post("/cart/apple")
    assert client.post("/cart/pear").text == "apple,pear"
    assert client.get("/cart").text == "apple,pear"
    cookie = client.get_cookie("session")
    assert cookie is not None and "apple" not in cookie.value  # only the session id


def test_clearing_the_session_ends_it(client: Any) -> None:
    client.post("/cart/apple")
    client.post("/logout")
    assert client.get("/cart").text == ""
