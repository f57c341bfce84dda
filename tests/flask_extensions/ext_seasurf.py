"""Flask-SeaSurf's quick start: ``SeaSurf(app)`` refuses a POST without its token (403), the
token from ``csrf_token()`` in a template (and its cookie) lets it through; ``@csrf.exempt``;
in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask, render_template_string, request
from flask_seasurf import SeaSurf


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = "k"
    csrf = SeaSurf(app)

    if kind == "def":

        @app.route("/", methods=["GET", "POST"])
        def form() -> str:
            return render_template_string("{{ csrf_token() }}") if request.method == "GET" else "saved"

        @app.post("/hook")
        @csrf.exempt
        def hook() -> str:
            return "hooked"

    else:

        @app.route("/", methods=["GET", "POST"])
        async def form() -> str:
            return await render_template_string("{{ csrf_token() }}") if request.method == "GET" else "saved"

        @app.post("/hook")
        @csrf.exempt
        async def hook() -> str:
            return "hooked"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_posts_need_the_token(client: Any) -> None:
    token = client.get("/").text
    assert client.post("/").status_code == 403
    saved = client.post("/", data={"_csrf_token": token}, headers={"Referer": "http://localhost/"})
    assert saved.text == "saved"


def test_exempt_views_take_posts(client: Any) -> None:
    assert client.post("/hook").text == "hooked"
