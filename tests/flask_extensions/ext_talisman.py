"""Flask-Talisman's quick start: its security headers (CSP with a nonce, X-Frame-Options,
Referrer-Policy, HSTS on HTTPS), ``force_https`` redirecting plain HTTP, per-view overrides with
``@talisman(...)``; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask
from flask_talisman import Talisman

CSP = {"default-src": "'self'", "script-src": "'self'"}


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    talisman = Talisman(app, content_security_policy=CSP, content_security_policy_nonce_in=["script-src"])

    if kind == "def":

        @app.get("/")
        def index() -> str:
            return "page"

        @app.get("/framed")
        @talisman(frame_options="ALLOW-FROM", frame_options_allow_from="https://example.com")
        def framed() -> str:
            return "framed"

    else:

        @app.get("/")
        async def index() -> str:
            return "page"

        @app.get("/framed")
        @talisman(frame_options="ALLOW-FROM", frame_options_allow_from="https://example.com")
        async def framed() -> str:
            return "framed"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_plain_http_is_redirected_to_https(client: Any) -> None:
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["location"].startswith("https://")


def test_https_answers_carry_the_security_headers(client: Any) -> None:
    answer = client.get("/", base_url="https://localhost")
    assert answer.text == "page"
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "'nonce-" in csp
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "max-age=" in answer.headers["strict-transport-security"]
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_a_view_can_override_them(client: Any) -> None:
    answer = client.get("/framed", base_url="https://localhost")
    assert answer.headers["x-frame-options"] == "ALLOW-FROM https://example.com"
