"""Template-side extensions: Bootstrap-Flask (its CSS link and its macros from its blueprint's
templates), Flask-Moment (its script and ``moment(...)`` in templates) and flask-htmx (``htmx``
telling an htmx request from a full page); in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_bootstrap import Bootstrap5
from flask_htmx import HTMX
from flask_moment import Moment

PAGE = (
    "{{ bootstrap.load_css() }}{% from 'bootstrap5/utils.html' import render_icon %}{{ render_icon('heart') }}"
    "{{ moment.include_moment() }}{{ moment(when).fromNow() }}"
)


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    Bootstrap5(app)
    Moment(app)
    htmx = HTMX(app)
    when = datetime(2026, 1, 1, tzinfo=UTC)

    if kind == "def":

        @app.get("/")
        def page() -> str:
            return render_template_string(PAGE, when=when)

        @app.get("/fragment")
        def fragment() -> str:
            return "fragment" if htmx else "whole page"

    else:

        @app.get("/")
        async def page() -> str:
            return await render_template_string(PAGE, when=when)

        @app.get("/fragment")
        async def fragment() -> str:
            return "fragment" if htmx else "whole page"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_bootstrap_and_moment_render_their_parts(client: Any) -> None:
    page = client.get("/").text
    assert "bootstrap.min.css" in page and "bootstrap-icons" in page
    assert "moment" in page and "2026-01-01T00:00:00Z" in page


def test_htmx_tells_its_requests_apart(client: Any) -> None:
    assert client.get("/fragment").text == "whole page"
    assert client.get("/fragment", headers={"HX-Request": "true"}).text == "fragment"
