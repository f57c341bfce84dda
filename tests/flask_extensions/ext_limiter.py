"""Flask-Limiter's quick start: Limiter(get_remote_address, app=app) with in-memory storage,
default limits and @limiter.limit; 429 past the limit; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, default_limits=["5 per minute"], storage_uri="memory://")

    if kind == "def":

        @app.route("/slow")
        @limiter.limit("2 per minute")
        def slow() -> str:
            return "slow"

        @app.route("/default")
        def default() -> str:
            return "default"

        @app.route("/free")
        @limiter.exempt
        def free() -> str:
            return "free"

    else:

        @app.route("/slow")
        @limiter.limit("2 per minute")
        async def slow() -> str:
            return "slow"

        @app.route("/default")
        async def default() -> str:
            return "default"

        @app.route("/free")
        @limiter.exempt
        async def free() -> str:
            return "free"

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest) -> Flask:
    return make_app(request.param)


def test_a_route_limit_answers_429(app: Flask) -> None:
    client = app.test_client()
    replies = [client.get("/slow") for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[0].text == "slow"


def test_default_limits_and_exemptions(app: Flask) -> None:
    client = app.test_client()
    assert [client.get("/default").status_code for _ in range(6)] == [200] * 5 + [429]
    assert all(client.get("/free").status_code == 200 for _ in range(7))
