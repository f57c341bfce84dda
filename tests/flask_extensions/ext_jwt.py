"""Flask-JWT-Extended's quick start: ``create_access_token`` at login, ``@jwt_required()`` views
reading ``get_jwt_identity()`` and ``get_jwt()``; its 401 without a token and 422 for a bad one;
tokens in cookies with their CSRF check; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
)


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY="a-secret-key-of-at-least-32-bytes!", JWT_TOKEN_LOCATION=["headers", "cookies"])
    JWTManager(app)

    @app.post("/login")
    def login() -> Any:
        return jsonify(access_token=create_access_token(identity="ann", additional_claims={"role": "admin"}))

    @app.post("/login-cookie")
    def login_cookie() -> Any:
        response = jsonify(ok=True)
        set_access_cookies(response, create_access_token(identity="bob"))
        return response

    if kind == "def":

        @app.route("/protected", methods=["GET", "POST"])
        @jwt_required()
        def protected() -> Any:
            return jsonify(user=get_jwt_identity(), role=get_jwt().get("role"))

    else:

        @app.route("/protected", methods=["GET", "POST"])
        @jwt_required()
        async def protected() -> Any:
            return jsonify(user=get_jwt_identity(), role=get_jwt().get("role"))

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_a_bearer_token_opens_the_view(client: Any) -> None:
    token = client.post("/login").json["access_token"]
    answer = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json) == (200, {"user": "ann", "role": "admin"})


def test_missing_and_bad_tokens_are_refused(client: Any) -> None:
    missing = client.get("/protected")
    assert missing.status_code == 401 and "msg" in missing.json
    bad = client.get("/protected", headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 422 and "msg" in bad.json


def test_cookie_tokens_need_their_csrf_token_on_posts(client: Any) -> None:
    login = client.post("/login-cookie")
    assert login.status_code == 200
    assert client.get("/protected").json == {"user": "bob", "role": None}
    assert client.post("/protected").status_code == 401  # no X-CSRF-TOKEN header
    csrf = client.get_cookie("csrf_access_token").value
    answer = client.post("/protected", headers={"X-CSRF-TOKEN": csrf})
    assert (answer.status_code, answer.json["user"]) == (200, "bob")
