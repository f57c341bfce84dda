"""Flask-HTTPAuth's quick start: Basic and Bearer-token auth with ``verify_password`` /
``verify_token``, ``@auth.login_required``, ``auth.current_user()``, its 401 with the
``WWW-Authenticate`` challenge; in def and async def views. It reads ``request.authorization``."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import base64
from typing import Any

import pytest
from flask import Flask
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

USERS = {"ann": "secret"}
TOKENS = {"t-123": "bob"}


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    basic = HTTPBasicAuth()
    token = HTTPTokenAuth(scheme="Bearer")

    @basic.verify_password
    def verify_password(username: str, password: str) -> str | None:
        return username if USERS.get(username) == password else None

    @token.verify_token
    def verify_token(value: str) -> str | None:
        return TOKENS.get(value)

    if kind == "def":

        @app.get("/basic")
        @basic.login_required
        def by_password() -> str:
            return f"hello {basic.current_user()}"

        @app.get("/token")
        @token.login_required
        def by_token() -> str:
            return f"hello {token.current_user()}"

    else:

        @app.get("/basic")
        @basic.login_required
        async def by_password() -> str:
            return f"hello {basic.current_user()}"

        @app.get("/token")
        @token.login_required
        async def by_token() -> str:
            return f"hello {token.current_user()}"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_auth(client: Any) -> None:
    assert client.get("/basic", headers=basic("ann", "secret")).text == "hello ann"
    refused = client.get("/basic", headers=basic("ann", "wrong"))
    assert refused.status_code == 401
    challenge = client.get("/basic")
    assert challenge.status_code == 401 and challenge.headers["www-authenticate"].startswith("Basic")


def test_bearer_tokens(client: Any) -> None:
    assert client.get("/token", headers={"Authorization": "Bearer t-123"}).text == "hello bob"
    assert client.get("/token", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/token").headers["www-authenticate"].startswith("Bearer")
