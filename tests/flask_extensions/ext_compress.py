"""Flask-Compress's quick start: ``Compress(app)`` compresses large enough answers for clients
that accept gzip or brotli (``request.accept_encodings``), with ``Vary: Accept-Encoding``;
small answers and other clients get the body as it is; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import gzip
from typing import Any

import pytest
from flask import Flask
from flask_compress import Compress

BIG = "microflask " * 400


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    Compress(app)

    if kind == "def":

        @app.get("/big")
        def big() -> str:
            return BIG

        @app.get("/small")
        def small() -> str:
            return "tiny"

    else:

        @app.get("/big")
        async def big() -> str:
            return BIG

        @app.get("/small")
        async def small() -> str:
            return "tiny"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_large_answers_are_gzipped_for_clients_that_accept_it(client: Any) -> None:
    answer = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in answer.headers["vary"].lower()
    assert gzip.decompress(answer.data).decode() == BIG  # data: the compressed bytes, as Flask's client
    assert answer.text == BIG  # httpx's text: decoded


def test_small_answers_and_other_clients_get_the_body_as_is(client: Any) -> None:
    assert "content-encoding" not in client.get("/small", headers={"Accept-Encoding": "gzip"}).headers
    plain = client.get("/big", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == BIG
