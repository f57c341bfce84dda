"""Flask-CORS's quick start: CORS(app) for some origins, simple and preflight requests, the
cross_origin decorator; in def and async def views. Cookies set by the view survive.

Flask-CORS's ``cross_origin`` decorator calls the view itself (not through ``ensure_sync``), so
it takes ``def`` views only, in Flask as here; ``CORS(app, resources=...)`` covers async views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask, make_response
from flask_cors import CORS, cross_origin

ORIGIN = "https://app.example"


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": [ORIGIN]}}, supports_credentials=True)

    if kind == "def":

        @app.route("/api/items", methods=["GET", "POST"])
        def items() -> object:
            response = make_response({"items": [1, 2]})
            response.set_cookie("a", "1")
            response.set_cookie("b", "2")
            return response

        @app.route("/open")
        @cross_origin()
        def open_view() -> str:
            return "open"

    else:

        @app.route("/api/items", methods=["GET", "POST"])
        async def items() -> object:
            response = make_response({"items": [1, 2]})
            response.set_cookie("a", "1")
            response.set_cookie("b", "2")
            return response

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest) -> Flask:
    return make_app(request.param)


def test_simple_request_from_an_allowed_origin(app: Flask) -> None:
    reply = app.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert reply.get_json() == {"items": [1, 2]}
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert reply.headers["Access-Control-Allow-Credentials"] == "true"
    assert sorted(c.split(";")[0] for c in reply.headers.getlist("Set-Cookie")) == ["a=1", "b=2"]


def test_other_origins_get_no_cors_headers(app: Flask) -> None:
    reply = app.test_client().get("/api/items", headers={"Origin": "https://evil.example"})
    assert reply.status_code == 200 and "Access-Control-Allow-Origin" not in reply.headers


def test_preflight(app: Flask) -> None:
    reply = app.test_client().options(
        "/api/items",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Token",
        },
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    assert reply.headers["Access-Control-Allow-Headers"].lower() == "x-token"


def test_cross_origin_decorator_on_a_def_view() -> None:
    reply = make_app("def").test_client().get("/open", headers={"Origin": "https://anyone.example"})
    assert reply.text == "open"
    assert reply.headers["Access-Control-Allow-Origin"] in ("*", "https://anyone.example")
