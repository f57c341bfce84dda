"""Flask-Babel's quick start: ``Babel(app, locale_selector=...)`` choosing from
``request.accept_languages.best_match(...)``, ``get_locale()``, ``format_decimal``; in def and
async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask, request
from flask_babel import Babel, format_decimal, get_locale


def make_app(kind: str) -> Flask:
    app = Flask(__name__)

    def select_locale() -> str | None:
        return request.accept_languages.best_match(["en", "de", "fr"])

    Babel(app, locale_selector=select_locale)

    if kind == "def":

        @app.get("/")
        def index() -> str:
            return f"{get_locale()} {format_decimal(1234.5)}"

    else:

        @app.get("/")
        async def index() -> str:
            return f"{get_locale()} {format_decimal(1234.5)}"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de 1.234,5"),
        ("fr-CH, fr;q=0.9", "fr 1\u202f234,5"),
        ("en-US", "en 1,234.5"),
        ("ja", "en 1,234.5"),  # nothing matches: Flask-Babel's default locale
    ],
)
def test_the_locale_follows_accept_language(client: Any, accept: str, answer: str) -> None:
    assert client.get("/", headers={"Accept-Language": accept}).text == answer
