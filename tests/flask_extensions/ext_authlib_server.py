"""Authlib's OAuth 2 provider for Flask (``authlib.integrations.flask_oauth2``), following its
docs with in-memory models instead of SQLAlchemy: ``AuthorizationServer(app, query_client=...,
save_token=...)`` with the client-credentials grant and the authorization-code grant (consent
page, ``create_authorization_response``, then the code exchanged at the token route through
``create_token_response``), and a ``ResourceProtector`` with a ``BearerTokenValidator``
guarding API routes (``@require_oauth("profile")``, ``current_token``, its 401/403 JSON errors
with ``WWW-Authenticate``); in def and async def views.

Authlib's ``@require_oauth()`` decorator is sync and calls the view itself (no ``ensure_sync``):
on an ``async def`` view it returns the view's coroutine, which Flask would refuse; microflask
awaits it. ``require_oauth.acquire(...)`` (a ``with`` block) works in either kind of view.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, jsonify, request

REDIRECT_URI = "https://client.example/cb"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    scope: str
    grant_types: list[str]
    redirect_uris: list[str] = field(default_factory=lambda: [REDIRECT_URI])

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class Token(TokenMixin):
    client_id: str
    access_token: str
    scope: str
    expires_in: int
    user: str | None = None
    issued_at: float = field(default_factory=time.time)

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> str | None:
        return self.user

    def get_client(self) -> ClientMixin:
        return CLIENTS[self.client_id]


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


CLIENTS = {
    "machine": Client("machine", "m-secret", "profile orders", ["client_credentials"]),
    "webapp": Client("webapp", "w-secret", "profile", ["authorization_code"]),
}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    tokens: dict[str, Token] = {}
    codes: dict[str, Code] = {}
    app.extensions["test_tokens"] = tokens

    def save_token(token: dict[str, Any], request: Any) -> None:
        user = request.user
        tokens[token["access_token"]] = Token(
            request.client.client_id, token["access_token"], token.get("scope", ""), token["expires_in"], user
        )

    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        def save_authorization_code(self, code: str, request: Any) -> None:
            codes[code] = Code(
                code, request.client.client_id, request.payload.redirect_uri, request.payload.scope, request.user
            )

        def query_authorization_code(self, code: str, client: ClientMixin) -> Code | None:
            found = codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> str:
            return authorization_code.user

    server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant)

    class MyBearerTokenValidator(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Token | None:
            return tokens.get(token_string)

    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(MyBearerTokenValidator())

    if kind == "def":

        @app.post("/oauth/token")
        def issue_token() -> Any:
            return server.create_token_response()

        @app.route("/oauth/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            user = request.headers["X-User"]  # the logged-in user, as an app's login would give
            grant = server.get_consent_grant(end_user=user)
            if request.method == "GET":
                return f"{user}: allow {grant.client.client_id} to read {grant.request.payload.scope}?"
            confirmed = request.form["confirm"] == "yes"
            return server.create_authorization_response(grant_user=user if confirmed else None, grant=grant)

        @app.get("/api/me")
        @require_oauth("profile")
        def me() -> Any:
            return jsonify(client=current_token.client_id, user=current_token.user, scope=current_token.scope)

        @app.get("/api/orders")
        @require_oauth("orders")
        def orders() -> Any:
            return jsonify(["order-1"])

        @app.get("/api/with")
        def with_block() -> Any:
            with require_oauth.acquire("profile") as token:
                return jsonify(client=token.client_id)

    else:

        @app.post("/oauth/token")
        async def issue_token() -> Any:
            return server.create_token_response()

        @app.route("/oauth/authorize", methods=["GET", "POST"])
        async def authorize() -> Any:
            user = request.headers["X-User"]
            grant = server.get_consent_grant(end_user=user)
            if request.method == "GET":
                return f"{user}: allow {grant.client.client_id} to read {grant.request.payload.scope}?"
            confirmed = (await request.form)["confirm"] == "yes"
            return server.create_authorization_response(grant_user=user if confirmed else None, grant=grant)

        @app.get("/api/me")
        @require_oauth("profile")
        async def me() -> Any:
            return jsonify(client=current_token.client_id, user=current_token.user, scope=current_token.scope)

        @app.get("/api/orders")
        @require_oauth("orders")
        async def orders() -> Any:
            return jsonify(["order-1"])

        @app.get("/api/with")
        async def with_block() -> Any:
            with require_oauth.acquire("profile") as token:
                return jsonify(client=token.client_id)

    return app


@pytest.fixture(params=["def", "async"])
def app(request: pytest.FixtureRequest) -> Flask:
    return make_app(request.param)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_client_credentials_token_then_protected_routes(app: Flask) -> None:
    client = app.test_client()
    reply = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "profile"},
        headers=basic("machine", "m-secret"),
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.get_json()
    assert body["token_type"] == "Bearer" and body["scope"] == "profile" and body["expires_in"] == 864000
    token = body["access_token"]
    assert token in app.extensions["test_tokens"]

    assert client.get("/api/me", headers=bearer(token)).get_json() == {
        "client": "machine",
        "user": None,
        "scope": "profile",
    }
    assert client.get("/api/with", headers=bearer(token)).get_json() == {"client": "machine"}
    # The token's scope does not cover "orders": 403 insufficient_scope.
    refused = client.get("/api/orders", headers=bearer(token))
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"


def test_the_token_endpoint_refuses_bad_clients_and_grants(app: Flask) -> None:
    client = app.test_client()
    wrong_secret = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic("machine", "x"))
    assert wrong_secret.status_code == 401 and wrong_secret.get_json()["error"] == "invalid_client"
    assert wrong_secret.headers["WWW-Authenticate"].startswith("Basic")
    unknown_grant = client.post("/oauth/token", data={"grant_type": "password"}, headers=basic("machine", "m-secret"))
    assert unknown_grant.status_code == 400 and unknown_grant.get_json()["error"] == "unsupported_grant_type"
    # client_secret_post: the credentials in the form.
    posted = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "machine", "client_secret": "m-secret"}
    )
    assert posted.status_code == 401  # the client-credentials grant takes client_secret_basic only


def test_the_resource_protector_answers_401_with_its_challenge(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/api/me")
    assert missing.status_code == 401
    assert missing.get_json()["error"] == "missing_authorization"
    assert missing.headers["Content-Type"] == "application/json"
    invalid = client.get("/api/me", headers=bearer("nope"))
    assert invalid.status_code == 401 and invalid.get_json()["error"] == "invalid_token"
    assert invalid.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/with").status_code == 401


def test_authorization_code_flow(app: Flask) -> None:
    client = app.test_client()
    query = f"response_type=code&client_id=webapp&redirect_uri={REDIRECT_URI}&scope=profile&state=xyz"
    consent = client.get(f"/oauth/authorize?{query}", headers={"X-User": "ada"})
    assert consent.text == "ada: allow webapp to read profile?"

    reply = client.post(f"/oauth/authorize?{query}", data={"confirm": "yes"}, headers={"X-User": "ada"})
    assert reply.status_code == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    params = parse_qs(location.query)
    assert params["state"] == ["xyz"]
    code = params["code"][0]

    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    token = client.post("/oauth/token", data=exchange, headers=basic("webapp", "w-secret"))
    assert token.status_code == 200, token.text
    access = token.get_json()["access_token"]
    assert client.get("/api/me", headers=bearer(access)).get_json() == {
        "client": "webapp",
        "user": "ada",
        "scope": "profile",
    }
    # A code is used once.
    again = client.post("/oauth/token", data=exchange, headers=basic("webapp", "w-secret"))
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_a_denied_consent_redirects_with_the_error(app: Flask) -> None:
    client = app.test_client()
    query = f"response_type=code&client_id=webapp&redirect_uri={REDIRECT_URI}&state=s1"
    reply = client.post(f"/oauth/authorize?{query}", data={"confirm": "no"}, headers={"X-User": "ada"})
    assert reply.status_code == 302
    params = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["s1"]
